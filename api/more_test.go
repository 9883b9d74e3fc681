package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"smsgw/api"
	"smsgw/httpd/httpdtest"
	"strings"
	"testing"
	"time"

	"smsgw"
)

func TestListFiltersScanned(t *testing.T) {
	e := newEnv(t, api.Options{})
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, e.SendOne(fmt.Sprintf("+49151123450%02d", i), "x"))
	}
	e.Want(e.Do("DELETE", "/v1/messages/"+ids[1], nil), 200)
	e.Want(e.Do("DELETE", "/v1/messages/"+ids[4], nil), 200)
	// Two states at once, paged by 2: [5 4] then [3 2] then [0].
	var got []string
	cursor := ""
	for i := 0; i < 5; i++ {
		r := e.Do("GET", "/v1/messages?state=queued,cancelled&limit=2&cursor="+cursor, nil)
		e.Want(r, 200)
		var l api.MessageList
		r.JSON(t, &l)
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
	r := e.Do("GET", "/v1/messages?until="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), nil)
	var l api.MessageList
	r.JSON(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("until: %+v", l)
	}
	r = e.Do("GET", "/v1/messages?state=cancelled&until="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), nil)
	l = api.MessageList{}
	r.JSON(t, &l)
	if len(l.Messages) != 2 {
		t.Fatalf("until+state: %+v", l)
	}
	e.Want(e.Do("GET", "/v1/messages?cursor=abc", nil), 400)
	e.Want(e.Do("GET", "/v1/inbox?cursor=-1", nil), 400)
}

func TestUSSDTimeoutAndBackendErrors(t *testing.T) {
	e := newEnv(t, api.Options{})
	api.SetUSSDTimeout(e.API, 50*time.Millisecond)
	r := e.Do("POST", "/v1/modems/m1/ussd", `{"code":"*101#"}`) // the fake never answers this one
	e.Want(r, 504)
	// Without a webhook registry and modem source, those routes say 503.
	e.Rebuild(func(b *api.Backend) { b.Modems, b.Webhooks = nil, nil })
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/webhooks", ""}, {"POST", "/webhooks", `{"url":"https://x/y","event":"sms:sent"}`},
		{"DELETE", "/webhooks/x", ""}, {"GET", "/devices", ""}, {"GET", "/v1/modems/m1", ""},
		{"POST", "/v1/modems/m1/ussd", `{"code":"*100#"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		if r := e.Do(c.method, c.path, body); r.Code != 503 {
			t.Errorf("%s %s: %d", c.method, c.path, r.Code)
		}
	}
	// Not ready without modems.
	if r := e.Serve(httpdtest.LocalRequest("GET", "/readyz")); r.Code != 503 {
		t.Fatalf("readyz without modems: %d", r.Code)
	}
	// ASG body limit and content type.
	e2 := newEnv(t, api.Options{MaxBodyBytes: 64})
	r = e2.Do("POST", "/messages", `{"message":"`+strings.Repeat("x", 100)+`","phoneNumbers":["+4915112345678"]}`)
	e2.Want(r, 413)
	r = e2.Do("POST", "/messages", `{}`, "Content-Type", "text/plain")
	e2.Want(r, 415)
	// Kannel POST body over the limit.
	req := httptest.NewRequest("POST", "/cgi-bin/sendsms?to=%2B4915112345678", strings.NewReader(strings.Repeat("x", 100)))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	e2.Handler.ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("kannel body: %d %s", rec.Code, rec.Body)
	}
}

// TestEventOverflow: a stream that cannot keep up is told and closed
// instead of slowing the publisher.
func TestEventOverflow(t *testing.T) {
	e := newEnv(t, api.Options{})
	srv := httptest.NewServer(e.Handler)
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
	for api.Subscribers(e.API) != 1 {
		time.Sleep(time.Millisecond)
	}
	// 64 KiB events: the socket buffers hold at most a few MiB, so the
	// writer blocks and the subscriber's buffer fills long before the bound.
	big := json.RawMessage(`{"messageId":"1","message":"` + strings.Repeat("x", 64<<10) + `"}`)
	for i := 0; i < api.SubscriberBuffer*16 && api.Subscribers(e.API) > 0; i++ {
		e.Stack.Publish(smsgw.Event{ID: fmt.Sprint(i), Event: "sms:received", Payload: big})
	}
	if api.Subscribers(e.API) != 0 {
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

func TestRemainingErrorCodes(t *testing.T) {
	e := newEnv(t, api.Options{})
	// USSD while the modem has a session open: 409.
	r := e.Do("POST", "/v1/modems/m1/ussd", `{"code":"*999#"}`)
	e.Want(r, 409)
	if c, _ := r.ErrCode(t); c != api.CodeConflict {
		t.Fatal(c)
	}
	// The store refusing: 503 on v1 and SMSGate sends.
	e.Rebuild(func(b *api.Backend) {
		b.Store = failingStore{e.Store, fmt.Errorf("queue full: %w", smsgw.ErrUnavailable)}
	})
	r = e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"x"}`)
	e.Want(r, 503)
	if c, _ := r.ErrCode(t); c != api.CodeUnavailable {
		t.Fatal(c)
	}
	e.Want(e.Do("POST", "/messages", `{"message":"x","phoneNumbers":["+4915112345678"]}`), 503)
	// An internal store failure is a 500 that does not leak the cause.
	e.Rebuild(func(b *api.Backend) { b.Store = failingStore{e.Store, fmt.Errorf("disk I/O error at /var/lib/smsgw")} })
	r = e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"x"}`)
	e.Want(r, 500)
	if strings.Contains(string(r.Body), "/var/lib") {
		t.Fatalf("internal detail leaked: %s", r.Body)
	}
	e.Rebuild(func(b *api.Backend) { b.Store = e.Store })
	// SMSGate health fails with no registered modem.
	e.Modems.Set(smsgw.ModemStatus{ID: "m1", State: "offline", Registration: "denied"})
	r = e.Do("GET", "/health", nil)
	e.Want(r, 503)
	if !strings.Contains(string(r.Body), `"status":"fail"`) {
		t.Fatalf("%s", r.Body)
	}
	// Kannel with no registered modem: queued for later.
	r = e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x", nil)
	if r.Code != 202 || string(r.Body) != "3: Queued for later delivery" {
		t.Fatalf("%d %q", r.Code, r.Body)
	}
	// The event stream after Close: 503.
	e.API.Close(t.Context())
	e.Want(e.Do("GET", "/v1/events", nil), 503)
}
