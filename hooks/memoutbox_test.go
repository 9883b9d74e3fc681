package hooks

import (
	"context"
	"fmt"
	"sync"
	"time"

	"smsgw"
)

// MemOutbox is an in-memory Outbox for the dispatcher's tests; the daemon
// runs on the queue's durable one.
type MemOutbox struct {
	// Backoff is the wait between attempts (short, for tests).
	Backoff smsgw.Backoff
	mu      sync.Mutex
	events  []smsgw.Event
	state   map[string]map[string]*memState // consumer -> event id -> state
	seq     int
	avail   chan struct{} // closed by the next Add
}

type memState struct {
	attempts int
	due      time.Time
	claimed  bool
	finished bool
	Reason   string
}

// NewMemOutbox returns an empty outbox.
func NewMemOutbox() *MemOutbox {
	return &MemOutbox{state: map[string]map[string]*memState{},
		Backoff: smsgw.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Jitter: 0.2}}
}

// Add appends an event, giving it an id when it has none, and returns it.
func (o *MemOutbox) Add(ev smsgw.Event) smsgw.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	if ev.ID == "" {
		ev.ID = fmt.Sprintf("ev-%d", o.seq)
	}
	if ev.Created.IsZero() {
		ev.Created = time.Now()
	}
	o.events = append(o.events, ev)
	if o.avail != nil {
		close(o.avail)
		o.avail = nil
	}
	return ev
}

// EventsAvailable implements Notifier: the channel closes at the next Add.
func (o *MemOutbox) EventsAvailable() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.avail == nil {
		o.avail = make(chan struct{})
	}
	return o.avail
}

func (o *MemOutbox) st(consumer, id string) *memState {
	m := o.state[consumer]
	if m == nil {
		m = map[string]*memState{}
		o.state[consumer] = m
	}
	s := m[id]
	if s == nil {
		s = &memState{}
		m[id] = s
	}
	return s
}

// Claim implements Outbox.
func (o *MemOutbox) Claim(_ context.Context, consumer string, n int) ([]smsgw.Event, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	var out []smsgw.Event
	for _, ev := range o.events {
		if len(out) >= n {
			break
		}
		s := o.st(consumer, ev.ID)
		if s.claimed || s.finished || s.due.After(now) {
			continue
		}
		s.claimed = true
		s.attempts++
		ev.Attempt = s.attempts
		out = append(out, ev)
	}
	return out, nil
}

// Done implements Outbox.
func (o *MemOutbox) Done(_ context.Context, consumer, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.st(consumer, id)
	s.claimed, s.finished, s.Reason = false, true, ""
	return nil
}

// Retry implements Outbox.
func (o *MemOutbox) Retry(_ context.Context, consumer, id, reason string) (time.Time, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.st(consumer, id)
	at := time.Now().Add(o.Backoff.Wait(s.attempts))
	s.claimed, s.due, s.Reason = false, at, reason
	return at, nil
}

// Due returns when id is due again for consumer.
func (o *MemOutbox) Due(consumer, id string) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.st(consumer, id).due
}

// Drop implements Outbox.
func (o *MemOutbox) Drop(_ context.Context, consumer, id, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.st(consumer, id)
	s.claimed, s.finished, s.Reason = false, true, reason
	return nil
}

// NextDue implements Outbox.
func (o *MemOutbox) NextDue(_ context.Context, consumer string) (time.Time, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var best time.Time
	found := false
	for _, ev := range o.events {
		s := o.st(consumer, ev.ID)
		if s.claimed || s.finished {
			continue
		}
		if !found || s.due.Before(best) {
			best, found = s.due, true
		}
	}
	return best, found, nil
}

// Attempts returns how many deliveries of id consumer has started, and the
// last failure reason (for tests and status pages).
func (o *MemOutbox) Attempts(consumer, id string) (int, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.st(consumer, id)
	return s.attempts, s.Reason
}

// Pending returns how many events consumer has not finished.
func (o *MemOutbox) Pending(consumer string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, ev := range o.events {
		if !o.st(consumer, ev.ID).finished {
			n++
		}
	}
	return n
}
