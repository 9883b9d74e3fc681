package smsgw

import (
	"math/rand/v2"
	"time"
)

// Backoff is the one retry schedule of the gateway: the wait after the
// first failure is Initial, it doubles with every further failure up to
// Max, and a random part of up to Jitter of it is taken off so that a
// burst of failures does not retry in lockstep. The queue's retry policies
// (messages and event deliveries), the hook dispatcher's outbox and the
// Kannel dlr-url callbacks all wait by it.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	// Jitter is the fraction of the wait that may be taken off at random,
	// 0..1 (values outside are clamped).
	Jitter float64
}

// Delay is the wait after the failures-th failure (failures >= 1; below
// counts as 1), with r in [0,1) choosing how much jitter is taken off. It
// is deterministic so that callers holding a transaction can draw r before
// it and tests can pin it.
func (b Backoff) Delay(failures int, r float64) time.Duration {
	d := b.Initial
	for i := 1; i < failures && (b.Max <= 0 || d < b.Max) && d <= maxDuration/2; i++ {
		d *= 2
	}
	if b.Max > 0 {
		d = min(d, b.Max)
	}
	j := min(max(b.Jitter, 0), 1)
	return max(d-time.Duration(float64(d)*j*r), 0)
}

const maxDuration = time.Duration(1<<63 - 1)

// Wait is Delay with the jitter drawn at random.
func (b Backoff) Wait(failures int) time.Duration {
	return b.Delay(failures, rand.Float64())
}
