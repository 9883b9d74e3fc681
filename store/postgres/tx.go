package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"smsgw/queue"
)

// txn is the view a write function gets of its transaction. Besides the
// statements it records what the commit must announce: the Notifier's
// wake-ups go out after the commit (see notifier in notify.go), and events
// are appended last, with ids in transaction order.
type txn struct {
	s   *Store
	tx  pgx.Tx
	ctx context.Context
	now int64 // ms, the gateway's clock at the start of the transaction

	wakeClaimable bool
	optOut        bool
	// quiet: the transaction changes nothing a waiter looks for (a lease
	// renewal), so it sends no notification at all.
	quiet  bool
	events []pendingEvent
}

type pendingEvent struct {
	typ     queue.EventType
	subject int64
	data    []byte
}

// writeTimeout bounds one write transaction, from its start to its commit.
const writeTimeout = 30 * time.Second

// maxTxRetries bounds how often a transaction chosen as a deadlock or
// serialisation victim runs again.
const maxTxRetries = 5

// write runs fn in a transaction, commits it and posts its notification.
// fn may run more than once (when the server picks its transaction as a
// deadlock victim), so it must have no effect outside the transaction
// other than setting its own results, which it resets at its start. An
// error fn returns rolls the transaction back and comes back unchanged;
// database errors come back mapped (see mapErr).
func (s *Store) write(ctx context.Context, fn func(t *txn) error) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Once begun, a transaction runs to its end (bounded by writeTimeout)
	// even if the caller gives up meanwhile: a commit cut off by a
	// cancellation would leave the caller not knowing whether it happened,
	// and an accepted message sent again as new.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	var err error
	for try := 0; try < maxTxRetries; try++ {
		var t *txn
		t, err = s.runTx(tctx, fn)
		if err == nil {
			s.announce(t)
			if payload, ok := t.payload(); ok {
				s.notes.post(payload)
			}
			return nil
		}
		// A deadlock victim runs again; so does a transaction whose
		// connection broke before anything reached the server (the
		// database restarted since the connection was last used).
		if !retryable(err) && !pgconn.SafeToRetry(err) || ctx.Err() != nil {
			break
		}
	}
	if s.closedErr() != nil && unavailable(err) {
		return queue.ErrClosed
	}
	return mapErr(err)
}

func (s *Store) runTx(ctx context.Context, fn func(t *txn) error) (*txn, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		if s.ctx.Err() != nil {
			return nil, queue.ErrClosed
		}
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.Background())
	t := &txn{s: s, tx: tx, ctx: ctx, now: s.nowMs()}
	if err := fn(t); err != nil {
		return nil, err
	}
	if err := t.flushEvents(); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return t, nil
}

// Notification payloads: one letter per kind of change, the Changed
// signal implied by any notification.
const (
	kindClaimable = 'c'
	kindEvents    = 'e'
	kindOptOut    = 'o'
	kindChanged   = 'x'
)

func (t *txn) payload() (string, bool) {
	if t.quiet {
		return "", false
	}
	b := []byte{kindChanged}
	if t.wakeClaimable {
		b = append(b, kindClaimable)
	}
	if len(t.events) > 0 {
		b = append(b, kindEvents)
	}
	if t.optOut {
		b = append(b, kindOptOut)
	}
	return string(b), true
}

// announce wakes this handle's waiters after the commit, before the
// caller returns (the other handles, and this one again, hear the
// notification through their listener).
func (s *Store) announce(t *txn) {
	if t.quiet {
		return
	}
	if t.wakeClaimable {
		s.sig.claimable.fire()
	}
	if len(t.events) > 0 {
		s.sig.events.fire()
	}
	s.sig.changed.fire()
}

// exec, query and queryRow run statements inside the transaction.
func (t *txn) exec(q string, args ...any) (pgconn.CommandTag, error) {
	return t.tx.Exec(t.ctx, q, args...)
}

func (t *txn) query(q string, args ...any) (pgx.Rows, error) {
	return t.tx.Query(t.ctx, q, args...)
}

func (t *txn) queryRow(q string, args ...any) pgx.Row {
	return t.tx.QueryRow(t.ctx, q, args...)
}

// queryIDs runs q and returns the int64 of each row's single column.
func (t *txn) queryIDs(q string, args ...any) ([]int64, error) {
	rows, err := t.tx.Query(t.ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// claimable records that the commit may make a message claimable: the
// claimers of every gateway wake.
func (t *txn) claimable() { t.wakeClaimable = true }

// optedOut records that the transaction applies an opt-out: every handle
// bumps its count of opt-outs when it hears of it, and this one at once,
// so a job claimed before it asks the database again (StillWanted).
func (t *txn) optedOut() {
	t.optOut = true
	t.s.sig.optOuts.Add(1)
}

// appendEvent adds an event to the outbox with the transaction. Events are
// written when the transaction is about to commit, with ids derived from
// the transaction's id (xid * 2^idShift + their place in it): ids follow
// transaction ids, and readers pass an id only once every transaction with
// a smaller xid has ended (see settledTop in outbox.go), so a consumer that
// has read up to an id has seen every event before it, and no appender
// waits for another.
func (t *txn) appendEvent(typ queue.EventType, subject int64, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	t.events = append(t.events, pendingEvent{typ: typ, subject: subject, data: b})
	return nil
}

// messageEvent appends an event describing message id as it now stands.
func (t *txn) messageEvent(typ queue.EventType, id int64) error {
	m, err := scanMessage(t.queryRow(`SELECT `+msgCols+` FROM messages WHERE id = $1`, id))
	if err != nil {
		return fmt.Errorf("load %d for event: %w", id, err)
	}
	return t.appendEvent(typ, id, queue.MessageEvent{
		ID: m.ID, To: m.To, State: m.State, Reason: m.Reason, Modem: m.Modem, Parts: m.PartsTotal,
		Attempts: m.Attempts, Error: m.Error, ErrorClass: m.ErrorClass, ErrorCode: m.ErrorCode,
		Metadata: m.Metadata, Campaign: m.Campaign, At: msTime(t.now),
	})
}

func (t *txn) flushEvents() error {
	if len(t.events) == 0 {
		return nil
	}
	if len(t.events) >= 1<<idShift {
		return fmt.Errorf("append events: %d events in one transaction, at most %d", len(t.events), 1<<idShift-1)
	}
	types := make([]string, len(t.events))
	subjects := make([]int64, len(t.events))
	data := make([]string, len(t.events))
	for i, e := range t.events {
		types[i], subjects[i], data[i] = string(e.typ), e.subject, string(e.data)
	}
	if _, err := t.exec(`INSERT INTO events (id, type, subject_id, at, data)
		SELECT (pg_current_xact_id()::text::bigint << `+strconv.Itoa(idShift)+`) + n, ty, su, $3, da
		FROM unnest($1::text[], $2::bigint[], $4::text[]) WITH ORDINALITY AS e(ty, su, da, n) ORDER BY n`,
		types, subjects, t.now, data); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

// errNoRows reports whether err is a query that found no row.
func errNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
