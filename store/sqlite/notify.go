package sqlite

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// The Notifier of the embedded driver. Every handle a process opens on one
// database file shares one hub, so a commit through any handle wakes the
// waiters of all of them, as a networked driver's notifications would
// (another process writing the same file is not seen: the embedded driver
// serves one daemon).

// hub holds the signals of one database file.
type hub struct {
	file    os.FileInfo
	refs    int
	ready   signal // a message may have become claimable
	events  signal // an event was appended to the outbox
	changed signal // anything committed
	// optOuts counts opt-outs applied (bumped inside their transaction,
	// before the commit), so a claimed job can tell whether one came
	// after its claim without a query.
	optOuts atomic.Uint64
	// created bounds from above the creation time of every message
	// (ms): messages_due leaves out those not due later than their
	// creation, and only while the clock stands behind this mark can
	// one of them be due in the future (see Store.dueAtCreation).
	// createdKnown tells whether it was read from the database yet.
	created      atomic.Int64
	createdKnown atomic.Bool
}

// noteCreated raises the creation mark to ms.
func (h *hub) noteCreated(ms int64) {
	for {
		old := h.created.Load()
		if ms <= old || h.created.CompareAndSwap(old, ms) {
			return
		}
	}
}

var hubs struct {
	mu   sync.Mutex
	list []*hub
}

// joinHub returns the hub of the database file at path, creating it for
// the first handle.
func joinHub(path string) (*hub, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	hubs.mu.Lock()
	defer hubs.mu.Unlock()
	for _, h := range hubs.list {
		if os.SameFile(h.file, fi) {
			h.refs++
			return h, nil
		}
	}
	h := &hub{file: fi, refs: 1}
	hubs.list = append(hubs.list, h)
	return h, nil
}

// leave drops a handle's reference; the last one forgets the hub.
func (h *hub) leave() {
	hubs.mu.Lock()
	defer hubs.mu.Unlock()
	if h.refs--; h.refs > 0 {
		return
	}
	for i, x := range hubs.list {
		if x == h {
			hubs.list = append(hubs.list[:i], hubs.list[i+1:]...)
			break
		}
	}
}

// fireAll wakes every waiter (a handle closing: its waiters must look
// again and find it closed; the others' wake-up is spurious, which the
// Notifier allows).
func (h *hub) fireAll() {
	h.ready.fire()
	h.events.fire()
	h.changed.fire()
}

// closedCh is what a closed handle's Notifier hands out.
var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (s *Store) notifyWait(g *signal) <-chan struct{} {
	if s.ctx.Err() != nil {
		return closedCh
	}
	return g.wait()
}

// Changed returns a channel closed at the next commit that changes anything
// (messages, inbox, events), through this handle or another on the same
// file. Take a new channel after each wake-up.
func (s *Store) Changed() <-chan struct{} { return s.notifyWait(&s.hub.changed) }

// Claimable returns a channel closed at the next commit that may make a
// message claimable.
func (s *Store) Claimable() <-chan struct{} { return s.notifyWait(&s.hub.ready) }

// EventsAvailable returns a channel closed at the next commit that appends
// an event to the outbox.
func (s *Store) EventsAvailable() <-chan struct{} { return s.notifyWait(&s.hub.events) }

// signal is a broadcast: wait returns a channel that fire closes.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (g *signal) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return g.ch
}

func (g *signal) fire() {
	g.mu.Lock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
	g.mu.Unlock()
}
