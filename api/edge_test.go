package api_test

import (
	"context"
	"fmt"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
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
	e := newEnv(t, api.Options{Now: steppingClock(1500 * time.Millisecond)})
	body := `{"to":"+4915112345678","text":"otp 1234","ttl":300}`
	first := e.Do("POST", "/v1/messages", body, "Idempotency-Key", "ttl-1")
	e.Want(first, 202)
	again := e.Do("POST", "/v1/messages", body, "Idempotency-Key", "ttl-1")
	e.Want(again, 202)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(first.Body) != string(again.Body) {
		t.Fatalf("retry not replayed:\n%s\n%s", first.Body, again.Body)
	}
	// Another ttl is another request.
	other := e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"otp 1234","ttl":600}`, "Idempotency-Key", "ttl-1")
	e.Want(other, 409)
	if code, _ := other.ErrCode(t); code != api.CodeIdempotency {
		t.Fatalf("code %s", code)
	}
	// So is an absolute expiry in place of the ttl.
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	other = e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"otp 1234","expires_at":"`+exp+`"}`, "Idempotency-Key", "ttl-1")
	e.Want(other, 409)
	if n, _ := e.Store.Counts(t.Context()); n[smsgw.StateQueued] != 1 {
		t.Fatalf("queued %d, want 1", n[smsgw.StateQueued])
	}
}

// TestUnknownModem: a send pinned to a modem nobody knows is refused at
// once instead of waiting in the queue for ever; a configured modem that is
// offline is known.
func TestUnknownModem(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"hi","modem":"nope"}`)
	e.Want(r, 422)
	if code, field := r.ErrCode(t); code != api.CodeUnknownModem || field != "modem" {
		t.Fatalf("%s %s", code, field)
	}
	if !strings.Contains(string(r.Body), "m1, m2") {
		t.Fatalf("known modems not listed: %s", r.Body)
	}
	// SMSGate's own answer to a device it does not know: 400 Invalid device ID.
	r = e.Do("POST", "/message", `{"message":"hi","phoneNumbers":["+4915112345678"],"deviceId":"nope"}`)
	e.Want(r, 400)
	if code, field := r.ErrCode(t); code != api.CodeUnknownModem || field != "deviceId" {
		t.Fatalf("%s %s", code, field)
	}
	var asg struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	r.JSON(t, &asg)
	if asg.Code != 400 || asg.Message != "Invalid device ID" {
		t.Fatalf("SMSGate shape: %s", r.Body)
	}
	if n, _ := e.Store.Counts(t.Context()); n[smsgw.StateQueued] != 0 {
		t.Fatalf("refused sends were queued: %v", n)
	}
	// m2 is offline, but configured: the message waits for it.
	e.Want(e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"hi","modem":"m2"}`), 202)
	e.Want(e.Do("POST", "/message", `{"message":"hi","phoneNumbers":["+4915112345678"],"deviceId":"m2"}`), 202)
}

// ussdFailing is the live pool whose USSD requests fail as told.
type ussdFailing struct {
	pool *httpdtest.Modems
	err  error
}

func (u ussdFailing) Modems(ctx context.Context) ([]smsgw.ModemStatus, error) {
	return u.pool.Modems(ctx)
}

func (u ussdFailing) Modem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	return u.pool.Modem(ctx, id)
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
	e := newEnv(t, api.Options{})
	cases := []struct {
		err    error
		status int
		code   string
		says   string
	}{
		{&smsgw.USSDError{Kind: smsgw.USSDRefused, Reason: "+CME ERROR: 30 (no network service)"}, 422, api.CodeUSSDRefused, "no network service"},
		{&smsgw.USSDError{Kind: smsgw.USSDNetwork, Reason: "the network does not support this code (+CUSD status 4)"}, 502, api.CodeUSSDNetwork, "status 4"},
		{&smsgw.USSDError{Kind: smsgw.USSDTimeout, Reason: "the network timed out (+CUSD status 5)"}, 504, api.CodeUSSDTimeout, "status 5"},
		{fmt.Errorf("wrapped: %w", &smsgw.USSDError{Kind: smsgw.USSDRefused, Reason: "ERROR"}), 422, api.CodeUSSDRefused, "ERROR"},
		{fmt.Errorf("a session is open: %w", smsgw.ErrConflict), 409, api.CodeConflict, "session"},
		{fmt.Errorf("modem gone: %w", smsgw.ErrUnavailable), 503, api.CodeUnavailable, "try again"},
	}
	for _, c := range cases {
		e.Rebuild(func(b *api.Backend) { b.Modems = ussdFailing{e.Modems, c.err} })
		r := e.Do("POST", "/v1/modems/m1/ussd", `{"code":"*100#"}`)
		if r.Code != c.status {
			t.Errorf("%v: status %d, want %d: %s", c.err, r.Code, c.status, r.Body)
			continue
		}
		if code, _ := r.ErrCode(t); code != c.code || !strings.Contains(string(r.Body), c.says) {
			t.Errorf("%v: %s", c.err, r.Body)
		}
	}
	e.Rebuild(func(b *api.Backend) { b.Modems = e.Modems })
	// The API's own bound on the wait is a timeout with the same code.
	api.SetUSSDTimeout(e.API, 50*time.Millisecond)
	r := e.Do("POST", "/v1/modems/m1/ussd", `{"code":"*101#"}`)
	e.Want(r, 504)
	if code, _ := r.ErrCode(t); code != api.CodeUSSDTimeout {
		t.Fatalf("%s", r.Body)
	}
	r = e.Do("POST", "/v1/modems/nope/ussd", `{"code":"*100#"}`)
	e.Want(r, 404)
}

// TestRetryRoute: an operator can requeue what the queue never resends on
// its own (uncertain, failed, expired), and nothing else.
func TestRetryRoute(t *testing.T) {
	e := httpdtest.New(t, httpd.Options{Tokens: []httpd.Token{{Secret: "full", Scope: api.ScopeFull}, {Secret: "send", Scope: api.ScopeSend}, {Secret: "read", Scope: api.ScopeRead}}})
	failed := e.SendOne("+4915112345601", "will fail")
	e.MarkFailed(failed)
	uncertain := e.SendOne("+4915112345602", "maybe sent")
	job := e.Claim(uncertain)
	if _, err := e.Q.MarkUncertain(t.Context(), job.AttemptID, "no answer to AT+CMGS"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{failed, uncertain} {
		r := e.Do("POST", "/v1/messages/"+id+"/retry", nil, "Authorization", "Bearer send")
		e.Want(r, 200)
		var m api.Message
		r.JSON(t, &m)
		if m.ID != id || m.State != smsgw.StateQueued {
			t.Fatalf("retry %s: %s", id, r.Body)
		}
		// Queued again: a second retry is a conflict with its own code.
		r = e.Do("POST", "/v1/messages/"+id+"/retry", nil)
		e.Want(r, 409)
		if code, _ := r.ErrCode(t); code != api.CodeNotRetryable || !strings.Contains(string(r.Body), "is queued") {
			t.Fatalf("%s", r.Body)
		}
	}
	// The requeued message is sent again.
	e.MarkSent(failed, 7)
	r := e.Do("GET", "/v1/messages/"+failed, nil)
	var m api.Message
	r.JSON(t, &m)
	if m.State != smsgw.StateSent {
		t.Fatalf("after retry: %s", r.Body)
	}
	r = e.Do("POST", "/v1/messages/"+failed+"/retry", nil)
	e.Want(r, 409)
	e.Want(e.Do("POST", "/v1/messages/999/retry", nil), 404)
	e.Want(e.Do("POST", "/v1/messages/x/retry", nil), 404)
	e.Want(e.Do("POST", "/v1/messages/"+uncertain+"/retry", nil, "Authorization", "Bearer read"), 403)
	e.Want(e.Do("GET", "/v1/messages/"+uncertain+"/retry", nil), 405)
}
