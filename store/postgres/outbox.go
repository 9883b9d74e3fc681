package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/queue"
)

// AddConsumer registers an event consumer (a webhook, a script) under a
// stable name. A new consumer starts at the end of the outbox: it sees
// events appended from now on. Registering an existing name changes
// nothing, so every gateway calls it at every start.
func (s *Store) AddConsumer(ctx context.Context, name string) error {
	if name == "" || len(name) > 128 {
		return invalid("consumer", "a name has 1 to 128 bytes")
	}
	err := s.write(ctx, func(w *txn) error {
		_, err := w.exec(`INSERT INTO consumers (name, cursor, created_at)
			VALUES ($1, (SELECT coalesce(max(id), 0) FROM events), $2) ON CONFLICT (name) DO NOTHING`, name, w.now)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: add consumer %q: %w", name, err)
	}
	return nil
}

// RemoveConsumer forgets a consumer and its pending deliveries.
func (s *Store) RemoveConsumer(ctx context.Context, name string) error {
	err := s.write(ctx, func(w *txn) error {
		// The consumer row first, as NextEvents locks it first.
		if _, err := w.exec(`DELETE FROM consumers WHERE name = $1`, name); err != nil {
			return err
		}
		_, err := w.exec(`DELETE FROM deliveries WHERE consumer = $1`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: remove consumer %q: %w", name, err)
	}
	return nil
}

// Consumers lists the registered consumers by name, so the daemon can
// remove those its configuration no longer runs: a consumer that never
// advances holds back the pruning of every event after its cursor.
func (s *Store) Consumers(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM consumers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("queue: consumers: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("queue: consumers: %w", mapErr(err))
	}
	return out, nil
}

// Backlog returns, for every registered consumer, how many events it has
// not yet acknowledged: those appended after its cursor and its deliveries
// waiting (for their turn, a retry or a lease), given-up ones excluded.
func (s *Store) Backlog(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.name,
		(SELECT count(*) FROM events e WHERE e.id > c.cursor) +
		(SELECT count(*) FROM deliveries d WHERE d.consumer = c.name AND NOT d.dead)
		FROM consumers c`)
	if err != nil {
		return nil, fmt.Errorf("queue: backlog: %w", mapErr(err))
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("queue: backlog: %w", err)
		}
		out[name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: backlog: %w", mapErr(err))
	}
	return out, nil
}

// NextEvents returns up to limit events due for the consumer, oldest
// first, and when the next not-yet-due delivery falls due (zero if none).
// The events returned are leased to this node for Options.EventLease, and
// RenewLeases keeps them with it while it runs: the consumer acknowledges
// each with AckEvent or reports a failure with FailEvent; an event neither
// acknowledged nor failed when the lease runs out is handed out again (to
// any node), and this node's leased events are handed out again as soon as
// it restarts. Delivery is at least once: consumers that must not repeat
// themselves deduplicate on Event.ID. When nothing is due, wait on
// EventsAvailable and the returned time.
//
// Several gateways run the same consumers on one database: each due
// delivery is leased by one of them only. The consumer's row serialises
// taking new events past its cursor; the due deliveries are then locked
// with SKIP LOCKED, so a gateway leasing some never waits for another
// leasing others, and a delivery another gateway leased in the meantime is
// no longer due when its lock is released.
func (s *Store) NextEvents(ctx context.Context, consumer string, limit int) ([]queue.Delivery, time.Time, error) {
	limit = clampLimit(limit)
	var out []queue.Delivery
	var next int64
	// Settled before the transaction takes a transaction id of its own,
	// which would hold the horizon back for as long as it waits.
	top, err := s.settledTop(ctx)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue: next events for %q: %w", consumer, err)
	}
	err = s.write(ctx, func(w *txn) error {
		// Handing out and settling deliveries changes nothing another
		// gateway waits for: no notification (the commit of a new event
		// is what wakes the consumers).
		w.quiet = true
		out, next = nil, 0
		// Lost in a crash of the database server, a lease or an
		// acknowledgement only hands the event out again (at least once).
		if err := w.lazyCommit(); err != nil {
			return err
		}
		var cursor int64
		err := w.queryRow(`SELECT cursor FROM consumers WHERE name = $1`, consumer).Scan(&cursor)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("consumer %q: %w", consumer, smsgw.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if top > cursor {
			if err := w.takeNewEvents(consumer, top); err != nil {
				return err
			}
		}
		rows, err := w.query(`SELECT d.event_id, d.attempts, d.error, e.type, e.subject_id, e.at, e.data
			FROM deliveries d JOIN events e ON e.id = d.event_id
			WHERE d.consumer = $1 AND NOT d.dead AND d.next_at <= $2 ORDER BY d.event_id LIMIT $3
			FOR UPDATE OF d SKIP LOCKED`, consumer, w.now, limit)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, limit)
		for rows.Next() {
			var d queue.Delivery
			var t, data string
			var at int64
			if err := rows.Scan(&d.ID, &d.Attempts, &d.LastError, &t, &d.SubjectID, &at, &data); err != nil {
				rows.Close()
				return err
			}
			d.Type, d.At, d.Data = queue.EventType(t), msTime(at), json.RawMessage(data)
			out = append(out, d)
			ids = append(ids, d.ID)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) > 0 {
			lease := w.now + s.opt.EventLease.Milliseconds()
			if _, err := w.exec(`UPDATE deliveries SET next_at = $1, leased = true, node = $2
				WHERE consumer = $3 AND event_id = ANY($4)`, lease, s.opt.Node, consumer, ids); err != nil {
				return err
			}
		}
		var n *int64
		if err := w.queryRow(`SELECT min(next_at) FROM deliveries WHERE consumer = $1 AND NOT dead AND next_at > $2`,
			consumer, w.now).Scan(&n); err != nil {
			return err
		}
		if n != nil {
			next = *n
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue: next events for %q: %w", consumer, err)
	}
	return out, msTime(next), nil
}

// takeNewEvents gives the consumer a delivery row for each event past its
// cursor up to top (settled: see settledTop), so their retry state
// survives restarts, and moves the cursor. The consumer's row is locked
// first (one gateway at a time moves it) and the cursor read again under
// the lock, as another gateway may have moved it.
func (w *txn) takeNewEvents(consumer string, top int64) error {
	var cursor int64
	err := w.queryRow(`SELECT cursor FROM consumers WHERE name = $1 FOR UPDATE`, consumer).Scan(&cursor)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("consumer %q: %w", consumer, smsgw.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if top <= cursor {
		return nil
	}
	if _, err := w.exec(`INSERT INTO deliveries (consumer, event_id, next_at)
		SELECT $1, id, $2 FROM events WHERE id > $3 AND id <= $4`, consumer, w.now, cursor, top); err != nil {
		return err
	}
	_, err = w.exec(`UPDATE consumers SET cursor = $1 WHERE name = $2`, top, consumer)
	return err
}

// AckEvent records that the consumer handled the event.
func (s *Store) AckEvent(ctx context.Context, consumer string, eventID int64) error {
	err := s.write(ctx, func(w *txn) error {
		w.quiet = true
		if err := w.lazyCommit(); err != nil {
			return err
		}
		tag, err := w.exec(`DELETE FROM deliveries WHERE consumer = $1 AND event_id = $2`, consumer, eventID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("event %d for %q: %w", eventID, consumer, smsgw.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: ack event: %w", err)
	}
	return nil
}

// FailEvent records a failed delivery and schedules the next try with
// exponential backoff and jitter (Options.EventRetry). After MaxAttempts
// failures (when set) the delivery is dead: kept for inspection, never
// retried; retryAt is then zero.
func (s *Store) FailEvent(ctx context.Context, consumer string, eventID int64, errText string) (retryAt time.Time, err error) {
	jitter := rand.Float64()
	var next int64
	err = s.write(ctx, func(w *txn) error {
		w.quiet = true
		var attempts int
		err := w.queryRow(`SELECT attempts FROM deliveries WHERE consumer = $1 AND event_id = $2 AND NOT dead FOR UPDATE`,
			consumer, eventID).Scan(&attempts)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("event %d for %q: %w", eventID, consumer, smsgw.ErrNotFound)
		}
		if err != nil {
			return err
		}
		attempts++
		p := s.opt.EventRetry
		dead := p.MaxAttempts > 0 && attempts >= p.MaxAttempts
		next = w.now + p.Schedule().Delay(attempts, jitter).Milliseconds()
		if dead {
			next = 0
		}
		_, err = w.exec(`UPDATE deliveries SET attempts = $1, error = $2, next_at = $3, dead = $4, leased = false
			WHERE consumer = $5 AND event_id = $6`, attempts, errText, next, dead, consumer, eventID)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: fail event: %w", err)
	}
	return msTime(next), nil
}

// DropEvent gives up on a delivery at once (the receiver refused it for
// good, e.g. a 4xx from a webhook): it is kept as dead, never retried.
func (s *Store) DropEvent(ctx context.Context, consumer string, eventID int64, errText string) error {
	err := s.write(ctx, func(w *txn) error {
		w.quiet = true
		tag, err := w.exec(`UPDATE deliveries SET attempts = attempts + 1, error = $1, next_at = 0, dead = true, leased = false
			WHERE consumer = $2 AND event_id = $3 AND NOT dead`, errText, consumer, eventID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("event %d for %q: %w", eventID, consumer, smsgw.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: drop event: %w", err)
	}
	return nil
}

// PruneEvents deletes events older than before that every consumer has
// taken and none still has to deliver. A dead delivery (given up after its
// attempts, or refused for good) is kept for inspection only that long
// too: it goes with its event, so that one receiver that fails for good
// cannot keep every event for ever. It returns how many events went.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	cut := before.UnixMilli()
	var n int64
	err := s.write(ctx, func(w *txn) error {
		if _, err := w.exec(`DELETE FROM deliveries d USING events e
			WHERE d.dead AND e.id = d.event_id AND e.at < $1`, cut); err != nil {
			return err
		}
		tag, err := w.exec(`DELETE FROM events e WHERE e.at < $1
			AND e.id <= (SELECT coalesce(min(cursor), (SELECT max(id) FROM events)) FROM consumers)
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)`, cut)
		n = tag.RowsAffected()
		w.quiet = n == 0
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queue: prune events: %w", err)
	}
	return n, nil
}

// Events lists outbox events after the given id, oldest first, for
// readers that keep their own position (server-sent events, debugging).
// Only settled events are listed (see settledTop), so a reader paging on
// from the last id it got misses nothing.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]queue.Event, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	top, err := s.settledTop(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue: events: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, type, subject_id, at, data FROM events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`,
		after, top, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("queue: events: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.Event, error) {
		var e queue.Event
		var t, data string
		var at int64
		err := r.Scan(&e.ID, &t, &e.SubjectID, &at, &data)
		e.Type, e.At, e.Data = queue.EventType(t), msTime(at), json.RawMessage(data)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("queue: events: %w", mapErr(err))
	}
	return out, nil
}

// renewDeliveries is RenewLeases' outbox half: every delivery this node
// holds keeps at least until (ms).
func (s *Store) renewDeliveries(t *txn, until int64) error {
	_, err := t.exec(`UPDATE deliveries SET next_at = greatest(next_at, $1) WHERE leased AND node = $2`, until, s.opt.Node)
	return err
}

// releaseOwnDeliveries is recovery's outbox half at Open: the deliveries
// this node's previous process held (and those leased before deliveries
// had an owner) are due again at once; another node's run until their
// lease expires.
func (s *Store) releaseOwnDeliveries(t *txn) error {
	_, err := t.exec(`UPDATE deliveries SET next_at = $1, leased = false WHERE leased AND node IN ('', $2)`, t.now, s.opt.Node)
	return err
}

// idShift: an event's id is its transaction's id (xid8) times 2^idShift
// plus its place in the transaction, so ids follow transaction ids. (Ids
// stay below 2^53, exact in JSON readers, for the first 2^32 transaction
// ids of the cluster.)
const idShift = 20

// settleWait bounds how long a reader waits for older transactions to end
// before it takes the events settled so far (the rest are found at the
// next wake-up or re-check).
const settleWait = 2 * time.Second

// settledTop returns the largest event id a reader may move past: every
// event up to it is committed and no transaction still running can commit
// one below it. A transaction's events carry ids derived from its xid, and
// every transaction still running, or starting later, has an xid at least
// the horizon pg_snapshot_xmin(pg_current_snapshot()): ids below
// horizon * 2^idShift are final. Events already committed above the
// horizon (an older transaction, of any database of the cluster, is still
// running) are waited for, briefly: appending transactions last
// milliseconds, and any write at most writeTimeout. Whatever is still held
// back after settleWait is left for the next call. The wait runs outside
// any transaction: one with an xid of its own would hold the horizon back.
func (s *Store) settledTop(ctx context.Context) (int64, error) {
	deadline := time.Now().Add(settleWait)
	pause := time.Millisecond
	want := int64(-1)
	for {
		var top, settled int64
		err := s.pool.QueryRow(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM events),
			(SELECT coalesce(max(id), 0) FROM events WHERE id < h.lim)
			FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << `+strconv.Itoa(idShift)+` AS lim) h`).
			Scan(&top, &settled)
		if err != nil {
			return 0, mapErr(err)
		}
		if want < 0 {
			// Wait for what was committed when the reader came, not for
			// what keeps coming meanwhile.
			want = top
		}
		if settled >= want || time.Now().After(deadline) {
			return settled, nil
		}
		select {
		case <-ctx.Done():
			return settled, nil
		case <-s.ctx.Done():
			return 0, queue.ErrClosed
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}
