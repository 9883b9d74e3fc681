package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
)

func receivedEvent(t *testing.T, m *Received) smsgw.Event {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return smsgw.Event{ID: "ev-1", Event: "sms:received", DeviceID: m.Modem, Payload: b, Attempt: 1}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecGammuEnvironmentAndStdin(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	script := writeScript(t, `
{ env | grep -E '^(SMS_|DECODED_|PHONE_ID|SMSGW_)' | sort; echo "ARGS=$1|$2"; echo "STDIN:"; cat; } > "`+out+`"
`)
	class := 1
	m := &Received{
		ID: "in-7", Modem: "office", From: "+491701234567", To: "+4915112345678",
		Text: "Grüße 👋 from a long message", Class: &class, ReceivedAt: "2026-11-21T23:00:00Z",
		Parts: []ReceivedPart{{Seq: 1, Text: "Grüße 👋 ", Reference: 42}, {Seq: 2, Text: "from a long message", Reference: 42}},
	}
	x := &Exec{Argv: []string{script, "$(touch pwned)", "two words"}, Timeout: 10 * time.Second}
	if err := x.Deliver(context.Background(), receivedEvent(t, m)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		"SMS_MESSAGES=2\n", "DECODED_PARTS=1\n", "DECODED_1_TEXT=Grüße 👋 from a long message\n",
		"SMS_1_NUMBER=+491701234567\n", "SMS_2_NUMBER=+491701234567\n", "SMS_1_TEXT=Grüße 👋 \n",
		"SMS_2_TEXT=from a long message\n", "SMS_1_CLASS=1\n", "SMS_1_REFERENCE=42\n", "PHONE_ID=office\n",
		"SMSGW_ID=in-7\n", "SMSGW_FROM=+491701234567\n", "SMSGW_TO=+4915112345678\n", "SMSGW_INCOMPLETE=0\n",
		// argv reaches the program untouched: no shell ran it.
		"ARGS=$(touch pwned)|two words\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	_, js, _ := strings.Cut(got, "STDIN:\n")
	var back Received
	if err := json.Unmarshal([]byte(js), &back); err != nil {
		t.Fatalf("stdin is not the message JSON: %v\n%s", err, js)
	}
	if diff := cmp.Diff(*m, back); diff != "" {
		t.Errorf("stdin message (-want +got):\n%s", diff)
	}
}

func TestExecDaemonEnvNotLeaked(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	t.Setenv("SMSGW_TEST_KEEP", "yes")
	out := filepath.Join(t.TempDir(), "out")
	script := writeScript(t, `env > "`+out+`"`)
	x := &Exec{Argv: []string{script}}
	if err := x.Deliver(context.Background(), receivedEvent(t, &Received{Text: "x"})); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if strings.Contains(string(b), "NOTIFY_SOCKET") || !strings.Contains(string(b), "SMSGW_TEST_KEEP=yes") {
		t.Errorf("environment:\n%s", b)
	}
}

func TestExecFailures(t *testing.T) {
	ctx := context.Background()
	ev := receivedEvent(t, &Received{Text: "x"})

	x := &Exec{Argv: []string{writeScript(t, "echo broken pipe to the database >&2; exit 3")}}
	err := x.Deliver(ctx, ev)
	var xe *ExitError
	if !errors.As(err, &xe) || xe.Code != 3 || !strings.Contains(xe.Stderr, "broken pipe") || IsPermanent(err) {
		t.Errorf("exit 3: %v", err)
	}

	// The script's child sleeps too: the whole process group is killed.
	x = &Exec{Argv: []string{writeScript(t, "sleep 30 & sleep 30")}, Timeout: 200 * time.Millisecond}
	start := time.Now()
	err = x.Deliver(ctx, ev)
	if !errors.As(err, &xe) || !xe.TimedOut {
		t.Errorf("timeout: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}

	x = &Exec{Argv: []string{filepath.Join(t.TempDir(), "missing")}}
	if err := x.Deliver(ctx, ev); !IsPermanent(err) {
		t.Errorf("missing program: %v, want permanent", err)
	}
	// Other events are not for scripts.
	if err := x.Deliver(ctx, smsgw.Event{Event: "sms:sent"}); !errors.Is(err, ErrSkip) {
		t.Errorf("sms:sent: %v", err)
	}
}

func TestWebhookEnvelopeAndSignature(t *testing.T) {
	var got struct {
		body    []byte
		headers http.Header
	}
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.body, _ = io.ReadAll(r.Body)
		got.headers = r.Header.Clone()
		w.WriteHeader(status)
		io.WriteString(w, "nope")
	}))
	defer srv.Close()

	wh := &Webhook{URL: srv.URL, ID: "wh1", Secret: "shh", Now: func() time.Time { return time.Unix(1700000000, 0) }}
	ev := smsgw.Event{ID: "42", Event: "sms:delivered", DeviceID: "office", Payload: json.RawMessage(`{"messageId":"m1"}`)}
	if err := wh.Deliver(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(got.body, &env); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "42", "webhookId": "wh1", "deviceId": "office", "event": "sms:delivered", "payload": map[string]any{"messageId": "m1"}}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	if ts := got.headers.Get("X-Timestamp"); ts != "1700000000" {
		t.Errorf("X-Timestamp = %q", ts)
	}
	// Reference value computed independently:
	//   printf '%s1700000000' "$body" | openssl dgst -sha256 -hmac shh
	if sig := got.headers.Get("X-Signature"); sig != Sign("shh", got.body, "1700000000") || len(sig) != 64 {
		t.Errorf("X-Signature = %q", sig)
	}

	status = http.StatusServiceUnavailable
	if err := wh.Deliver(context.Background(), ev); err == nil || IsPermanent(err) {
		t.Errorf("503: %v, want a retryable error", err)
	}
	status = http.StatusBadRequest
	if err := wh.Deliver(context.Background(), ev); !IsPermanent(err) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("400: %v, want permanent with the body", err)
	}
	wh.Events = []string{"sms:received"}
	status = http.StatusBadRequest
	if err := wh.Deliver(context.Background(), ev); !errors.Is(err, ErrSkip) {
		t.Errorf("unsubscribed event posted: %v", err)
	}
}

func TestSignKnownVector(t *testing.T) {
	// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?",
	// split here into body and timestamp.
	got := Sign("Jefe", []byte("what do ya want "), "for nothing?")
	if got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("Sign = %s", got)
	}
}

func TestRedactURL(t *testing.T) {
	if got := redactURL("https://user:pw@example.org/hook?token=abc"); strings.Contains(got, "pw") || strings.Contains(got, "abc") {
		t.Errorf("redactURL = %q", got)
	}
}

func TestDispatcherRetriesThenSucceeds(t *testing.T) {
	ob := NewMemOutbox()
	var calls atomic.Int32
	done := make(chan struct{})
	d := NewDispatcher(ob, nil, Consumer{
		Name: "c", MaxAttempts: 5,
		Deliver: func(ctx context.Context, ev smsgw.Event) error {
			if n := calls.Add(1); n < 3 {
				return errors.New("flaky")
			}
			close(done)
			return nil
		},
	})
	ev := ob.Add(smsgw.Event{Event: "sms:sent"})
	defer d.Close(context.Background())
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("not delivered")
	}
	waitFor(t, func() bool { return ob.Pending("c") == 0 })
	if n, _ := ob.Attempts("c", ev.ID); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
}

func TestDispatcherGivesUp(t *testing.T) {
	ob := NewMemOutbox()
	d := NewDispatcher(ob, nil,
		Consumer{Name: "perm", MaxAttempts: 5, Deliver: func(context.Context, smsgw.Event) error {
			return &PermanentError{errors.New("refused")}
		}},
		Consumer{Name: "cap", MaxAttempts: 2, Deliver: func(context.Context, smsgw.Event) error {
			return errors.New("down")
		}},
	)
	ev := ob.Add(smsgw.Event{Event: "sms:sent"})
	defer d.Close(context.Background())
	waitFor(t, func() bool { return ob.Pending("perm") == 0 && ob.Pending("cap") == 0 })
	if n, why := ob.Attempts("perm", ev.ID); n != 1 || !strings.Contains(why, "refused") {
		t.Errorf("perm: %d attempts, %q", n, why)
	}
	if n, why := ob.Attempts("cap", ev.ID); n != 2 || !strings.Contains(why, "down") {
		t.Errorf("cap: %d attempts, %q", n, why)
	}
}

func TestDispatcherBoundedConcurrencyNeverBlocksAdd(t *testing.T) {
	ob := NewMemOutbox()
	release := make(chan struct{})
	var cur, peak atomic.Int32
	var mu sync.Mutex
	seen := map[string]int{}
	d := NewDispatcher(ob, nil, Consumer{
		Name: "slow", Concurrency: 3,
		Deliver: func(ctx context.Context, ev smsgw.Event) error {
			n := cur.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			<-release
			cur.Add(-1)
			mu.Lock()
			seen[ev.ID]++
			mu.Unlock()
			return nil
		},
	})
	defer d.Close(context.Background())
	start := time.Now()
	for range 20 {
		ob.Add(smsgw.Event{Event: "sms:received"})
	}
	if time.Since(start) > time.Second {
		t.Error("appending events blocked behind a slow consumer")
	}
	waitFor(t, func() bool { return cur.Load() == 3 })
	close(release)
	waitFor(t, func() bool { return ob.Pending("slow") == 0 })
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if len(seen) != 20 {
		t.Errorf("delivered %d of 20", len(seen))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestWebhookTimeout: without a client of its own a webhook is bounded by
// its Timeout, and a receiver too slow to answer is retried, not dropped.
func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	wh := &Webhook{URL: srv.URL, Timeout: 50 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- wh.Deliver(context.Background(), smsgw.Event{ID: "1", Event: "sms:sent"}) }()
	select {
	case err := <-done:
		if err == nil || IsPermanent(err) {
			t.Errorf("slow receiver: %v (permanent %v), want a retryable error", err, IsPermanent(err))
		}
	case <-time.After(9 * time.Second):
		t.Fatal("Timeout did not bound the request (the default is 10 s)")
	}
}

// A data message reaches a script with its octets in base64 and its ports.
func TestExecDataMessage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	script := writeScript(t, `env | grep -E '^SMSGW_(DATA|PORT|SOURCE_PORT|EVENT)=' | sort > "`+out+`"`+"\n")
	dst, src := 2948, 9200
	m := &Received{ID: "in-8", Modem: "office", From: "+491701234567", Data: "AAH/", Port: &dst, SourcePort: &src,
		Parts: []ReceivedPart{{Seq: 1}}}
	ev := receivedEvent(t, m)
	ev.Event = smsgw.EventDataReceived
	x := &Exec{Argv: []string{script}, Timeout: 10 * time.Second}
	if err := x.Deliver(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "SMSGW_DATA=AAH/\nSMSGW_EVENT=sms:data-received\nSMSGW_PORT=2948\nSMSGW_SOURCE_PORT=9200\n"
	if string(b) != want {
		t.Errorf("environment:\n%s\nwant:\n%s", b, want)
	}
}
