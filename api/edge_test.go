package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw"
)

// steppingClock returns a clock that moves on by step at every reading, as
// the wall clock does between a request and its retry.
func steppingClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Now()
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

// TestIdempotentRetryWithTTL: a retry of a send with a relative ttl is the
// same request, although the expiry computed from it has moved on.
func TestIdempotentRetryWithTTL(t *testing.T) {
	e := newEnv(t, Options{Now: steppingClock(1500 * time.Millisecond)})
	body := `{"to":"+4915112345678","text":"otp 1234","ttl":300}`
	first := e.do("POST", "/v1/messages", body, "Idempotency-Key", "ttl-1")
	e.want(first, 202)
	again := e.do("POST", "/v1/messages", body, "Idempotency-Key", "ttl-1")
	e.want(again, 202)
	if again.hdr.Get("Idempotent-Replayed") != "true" || string(first.body) != string(again.body) {
		t.Fatalf("retry not replayed:\n%s\n%s", first.body, again.body)
	}
	// Another ttl is another request.
	other := e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"otp 1234","ttl":600}`, "Idempotency-Key", "ttl-1")
	e.want(other, 409)
	if code, _ := other.errCode(t); code != CodeIdempotency {
		t.Fatalf("code %s", code)
	}
	// So is an absolute expiry in place of the ttl.
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	other = e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"otp 1234","expires_at":"`+exp+`"}`, "Idempotency-Key", "ttl-1")
	e.want(other, 409)
	if n, _ := e.store.Counts(t.Context()); n[smsgw.StateQueued] != 1 {
		t.Fatalf("queued %d, want 1", n[smsgw.StateQueued])
	}
}

// TestUnknownModem: a send pinned to a modem nobody knows is refused at
// once instead of waiting in the queue for ever; a configured modem that is
// offline is known.
func TestUnknownModem(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"hi","modem":"nope"}`)
	e.want(r, 422)
	if code, field := r.errCode(t); code != CodeUnknownModem || field != "modem" {
		t.Fatalf("%s %s", code, field)
	}
	if !strings.Contains(string(r.body), "m1, m2") {
		t.Fatalf("known modems not listed: %s", r.body)
	}
	r = e.do("POST", "/message", `{"message":"hi","phoneNumbers":["+4915112345678"],"deviceId":"nope"}`)
	e.want(r, 422)
	if code, field := r.errCode(t); code != CodeUnknownModem || field != "deviceId" {
		t.Fatalf("%s %s", code, field)
	}
	var asg struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	r.json(t, &asg)
	if asg.Code != 422 || asg.Message == "" {
		t.Fatalf("SMSGate shape: %s", r.body)
	}
	if n, _ := e.store.Counts(t.Context()); n[smsgw.StateQueued] != 0 {
		t.Fatalf("refused sends were queued: %v", n)
	}
	// m2 is offline, but configured: the message waits for it.
	e.want(e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"hi","modem":"m2"}`), 202)
	e.want(e.do("POST", "/message", `{"message":"hi","phoneNumbers":["+4915112345678"],"deviceId":"m2"}`), 202)
}

// ussdFailing is the live pool whose USSD requests fail as told.
type ussdFailing struct {
	*fakeModems
	err error
}

func (u ussdFailing) USSD(ctx context.Context, id, code string) (string, error) {
	if _, err := u.Modem(ctx, id); err != nil {
		return "", err
	}
	return "", u.err
}

// TestUSSDErrors: what the modem refuses, what the network refuses and
// what nobody answers are told apart, each with its code; none is a 500.
func TestUSSDErrors(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		err    error
		status int
		code   string
		says   string
	}{
		{&smsgw.USSDError{Kind: smsgw.USSDRefused, Reason: "+CME ERROR: 30 (no network service)"}, 422, CodeUSSDRefused, "no network service"},
		{&smsgw.USSDError{Kind: smsgw.USSDNetwork, Reason: "the network does not support this code (+CUSD status 4)"}, 502, CodeUSSDNetwork, "status 4"},
		{&smsgw.USSDError{Kind: smsgw.USSDTimeout, Reason: "the network timed out (+CUSD status 5)"}, 504, CodeUSSDTimeout, "status 5"},
		{fmt.Errorf("wrapped: %w", &smsgw.USSDError{Kind: smsgw.USSDRefused, Reason: "ERROR"}), 422, CodeUSSDRefused, "ERROR"},
		{fmt.Errorf("a session is open: %w", smsgw.ErrConflict), 409, CodeConflict, "session"},
		{fmt.Errorf("modem gone: %w", smsgw.ErrUnavailable), 503, CodeUnavailable, "try again"},
	}
	for _, c := range cases {
		h, err := New(Options{}, Backend{Store: e.store, Modems: ussdFailing{e.modems, c.err}})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/v1/modems/m1/ussd", strings.NewReader(`{"code":"*100#"}`))
		req.Host = "localhost"
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		r := resp{code: w.Code, body: w.Body.Bytes()}
		if r.code != c.status {
			t.Errorf("%v: status %d, want %d: %s", c.err, r.code, c.status, r.body)
			continue
		}
		if code, _ := r.errCode(t); code != c.code || !strings.Contains(string(r.body), c.says) {
			t.Errorf("%v: %s", c.err, r.body)
		}
		h.Close(t.Context())
	}
	// The API's own bound on the wait is a timeout with the same code.
	e.h.ussdTimeout = 50 * time.Millisecond
	r := e.do("POST", "/v1/modems/m1/ussd", `{"code":"*101#"}`)
	e.want(r, 504)
	if code, _ := r.errCode(t); code != CodeUSSDTimeout {
		t.Fatalf("%s", r.body)
	}
	r = e.do("POST", "/v1/modems/nope/ussd", `{"code":"*100#"}`)
	e.want(r, 404)
}

// TestSMSGateIDsUnambiguous: a client id cannot take the shape of the
// gateway's own names ("q5", "q5-7", "12"), so a state lookup by id always
// finds the batch meant.
func TestSMSGateIDsUnambiguous(t *testing.T) {
	e := newEnv(t, Options{})
	v1 := e.sendOne("+4915112345601", "first") // message 1, batch "q1"
	// Nor hold what cannot go in a path or a log line.
	for _, id := range []string{"q" + v1, "q1-2", "q007", v1, "42", "q-1", `a\u0000b`, "a b", "a/b", `a\nb`, `a\\b`} {
		r := e.do("POST", "/message", `{"id":"`+id+`","message":"hi","phoneNumbers":["+4915112345602"]}`)
		e.want(r, 400)
		if code, field := r.errCode(t); code != CodeInvalidField || field != "id" {
			t.Fatalf("%s: %s %s", id, code, field)
		}
	}
	// Names merely starting with q or digits are the client's to use.
	for _, id := range []string{"q5x", "5q", "qq", "abc-1"} {
		e.want(e.do("POST", "/message", `{"id":"`+id+`","message":"named","phoneNumbers":["+4915112345603"]}`), 202)
		r := e.do("GET", "/message/"+id, nil)
		e.want(r, 200)
		var st ASGMessageState
		r.json(t, &st)
		if st.ID != id || len(st.Recipients) != 1 || st.Recipients[0].PhoneNumber != "+4915112345603" {
			t.Fatalf("%s: %s", id, r.body)
		}
	}
	// The v1 batch is still the v1 message.
	r := e.do("GET", "/message/q"+v1, nil)
	e.want(r, 200)
	var st ASGMessageState
	r.json(t, &st)
	if len(st.Recipients) != 1 || st.Recipients[0].PhoneNumber != "+4915112345601" {
		t.Fatalf("%s", r.body)
	}
	for range 200 {
		if id := newID(); reservedBatchName(id) {
			t.Fatalf("generated id %q is reserved", id)
		}
	}
}

// TestKannelCharsets: windows-1252 is not Latin-1 (0x80 is the euro sign),
// the other ISO 8859 and Windows tables and UTF-16 with a byte-order mark
// decode as such, and an unknown charset is refused by name.
func TestKannelCharsets(t *testing.T) {
	e := newEnv(t, Options{})
	last := func() string {
		t.Helper()
		p, err := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
		if err != nil || len(p.Messages) == 0 {
			t.Fatalf("no message: %v", err)
		}
		return p.Messages[0].Text
	}
	for _, c := range []struct{ query, want string }{
		{"text=%80%20%93bon%94&charset=windows-1252", "€ “bon”"},
		{"text=%80&charset=CP1252", "€"},
		{"text=%E9t%E9%80&charset=ISO-8859-1", "été\u0080"},
		{"text=%A4&charset=ISO_8859-15", "€"},
		{"text=%A4&charset=latin9", "€"},
		{"text=%C1%E7%E2%EF&charset=ISO-8859-7", "Αηβο"},
		{"text=%F0%D2%C9%D7%C5%D4&charset=KOI8-R", "Привет"},
		{"text=%B9&charset=windows-1250", "ą"},
		{"text=%FF%FEH%00i%00%AC%20&charset=UTF-16", "Hi€"},
		{"text=%FE%FF%00H%00i&charset=UTF-16", "Hi"},
		{"text=%00H%00i&charset=UTF-16", "Hi"},
		{"text=H%00i%00&charset=UTF-16LE", "Hi"},
		{"text=%D8%3D%DE%00&charset=UTF-16BE", "😀"},
		{"text=%C3%A9&charset=utf8", "é"},
	} {
		r := e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&"+c.query, nil)
		if r.code != 202 {
			t.Errorf("%s: %d %s", c.query, r.code, r.body)
			continue
		}
		if got := last(); got != c.want {
			t.Errorf("%s: stored %q, want %q", c.query, got, c.want)
		}
	}
	for _, c := range []struct{ query, says string }{
		{"text=x&charset=EBCDIC-FR", `unsupported charset "EBCDIC-FR"`},
		{"text=x&charset=x-user-defined", `unsupported charset`},
		{"text=%81&charset=windows-1252", "0x81"},
		{"text=%00H%00&charset=UTF-16", "odd number"},
		{"text=%D8%3D%00H&charset=UTF-16BE", "surrogate"},
		{"text=%FF&charset=UTF-8", "not valid UTF-8"},
	} {
		r := e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&"+c.query, nil)
		if r.code != 400 || !strings.Contains(string(r.body), c.says) || !strings.HasSuffix(string(r.body), ", rejected") {
			t.Errorf("%s: %d %s", c.query, r.code, r.body)
		}
	}
}

// TestRetryRoute: an operator can requeue what the queue never resends on
// its own (uncertain, failed, expired), and nothing else.
func TestRetryRoute(t *testing.T) {
	e := newEnv(t, Options{Tokens: []Token{{Secret: "full", Scope: ScopeFull}, {Secret: "send", Scope: ScopeSend}, {Secret: "read", Scope: ScopeRead}}})
	failed := e.sendOne("+4915112345601", "will fail")
	e.markFailed(failed)
	uncertain := e.sendOne("+4915112345602", "maybe sent")
	job := e.claim(uncertain)
	if _, err := e.q.MarkUncertain(t.Context(), job.AttemptID, "no answer to AT+CMGS"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{failed, uncertain} {
		r := e.do("POST", "/v1/messages/"+id+"/retry", nil, "Authorization", "Bearer send")
		e.want(r, 200)
		var m Message
		r.json(t, &m)
		if m.ID != id || m.State != smsgw.StateQueued {
			t.Fatalf("retry %s: %s", id, r.body)
		}
		// Queued again: a second retry is a conflict with its own code.
		r = e.do("POST", "/v1/messages/"+id+"/retry", nil)
		e.want(r, 409)
		if code, _ := r.errCode(t); code != CodeNotRetryable || !strings.Contains(string(r.body), "is queued") {
			t.Fatalf("%s", r.body)
		}
	}
	// The requeued message is sent again.
	e.markSent(failed, 7)
	r := e.do("GET", "/v1/messages/"+failed, nil)
	var m Message
	r.json(t, &m)
	if m.State != smsgw.StateSent {
		t.Fatalf("after retry: %s", r.body)
	}
	r = e.do("POST", "/v1/messages/"+failed+"/retry", nil)
	e.want(r, 409)
	e.want(e.do("POST", "/v1/messages/999/retry", nil), 404)
	e.want(e.do("POST", "/v1/messages/x/retry", nil), 404)
	e.want(e.do("POST", "/v1/messages/"+uncertain+"/retry", nil, "Authorization", "Bearer read"), 403)
	e.want(e.do("GET", "/v1/messages/"+uncertain+"/retry", nil), 405)
}

// TestSMSGateWebhookIDs: a webhook id is a consumer name in the database and
// the logs, and a path segment of DELETE: no control characters or slashes.
func TestSMSGateWebhookIDs(t *testing.T) {
	e := newEnv(t, Options{})
	for _, id := range []string{`a\u0000b`, "a b", "a/b", `tab\t`} {
		r := e.do("POST", "/webhooks", `{"id":"`+id+`","url":"https://example.com/hook","event":"sms:sent"}`)
		e.want(r, 400)
		if code, field := r.errCode(t); code != CodeInvalidField || field != "id" {
			t.Fatalf("%q: %s %s", id, code, field)
		}
	}
	e.want(e.do("POST", "/webhooks", `{"id":"hook-1_ok","url":"https://example.com/hook","event":"sms:sent"}`), 201)
}
