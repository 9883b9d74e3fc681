package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"smsgw"
)

func TestListFiltersScanned(t *testing.T) {
	e := newEnv(t, Options{})
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, e.sendOne(fmt.Sprintf("+49151123450%02d", i), "x"))
	}
	e.want(e.do("DELETE", "/v1/messages/"+ids[1], nil), 200)
	e.want(e.do("DELETE", "/v1/messages/"+ids[4], nil), 200)
	// Two states at once, paged by 2: [5 4] then [3 2] then [0].
	var got []string
	cursor := ""
	for i := 0; i < 5; i++ {
		r := e.do("GET", "/v1/messages?state=queued,cancelled&limit=2&cursor="+cursor, nil)
		e.want(r, 200)
		var l MessageList
		r.json(t, &l)
		for _, m := range l.Messages {
			got = append(got, m.ID)
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join([]string{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}, ",") {
		t.Fatalf("got %v", got)
	}
	// until before everything: nothing; until in the future: all.
	r := e.do("GET", "/v1/messages?until="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), nil)
	var l MessageList
	r.json(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("until: %+v", l)
	}
	r = e.do("GET", "/v1/messages?state=cancelled&until="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), nil)
	l = MessageList{}
	r.json(t, &l)
	if len(l.Messages) != 2 {
		t.Fatalf("until+state: %+v", l)
	}
	e.want(e.do("GET", "/v1/messages?cursor=abc", nil), 400)
	e.want(e.do("GET", "/v1/inbox?cursor=-1", nil), 400)
}

func TestBatchByRange(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "/v1/messages", `{"to":["+4915112345601","+4915112345602","+4915112345603"],"text":"batch"}`)
	e.want(r, 202)
	var out SendResponse
	r.json(t, &out)
	if !strings.HasPrefix(out.Batch, "q") || !strings.Contains(out.Batch, "-") {
		t.Fatalf("batch %q", out.Batch)
	}
	// The v1 batch is readable through SMSGate's state route.
	r = e.do("GET", "/message/"+out.Batch, nil)
	e.want(r, 200)
	var st ASGMessageState
	r.json(t, &st)
	if len(st.Recipients) != 3 || st.ID != out.Batch {
		t.Fatalf("%s", r.body)
	}
	// And a single v1 message id too.
	r = e.do("GET", "/message/"+out.Messages[0].ID, nil)
	e.want(r, 200)
	for _, bad := range []string{"q", "q5-2", "qx", "q1-999999"} {
		if _, _, ok := parseRangeBatch(bad); ok {
			t.Errorf("parseRangeBatch(%q) accepted", bad)
		}
	}
}

func TestUSSDTimeoutAndBackendErrors(t *testing.T) {
	e := newEnv(t, Options{})
	e.h.ussdTimeout = 50 * time.Millisecond
	r := e.do("POST", "/v1/modems/m1/ussd", `{"code":"*101#"}`) // the fake never answers this one
	e.want(r, 504)
	// Without a webhook registry and modem source, those routes say 503.
	h, err := New(Options{}, Backend{Store: e.store})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/webhooks", ""}, {"POST", "/webhooks", `{"url":"https://x/y","event":"sms:sent"}`},
		{"DELETE", "/webhooks/x", ""}, {"GET", "/devices", ""}, {"GET", "/v1/modems/m1", ""},
		{"POST", "/v1/modems/m1/ussd", `{"code":"*100#"}`},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Host = "localhost"
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 503 {
			t.Errorf("%s %s: %d", c.method, c.path, w.Code)
		}
	}
	// Not ready without modems.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, localRequest("GET", "/readyz"))
	if w.Code != 503 {
		t.Fatalf("readyz without modems: %d", w.Code)
	}
	// ASG body limit and content type.
	e2 := newEnv(t, Options{MaxBodyBytes: 64})
	r = e2.do("POST", "/messages", `{"message":"`+strings.Repeat("x", 100)+`","phoneNumbers":["+4915112345678"]}`)
	e2.want(r, 413)
	r = e2.do("POST", "/messages", `{}`, "Content-Type", "text/plain")
	e2.want(r, 415)
	// Kannel POST body over the limit.
	req := httptest.NewRequest("POST", "/cgi-bin/sendsms?to=%2B4915112345678", strings.NewReader(strings.Repeat("x", 100)))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	e2.h.ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("kannel body: %d %s", rec.Code, rec.Body)
	}
}

// TestKannelDLRRejected: a message that failed before it was sent reports
// type 16 (rejected by the SMSC), and only when the mask asks for it.
func TestKannelDLRRejected(t *testing.T) {
	e := newEnv(t, Options{Callbacks: loopbackCallbacks})
	calls := make(chan string, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- r.URL.RawQuery
	}))
	defer cb.Close()
	r := e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=16&dlr-url="+url.QueryEscape(cb.URL+"/?t=%d&a=%A&k=%k&c=%c"), nil)
	e.want(r, 202)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	e.markFailed(id)
	p, _ := json.Marshal(EventPayload{MessageID: id, Reason: "barred"})
	e.h.Publish(smsgw.Event{ID: "f1", Event: "sms:failed", DeviceID: "m1", Payload: p})
	select {
	case q := <-calls:
		if q != "t=16&a=NACK%2F+barred&k=x&c=0" {
			t.Fatalf("callback %q", q)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
	}
	// An event for a message without dlr-url, or garbage, calls nothing.
	other := e.sendOne("+4915112345678", "plain")
	p, _ = json.Marshal(EventPayload{MessageID: other})
	e.h.Publish(smsgw.Event{ID: "f2", Event: "sms:delivered", Payload: p})
	e.h.Publish(smsgw.Event{ID: "f3", Event: "sms:delivered", Payload: json.RawMessage(`not json`)})
	e.h.Publish(smsgw.Event{ID: "f4", Event: "sms:received", Payload: p})
	if err := e.h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case q := <-calls:
		t.Fatalf("unexpected callback %q", q)
	default:
	}
}

// TestEventOverflow: a stream that cannot keep up is told and closed
// instead of slowing the publisher.
func TestEventOverflow(t *testing.T) {
	e := newEnv(t, Options{})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
	buf := make([]byte, 512)
	if _, err := conn.Read(buf); err != nil { // headers and the opening comment
		t.Fatal(err)
	}
	for e.h.hub.subscribers() != 1 {
		time.Sleep(time.Millisecond)
	}
	// 64 KiB events: the socket buffers hold at most a few MiB, so the
	// writer blocks and the subscriber's buffer fills long before the bound.
	big := json.RawMessage(`{"messageId":"1","message":"` + strings.Repeat("x", 64<<10) + `"}`)
	for i := 0; i < subscriberBuffer*16 && e.h.hub.subscribers() > 0; i++ {
		e.h.Publish(smsgw.Event{ID: fmt.Sprint(i), Event: "sms:received", Payload: big})
	}
	if e.h.hub.subscribers() != 0 {
		t.Fatal("a stalled subscriber was not dropped")
	}
	// The buffered events come first, then the notice; the connection
	// stays open (keep-alive), so read until the notice shows.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 128<<10), 128<<10)
	for sc.Scan() {
		if sc.Text() == "event: overflow" {
			return
		}
	}
	t.Fatalf("no overflow notice: %v", sc.Err())
}

// TestKannelDLRExternal: with ExternalDLR the daemon's durable consumer
// makes the callback through KannelDLR, which reports failures for retry.
func TestKannelDLRExternal(t *testing.T) {
	e := newEnv(t, Options{Callbacks: loopbackCallbacks, ExternalDLR: true})
	status := make(chan int, 2)
	status <- 503
	status <- 200
	calls := make(chan string, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(<-status)
		calls <- r.URL.RawQuery
	}))
	defer cb.Close()
	e.want(e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=1&dlr-url="+url.QueryEscape(cb.URL+"/?t=%d"), nil), 202)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	e.markSent(id, 3)
	e.report(id, 3, true)
	p, _ := json.Marshal(EventPayload{MessageID: id})
	ev := smsgw.Event{ID: "d1", Event: "sms:delivered", Payload: p}
	e.h.Publish(ev) // no callback from Publish in this mode
	if err := e.h.KannelDLR(t.Context(), ev); err == nil {
		t.Fatal("a 503 from the receiver should ask for a retry")
	}
	if err := e.h.KannelDLR(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || <-calls != "t=1" {
		t.Fatalf("%d calls", len(calls))
	}
	// Not a report, or a message sent without a dlr-url: nothing to do,
	// and said so, so that the outbox counts it as skipped.
	if err := e.h.KannelDLR(t.Context(), smsgw.Event{Event: "sms:received", Payload: p}); !errors.Is(err, ErrNoCallback) {
		t.Fatalf("a received message: %v, want ErrNoCallback", err)
	}
	e.want(e.do("POST", "/v1/messages", map[string]any{"to": []string{"+4915112345678"}, "text": "no callback"}), 202)
	page, _ = e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	plain, _ := json.Marshal(EventPayload{MessageID: page.Messages[0].ID})
	if err := e.h.KannelDLR(t.Context(), smsgw.Event{Event: "sms:delivered", Payload: plain}); !errors.Is(err, ErrNoCallback) {
		t.Fatalf("a message without a dlr-url: %v, want ErrNoCallback", err)
	}
}

func TestRemainingErrorCodes(t *testing.T) {
	e := newEnv(t, Options{})
	// USSD while the modem has a session open: 409.
	r := e.do("POST", "/v1/modems/m1/ussd", `{"code":"*999#"}`)
	e.want(r, 409)
	if c, _ := r.errCode(t); c != CodeConflict {
		t.Fatal(c)
	}
	// The store refusing: 503 on v1 and SMSGate sends.
	e.h.b.Store = failingStore{e.store, fmt.Errorf("queue full: %w", smsgw.ErrUnavailable)}
	r = e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"x"}`)
	e.want(r, 503)
	if c, _ := r.errCode(t); c != CodeUnavailable {
		t.Fatal(c)
	}
	e.want(e.do("POST", "/messages", `{"message":"x","phoneNumbers":["+4915112345678"]}`), 503)
	// An internal store failure is a 500 that does not leak the cause.
	e.h.b.Store = failingStore{e.store, fmt.Errorf("disk I/O error at /var/lib/smsgw")}
	r = e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"x"}`)
	e.want(r, 500)
	if strings.Contains(string(r.body), "/var/lib") {
		t.Fatalf("internal detail leaked: %s", r.body)
	}
	e.h.b.Store = e.store
	// SMSGate health fails with no registered modem.
	e.modems.set(smsgw.ModemStatus{ID: "m1", State: "offline", Registration: "denied"})
	r = e.do("GET", "/health", nil)
	e.want(r, 503)
	if !strings.Contains(string(r.body), `"status":"fail"`) {
		t.Fatalf("%s", r.body)
	}
	// Kannel with no registered modem: queued for later.
	r = e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x", nil)
	if r.code != 202 || string(r.body) != "3: Queued for later delivery" {
		t.Fatalf("%d %q", r.code, r.body)
	}
	// The event stream after Close: 503.
	e.h.Close(t.Context())
	e.want(e.do("GET", "/v1/events", nil), 503)
}

// TestKannelDLRRetry: a callback the receiver answers with 503 is tried
// again (Publish path, in-memory backoff).
func TestKannelDLRRetry(t *testing.T) {
	e := newEnv(t, Options{Callbacks: loopbackCallbacks})
	e.h.dlr.backoff = smsgw.Backoff{Initial: 10 * time.Millisecond, Max: time.Second}
	status := make(chan int, 3)
	status <- 503
	status <- 502
	status <- 200
	calls := make(chan string, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(<-status)
		calls <- r.URL.RawQuery
	}))
	defer cb.Close()
	e.want(e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=8&dlr-url="+url.QueryEscape(cb.URL+"/?t=%d&i=%I"), nil), 202)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	e.markSent(id, 9)
	p, _ := json.Marshal(EventPayload{MessageID: id})
	e.h.Publish(smsgw.Event{ID: "s1", Event: "sms:sent", Payload: p})
	for i := 0; i < 3; i++ {
		select {
		case q := <-calls:
			if q != "t=8&i="+id {
				t.Fatalf("call %d: %q", i, q)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d calls", i)
		}
	}
	if err := e.h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 {
		t.Fatal("called after success")
	}
}
