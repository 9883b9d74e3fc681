package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"smsgw/consent"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsgw"
	"smsgw/api"
	"smsgw/campaign"
	"smsgw/httpd"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// cliModems stands in for the gateway's live modem pool.
type cliModems struct{ list []smsgw.ModemStatus }

func (f *cliModems) Modems(context.Context) ([]smsgw.ModemStatus, error) { return f.list, nil }
func (f *cliModems) Modem(_ context.Context, id string) (smsgw.ModemStatus, error) {
	for _, m := range f.list {
		if m.ID == id {
			return m, nil
		}
	}
	return smsgw.ModemStatus{}, smsgw.ErrNotFound
}
func (f *cliModems) USSD(context.Context, string, string) (string, error) {
	return "", smsgw.ErrUnavailable
}

func (f *cliModems) ResetModem(context.Context, string) (smsgw.ModemStatus, error) {
	return smsgw.ModemStatus{}, smsgw.ErrUnavailable
}

type cliEnv struct {
	t   *testing.T
	db  string // the queue's database file
	q   *sqlite.Store
	st  *httpd.Stack
	h   http.Handler // the router of st
	srv *httptest.Server
	url string
	// front, when set, sees each request first and may answer it itself
	// (returning true), to play a daemon that fails in some way.
	front atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]
}

// newCLIEnv serves the real HTTP stack over a real queue on a loopback
// listener, with token "tok" required.
func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	db := filepath.Join(t.TempDir(), "smsgw.db")
	q, err := sqlite.Open(db, queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := consent.New(consent.DefaultOptions(), q)
	if err != nil {
		t.Fatal(err)
	}
	prices, err := campaign.NewPriceBook(context.Background(), nil, q)
	if err != nil {
		t.Fatal(err)
	}
	dbm := -85
	st, err := httpd.NewStack(httpd.Options{
		Tokens: []httpd.Token{{Secret: "tok", Scope: smsgw.ScopeFull}, {Secret: "sendtok", Scope: smsgw.ScopeSend}},
		Backend: api.Backend{Store: api.NewQueueStore(q), Modems: &cliModems{list: []smsgw.ModemStatus{
			{ID: "office", State: "ready", Registration: "home", Operator: "TestNet", Number: "+4915100000001", SignalDBM: &dbm, Manufacturer: "SIMCOM", Model: "SIM800", Counters: smsgw.ModemCounters{Sent: 12, Failed: 1, Received: 3}},
			{ID: "spare", State: "offline", Registration: "searching", LastError: "port gone"},
		}}, Consent: cons, Contacts: q, Prices: prices,
			Campaigns: &campaign.Service{Store: q, Expander: campaign.Expander{Contacts: q}, Prices: prices, OptOuts: q}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := httpd.Router(st)
	e := &cliEnv{t: t, db: db, q: q, st: st, h: h}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := e.front.Load(); f != nil && (*f)(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	}))
	e.url = e.srv.URL
	t.Cleanup(func() {
		st.Close(context.Background())
		e.srv.CloseClientConnections()
		e.srv.Close()
		q.Close(context.Background())
	})
	t.Setenv("SMSGW_TOKEN", "tok")
	t.Setenv("SMSGW_ADDR", e.url)
	return e
}

// setFront installs a function that sees each request before the API.
func (e *cliEnv) setFront(f func(http.ResponseWriter, *http.Request) bool) { e.front.Store(&f) }

// queued counts the messages in the queue, whatever their state.
func (e *cliEnv) queued() int64 {
	counts, err := e.q.Counts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

func (e *cliEnv) run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// deliver plays the gateway for the next queued message: claim, send,
// publish sms:sent; then a delivery report (or a failure) and its event.
func (e *cliEnv) deliver(ok bool) {
	ctx := context.Background()
	job, err := e.q.Claim(ctx, queue.ClaimOptions{Modem: "office"})
	if err != nil {
		e.t.Error(err)
		return
	}
	id := fmt.Sprint(job.ID)
	if !ok {
		if _, err := e.q.MarkFailed(ctx, job.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21", Code: 21}); err != nil {
			e.t.Error(err)
		}
		e.publish("sms:failed", id)
		return
	}
	if _, err := e.q.MarkSent(ctx, job.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 5}); err != nil {
		e.t.Error(err)
		return
	}
	e.publish("sms:sent", id)
	if _, err := e.q.ApplyReport(ctx, queue.Report{Modem: "office", MR: 5, Recipient: job.To, Status: queue.ReportDelivered}); err != nil {
		e.t.Error(err)
		return
	}
	e.publish("sms:delivered", id)
}

func (e *cliEnv) publish(event, id string) {
	p, _ := json.Marshal(api.EventPayload{MessageID: id})
	e.st.Publish(smsgw.Event{ID: event + id, Event: event, DeviceID: "office", Payload: p})
}

func TestSendCommand(t *testing.T) {
	e := newCLIEnv(t)
	code, out, errs := e.run("send", "--to", "+4915112345678,+4915112345679", "--text", "hello")
	if code != 0 || strings.Count(out, "queued") != 2 || !strings.Contains(out, "(1 part, gsm7)") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	// Text from stdin, JSON out.
	var res api.SendResponse
	var outb, errb bytes.Buffer
	code = send(context.Background(), strings.NewReader("from stdin ✓\n"), []string{"--to", "+4915112345678", "--json"}, &outb, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if err := json.Unmarshal(outb.Bytes(), &res); err != nil || len(res.Messages) != 1 || res.Messages[0].Coding != "ucs2" {
		t.Fatalf("%v %s", err, outb.String())
	}
	// API errors: exit 1 with the API's message; usage: exit 2.
	code, _, errs = e.run("send", "--to", "12", "--text", "x")
	if code != exitRefused || !strings.Contains(errs, "12") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if code, _, _ := e.run("send", "--text", "x"); code != exitUsage {
		t.Fatalf("no --to: exit %d", code)
	}
	t.Setenv("SMSGW_TOKEN", "wrong")
	if code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "x"); code != exitRefused || !strings.Contains(errs, "Unauthorized") {
		t.Fatalf("wrong token: exit %d %s", code, errs)
	}
}

func TestSendWait(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
		code int
		want string
	}{
		{"delivered", true, exitOK, "delivered"},
		{"failed", false, exitFailed, "CMS ERROR: 21"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newCLIEnv(t)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); e.deliver(c.ok) }()
			code, out, errs := e.run("send", "--to", "+4915112345678", "--text", "otp", "--wait", "--timeout", "20s")
			wg.Wait()
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errs)
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		e := newCLIEnv(t)
		code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "otp", "--wait", "--timeout", "300ms")
		if code != exitTimeout || !strings.Contains(errs, "timed out") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}

func TestStatusCommand(t *testing.T) {
	e := newCLIEnv(t)
	code, out, _ := e.run("send", "--to", "+4915112345678", "--text", "status me")
	if code != 0 {
		t.Fatal(out)
	}
	id := strings.Fields(out)[0]
	e.deliver(true)
	code, out, errs := e.run("status", id)
	if code != 0 || !strings.Contains(out, "delivered") || !strings.Contains(out, "status me") || !strings.Contains(out, "office") || !strings.Contains(out, "parts:") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = e.run("status", id, "--json")
	var m api.Message
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m.State != "delivered" || len(m.Parts) != 1 || *m.Parts[0].MR != 5 {
		t.Fatalf("%d %s", code, out)
	}
	if code, _, errs := e.run("status", "999"); code != exitRefused || !strings.Contains(errs, "not found") {
		t.Fatalf("%d %s", code, errs)
	}
	if code, _, _ := e.run("status"); code != exitUsage {
		t.Fatalf("no id: %d", code)
	}
}

func TestModemsCommand(t *testing.T) {
	e := newCLIEnv(t)
	code, out, errs := e.run("modems")
	if code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	for _, want := range []string{"office", "▂▄__ -85 dBm", "TestNet", "+4915100000001", "home", "spare", "____ -", "spare: last error: port gone"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = e.run("modems", "--json")
	var l api.ModemList
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || len(l.Modems) != 2 || l.Modems[0].SignalBars != 2 {
		t.Fatalf("%d %s", code, out)
	}
}

func TestInboxCommand(t *testing.T) {
	e := newCLIEnv(t)
	code, out, errs := e.run("inbox", "--since", "1h")
	if code != 0 || out != "" {
		t.Fatalf("%d %q %s", code, out, errs)
	}
	if code, _, _ := e.run("inbox", "--since", "later"); code != exitUsage {
		t.Fatalf("bad --since: %d", code)
	}
	// --follow prints a message announced on the event stream.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var outb, errb bytes.Buffer
	done := make(chan int)
	pr := &lockedBuffer{}
	go func() { done <- runInbox(ctx, []string{"--follow", "--json"}, pr, &errb) }()
	// Wait until the subscription exists, then publish.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.metrics(), "smsgw_event_streams 1") {
		if time.Now().After(deadline) {
			t.Fatal("inbox --follow never subscribed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p, _ := json.Marshal(api.EventPayload{MessageID: "77", PhoneNumber: "+4915100000009", Message: "hello there", ReceivedAt: time.Now().Format(time.RFC3339)})
	e.st.Publish(smsgw.Event{ID: "r77", Event: "sms:received", DeviceID: "office", Payload: p})
	for !strings.Contains(pr.String(), "hello there") {
		if time.Now().After(deadline) {
			t.Fatalf("no message printed: %q %s", pr.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d %s", code, errb.String())
	}
	var m api.Inbound
	if err := json.Unmarshal([]byte(strings.TrimSpace(pr.String())), &m); err != nil || m.ID != "77" || m.From != "+4915100000009" {
		t.Fatalf("%v %q", err, pr.String())
	}
	_ = outb
}

func (e *cliEnv) metrics() string {
	var out bytes.Buffer
	c, _ := newClient(e.url)
	req, _ := c.request(context.Background(), "GET", "/metrics", nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	out.ReadFrom(resp.Body)
	return out.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestClientAddr(t *testing.T) {
	for _, c := range []struct{ in, base string }{
		{"127.0.0.1:8787", "http://127.0.0.1:8787"},
		{"https://gw.example:8443/", "https://gw.example:8443"},
		{"unix:/run/smsgw/api.sock", "http://smsgw"},
	} {
		cl, err := newClient(c.in)
		if err != nil || cl.base != c.base {
			t.Errorf("%s: %v %v", c.in, cl, err)
		}
	}
	for _, bad := range []string{"unix:", "nohost", "http://"} {
		if _, err := newClient(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestClientOverUnixSocket(t *testing.T) {
	e := newCLIEnv(t)
	path := filepath.Join(t.TempDir(), "api.sock")
	ln, err := httpd.Listen(httpd.ListenConfig{Addr: "unix:" + path})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpd.NewServer(e.h, httpd.ServerConfig{})
	go srv.Serve(ln)
	defer srv.Close()
	code, out, errs := e.run("modems", "--addr", "unix:"+path)
	if code != 0 || !strings.Contains(out, "office") {
		t.Fatalf("%d %s %s", code, out, errs)
	}
}
