package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// The Notifier of the networked driver: after each write transaction
// commits, the store posts a notification on its channel, and each handle
// keeps one connection that LISTENs on it and fires its signals. A handle
// also fires its own signals right after its commits, so its waiters do
// not wait for the round trip.
//
// The NOTIFY is sent after the commit, not inside the transaction: a
// notifying commit takes PostgreSQL's notify-queue lock and holds it
// through its WAL flush, which serialises every writer of the database
// (one commit per fsync). Outside the transaction, a notification can be
// lost when a gateway dies (or its connection breaks) between its commit
// and its NOTIFY. The safety net: every recheckEvery each handle fires its
// Claimable and EventsAvailable signals, so claimers and outbox consumers
// look again at a low frequency and find whatever a lost notification (or
// an event held back behind an older transaction, see settledTop) should
// have woken them for.

// recheckEvery is the safety net's period (see above).
const recheckEvery = 5 * time.Second

// notifier coalesces the letters of the notifications posted by commits:
// while one NOTIFY is on its way, the letters posted meanwhile wait and go
// out in the next one, so a burst of commits sends a few notifications.
type notifier struct {
	mu      sync.Mutex
	pending [4]bool // kindChanged, kindClaimable, kindEvents, kindOptOut
	kick    chan struct{}
}

var notifyKinds = [4]byte{kindChanged, kindClaimable, kindEvents, kindOptOut}

func (n *notifier) post(payload string) {
	n.mu.Lock()
	for i, k := range notifyKinds {
		if strings.IndexByte(payload, k) >= 0 {
			n.pending[i] = true
		}
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// take returns the pending letters as one payload and clears them.
func (n *notifier) take() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var b []byte
	for i, k := range notifyKinds {
		if n.pending[i] {
			b = append(b, k)
			n.pending[i] = false
		}
	}
	return string(b)
}

// notify sends the posted notifications until Close, then the last ones
// still pending, and runs the safety net's periodic re-check.
func (s *Store) notify() {
	defer s.wg.Done()
	tick := time.NewTicker(recheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			s.sendPending(ctx)
			cancel()
			return
		case <-s.notes.kick:
			s.sendPending(s.ctx)
		case <-tick.C:
			s.sig.claimable.fire()
			s.sig.events.fire()
		}
	}
}

func (s *Store) sendPending(ctx context.Context) {
	payload := s.notes.take()
	if payload == "" {
		return
	}
	// A notification is a transaction of its own, which PostgreSQL gives a
	// transaction id and a commit record, holding its notify-queue lock
	// until that record is flushed. It need not be durable (the re-check
	// makes up for one lost in a crash of the server): committed
	// asynchronously, it takes the lock for no flush at all.
	if _, err := s.pool.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`,
		s.channel, payload); err != nil && s.ctx.Err() == nil {
		// The other gateways find the change at their next re-check.
		s.opt.Logger.Warn("queue: postgres: cannot notify the other gateways", "err", err)
	}
}

// signals are the Notifier's broadcasts of one handle.
type signals struct {
	claimable signal
	events    signal
	changed   signal
	// optOuts counts the opt-outs this handle heard of (its own, counted
	// before their commit, and the other gateways').
	optOuts atomic.Uint64
}

func (g *signals) fireAll() {
	g.claimable.fire()
	g.events.fire()
	g.changed.fire()
}

// closedCh is what a closed handle's Notifier hands out.
var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (s *Store) notifyWait(g *signal) <-chan struct{} {
	if s.ctx.Err() != nil {
		return closedCh
	}
	return g.wait()
}

// Changed returns a channel closed at the next commit that changes
// anything, by this gateway or another on the same database. Take a new
// channel after each wake-up.
func (s *Store) Changed() <-chan struct{} { return s.notifyWait(&s.sig.changed) }

// Claimable returns a channel closed at the next commit, by any gateway,
// that may make a message claimable.
func (s *Store) Claimable() <-chan struct{} { return s.notifyWait(&s.sig.claimable) }

// EventsAvailable returns a channel closed at the next commit, by any
// gateway, that appends an event to the outbox.
func (s *Store) EventsAvailable() <-chan struct{} { return s.notifyWait(&s.sig.events) }

// connectListener opens the connection that listens on the store's
// channel (outside the pool: it is held for the store's life).
func (s *Store) connectListener(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("queue: postgres: listen: %w", mapErr(err))
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("queue: postgres: listen: %w", mapErr(err))
	}
	return conn, nil
}

// listen relays notifications to the signals until Close. When the
// connection breaks it connects again (backing off while the database is
// away) and then fires every signal: whatever committed in between is
// found by the waiters looking again.
func (s *Store) listen(conn *pgx.Conn) {
	defer s.wg.Done()
	wait := 100 * time.Millisecond
	for {
		for conn != nil {
			n, err := conn.WaitForNotification(s.ctx)
			if err != nil {
				conn.Close(context.Background())
				conn = nil
				break
			}
			wait = 100 * time.Millisecond
			s.dispatch(n.Payload)
		}
		if s.ctx.Err() != nil {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
		c, err := s.connectListener(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.opt.Logger.Warn("queue: postgres: cannot listen for notifications; retrying", "err", err)
			}
			continue
		}
		conn = c
		s.sig.fireAll()
	}
}

func (s *Store) dispatch(payload string) {
	if strings.IndexByte(payload, kindOptOut) >= 0 {
		s.sig.optOuts.Add(1)
	}
	if strings.IndexByte(payload, kindClaimable) >= 0 {
		s.sig.claimable.fire()
	}
	if strings.IndexByte(payload, kindEvents) >= 0 {
		s.sig.events.fire()
	}
	s.sig.changed.fire()
}

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
