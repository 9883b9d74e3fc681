package api_test

import (
	"context"
	"strings"
	"testing"

	"smsgw/api"
)

// TestUnavailableStoreRetryAfter: a send the database cannot take now (here
// a store already closed, as when a networked database is unreachable) is a
// 503 "unavailable" with Retry-After, never a 500, and readyz says why.
func TestUnavailableStoreRetryAfter(t *testing.T) {
	e := newEnv(t, api.Options{})
	if err := e.Q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.Do("POST", "/v1/messages", `{"to":["+4915100000001"],"text":"hi"}`)
	if r.Code != 503 || !strings.Contains(string(r.Body), `"code":"unavailable"`) {
		t.Fatalf("send to a closed store = %d %s; want 503 unavailable", r.Code, r.Body)
	}
	if got := r.Header.Get("Retry-After"); got != "5" {
		t.Fatalf("Retry-After = %q; want \"5\"", got)
	}
	r = e.Do("GET", "/readyz", nil)
	if r.Code != 503 || !strings.Contains(string(r.Body), `"database":"fail`) {
		t.Fatalf("readyz = %d %s; want 503 naming the database", r.Code, r.Body)
	}
}
