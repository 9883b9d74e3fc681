package api

import (
	"sync"
	"testing"
	"time"
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
	if n, _ := e.store.Counts(t.Context()); n[StateQueued] != 1 {
		t.Fatalf("queued %d, want 1", n[StateQueued])
	}
}
