package api_test

import (
	"context"
	"slices"
	"testing"

	"smsgw"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

// ResetModem lets ussdFailing stand in for the whole pool.
func (u ussdFailing) ResetModem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	return u.pool.ResetModem(ctx, id)
}

// TestResetModemRoute: a full-scope token resets a ready modem (202 with
// its status); read and send tokens cannot; an unknown modem is 404 as the
// USSD route answers it, and a modem that is not ready is a conflict.
func TestResetModemRoute(t *testing.T) {
	e := httpdtest.New(t, httpd.Options{Tokens: []httpd.Token{{Secret: "full", Scope: api.ScopeFull}, {Secret: "send", Scope: api.ScopeSend}, {Secret: "read", Scope: api.ScopeRead}}})
	for _, tok := range []string{"read", "send"} {
		r := e.Do("POST", "/v1/modems/m1/reset", nil, "Authorization", "Bearer "+tok)
		e.Want(r, 403)
	}
	if got := e.Modems.Resets(); len(got) != 0 {
		t.Fatalf("a refused request reset %v", got)
	}
	r := e.Do("POST", "/v1/modems/m1/reset", nil, "Authorization", "Bearer full")
	e.Want(r, 202)
	var m smsgw.ModemStatus
	r.JSON(t, &m)
	if m.ID != "m1" || m.State != "recovering" || m.SignalBars != 4 {
		t.Fatalf("reset answer: %s", r.Body)
	}
	if got := e.Modems.Resets(); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("resets: %v", got)
	}

	r = e.Do("POST", "/v1/modems/nope/reset", nil, "Authorization", "Bearer full")
	e.Want(r, 404)
	ussd := e.Do("POST", "/v1/modems/nope/ussd", `{"code":"*100#"}`, "Authorization", "Bearer full")
	rc, _ := r.ErrCode(t)
	uc, _ := ussd.ErrCode(t)
	if rc != uc {
		t.Fatalf("unknown modem: reset answers %q, ussd %q", rc, uc)
	}
	r = e.Do("POST", "/v1/modems/m2/reset", nil, "Authorization", "Bearer full")
	e.Want(r, 409)
	if code, _ := r.ErrCode(t); code != api.CodeConflict {
		t.Fatalf("offline modem: %s", r.Body)
	}
	e.Want(e.Do("GET", "/v1/modems/m1/reset", nil, "Authorization", "Bearer full"), 405)
	if got := e.Modems.Resets(); len(got) != 1 {
		t.Fatalf("resets: %v", got)
	}

	// Without the gateway the route says so.
	e.Rebuild(func(b *api.Backend) { b.Modems = nil })
	e.Want(e.Do("POST", "/v1/modems/m1/reset", nil, "Authorization", "Bearer full"), 503)
}
