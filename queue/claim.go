package queue

import (
	"context"
	"errors"
	"time"
)

// NotReady is the error TryClaim returns when nothing is ready for the
// modem now. It matches ErrNoMessage with errors.Is; Next, when not zero,
// is when the next message for the modem falls due (or its rate limit
// frees up), and Wait how long that is by the store's clock, so a waiting
// claimer need not ask NextDue.
type NotReady struct {
	Next time.Time
	Wait time.Duration
}

// Error says that nothing is ready.
func (e *NotReady) Error() string { return ErrNoMessage.Error() }

// Is makes a *NotReady match ErrNoMessage.
func (e *NotReady) Is(target error) bool { return target == ErrNoMessage }

// Claimer is what Claim needs from a driver: claims without waiting, and
// the notifier that says when to try again.
type Claimer interface {
	TryClaim(ctx context.Context, co ClaimOptions) (*Job, error)
	NextDue(ctx context.Context, co ClaimOptions) (time.Time, error)
	Claimable() <-chan struct{}
}

// Claim blocks until a message is ready for the modem, then returns it as a
// Job with an open attempt (see TryClaim). It waits on the store's
// Claimable notification, and on a timer for a message due later, never
// polling; the notification is taken before each try, so a commit between
// the try and the wait is not missed. It ends with ctx, or with ErrClosed
// once the store is closed.
func Claim(ctx context.Context, s Claimer, co ClaimOptions) (*Job, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		wake := s.Claimable()
		job, err := s.TryClaim(ctx, co)
		if err == nil {
			return job, nil
		}
		if !errors.Is(err, ErrNoMessage) {
			return nil, err
		}
		var next time.Time
		var wait time.Duration
		var nr *NotReady
		if errors.As(err, &nr) {
			next, wait = nr.Next, nr.Wait
		} else if next, err = s.NextDue(ctx, co); err != nil {
			return nil, err
		} else {
			wait = time.Until(next)
		}
		var tc <-chan time.Time
		if !next.IsZero() {
			d := max(wait, time.Millisecond)
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wake:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}
