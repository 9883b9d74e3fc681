package smsgw

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 10 * time.Second, Jitter: 0.2}
	for _, c := range []struct {
		failures int
		r        float64
		want     time.Duration
	}{
		{0, 0, time.Second},
		{1, 0, time.Second},
		{2, 0, 2 * time.Second},
		{3, 0, 4 * time.Second},
		{4, 0.5, 8*time.Second - 800*time.Millisecond},
		{5, 0, 10 * time.Second},
		{60, 0, 10 * time.Second}, // no overflow past the cap
		{3, 0.999999, 4*time.Second - 799999200*time.Nanosecond},
	} {
		if got := b.Delay(c.failures, c.r); got != c.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", c.failures, c.r, got, c.want)
		}
	}
	if got := (Backoff{Initial: time.Second, Jitter: 5}).Delay(1, 0.5); got != 500*time.Millisecond {
		t.Errorf("jitter above 1 not clamped: %v", got)
	}
	if got := (Backoff{Initial: time.Second, Jitter: -1}).Delay(3, 0.5); got != 4*time.Second {
		t.Errorf("no cap, negative jitter: %v, want 4s", got)
	}
}

func TestBackoffWaitWithinJitter(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: time.Minute, Jitter: 0.2}
	for range 200 {
		if got := b.Wait(3); got > 4*time.Second || got < 3200*time.Millisecond {
			t.Fatalf("Wait(3) = %v, want in [3.2s, 4s]", got)
		}
	}
}
