package queue

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	p := RetryPolicy{Backoff: 30 * time.Second, MaxBackoff: 10 * time.Minute, Jitter: 0.2}
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 5: 8 * time.Minute, 6: 10 * time.Minute, 60: 10 * time.Minute} {
		if got := p.delay(n, 0); got != want {
			t.Errorf("delay(%d, 0) = %v, want %v", n, got, want)
		}
		if got := p.delay(n, 0.999999); got < want*8/10 || got > want {
			t.Errorf("delay(%d, max jitter) = %v, want within 20%% below %v", n, got, want)
		}
	}
}
