package hooks

import (
	"context"
	"errors"
	"sync"

	"smsgw"
)

// FanoutBuffer is how many events a slow subscriber may lag before it is
// cut off (an event-stream client then reconnects with Last-Event-ID and
// gets the gap from the durable outbox).
const FanoutBuffer = 256

// FanoutConsumer is the name of the outbox consumer that feeds a Fanout.
const FanoutConsumer = "api-events"

// Refusals of Fanout.Subscribe.
var (
	ErrFanoutClosed = errors.New("the server is shutting down")
	ErrFanoutFull   = errors.New("too many event streams")
)

// Fanout hands every outbox event to its live subscribers (the HTTP API's
// event streams) without ever blocking the outbox: a subscriber that lags
// FanoutBuffer events is dropped. It is fed by the outbox consumer
// Consumer returns; Close ends every subscription.
type Fanout struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
	done   chan struct{}
}

// Subscription is one subscriber's feed.
type Subscription struct {
	// C carries the events in outbox order.
	C       chan smsgw.Event
	dropped chan struct{}
	once    sync.Once
	cut     func()
}

// Dropped is closed when the subscription was cut off for lagging.
func (s *Subscription) Dropped() <-chan struct{} { return s.dropped }

// NewFanout makes a Fanout with no subscribers.
func NewFanout() *Fanout {
	return &Fanout{subs: map[*Subscription]struct{}{}, done: make(chan struct{})}
}

// Subscribe adds a subscriber, at most max at once (0: no cap). cut, when
// not nil, is called by Close to end a write the subscriber is blocked in.
func (f *Fanout) Subscribe(max int, cut func()) (*Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrFanoutClosed
	}
	if max > 0 && len(f.subs) >= max {
		return nil, ErrFanoutFull
	}
	s := &Subscription{C: make(chan smsgw.Event, FanoutBuffer), dropped: make(chan struct{}), cut: cut}
	f.subs[s] = struct{}{}
	return s, nil
}

// Unsubscribe removes s.
func (f *Fanout) Unsubscribe(s *Subscription) {
	f.mu.Lock()
	delete(f.subs, s)
	f.mu.Unlock()
}

// Publish hands ev to every subscriber; it never blocks.
func (f *Fanout) Publish(ev smsgw.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		select {
		case s.C <- ev:
		default:
			s.once.Do(func() { close(s.dropped) })
			delete(f.subs, s)
		}
	}
}

// Done is closed by Close.
func (f *Fanout) Done() <-chan struct{} { return f.done }

// Subscribers is the number of live subscriptions.
func (f *Fanout) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Consumer is the outbox consumer that feeds the Fanout: one event at a
// time, in order, never retried (a subscriber that missed one replays it
// from the outbox). Every gateway's stream clients see every event, so on
// a shared database each gateway feeds its own Fanout.
func (f *Fanout) Consumer() Consumer {
	return Consumer{Name: FanoutConsumer, Concurrency: 1, MaxAttempts: 1, PerNode: true,
		Deliver: func(_ context.Context, ev smsgw.Event) error {
			f.Publish(ev)
			return nil
		}}
}

// Close ends every subscription, including one blocked writing to a client
// that stopped reading (its cut is called), and refuses new ones. It is
// idempotent and does not block.
func (f *Fanout) Close(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.done)
		for s := range f.subs {
			if s.cut != nil {
				s.cut()
			}
		}
	}
	return nil
}
