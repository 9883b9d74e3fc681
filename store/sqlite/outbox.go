package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"smsgw/queue"

	"smsgw"
)

func (w *wtx) appendEvent(t queue.EventType, subject int64, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", t, err)
	}
	if _, err := w.exec(`INSERT INTO events (type, subject_id, at, data) VALUES (?, ?, ?, ?)`,
		string(t), subject, w.now, string(b)); err != nil {
		return fmt.Errorf("append %s event: %w", t, err)
	}
	w.wakeEvents = true
	return nil
}

func (w *wtx) messageEvent(t queue.EventType, id int64) error {
	m, err := scanMessage(w.queryRow(`SELECT `+msgCols+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return fmt.Errorf("load %d for event: %w", id, err)
	}
	return w.appendEvent(t, id, queue.MessageEvent{
		ID: m.ID, To: m.To, State: m.State, Reason: m.Reason, Modem: m.Modem, Parts: m.PartsTotal,
		Attempts: m.Attempts, Error: m.Error, ErrorClass: m.ErrorClass, ErrorCode: m.ErrorCode,
		Metadata: m.Metadata, Campaign: m.Campaign, At: msTime(w.now),
	})
}

// AddConsumer registers an event consumer (a webhook, a script) under a
// stable name. A new consumer starts at the end of the outbox: it sees
// events appended from now on. Registering an existing name changes
// nothing, so the daemon calls it at every start.
func (s *Store) AddConsumer(ctx context.Context, name string) error {
	if name == "" || len(name) > 128 {
		return invalid("consumer", "a name has 1 to 128 bytes")
	}
	err := s.write(ctx, true, func(w *wtx) error {
		_, err := w.exec(`INSERT INTO consumers (name, cursor, created_at)
			VALUES (?, (SELECT coalesce(max(id), 0) FROM events), ?) ON CONFLICT (name) DO NOTHING`, name, w.now)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: add consumer %q: %w", name, err)
	}
	return nil
}

// RemoveConsumer forgets a consumer and its pending deliveries.
func (s *Store) RemoveConsumer(ctx context.Context, name string) error {
	err := s.write(ctx, false, func(w *wtx) error {
		if _, err := w.exec(`DELETE FROM deliveries WHERE consumer = ?`, name); err != nil {
			return err
		}
		_, err := w.exec(`DELETE FROM consumers WHERE name = ?`, name)
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
	rows, err := s.rdb.QueryContext(ctx, `SELECT name FROM consumers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("queue: consumers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("queue: consumers: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: consumers: %w", err)
	}
	return out, nil
}

// Backlog returns, for every registered consumer, how many events it has
// not yet acknowledged: those appended after its cursor and its deliveries
// waiting (for their turn, a retry or a lease), given-up ones excluded. A
// growing backlog is a webhook or script that cannot keep up or is down.
func (s *Store) Backlog(ctx context.Context) (map[string]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT c.name,
		(SELECT count(*) FROM events e WHERE e.id > c.cursor) +
		(SELECT count(*) FROM deliveries d WHERE d.consumer = c.name AND d.dead = 0)
		FROM consumers c`)
	if err != nil {
		return nil, fmt.Errorf("queue: backlog: %w", err)
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
		return nil, fmt.Errorf("queue: backlog: %w", err)
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
// it restarts. Delivery is
// at least once: consumers that must not repeat themselves deduplicate on
// Event.ID. When nothing is due, wait on EventsAvailable and the returned
// time.
func (s *Store) NextEvents(ctx context.Context, consumer string, limit int) ([]queue.Delivery, time.Time, error) {
	limit = clampLimit(limit)
	var out []queue.Delivery
	var next int64
	err := s.write(ctx, false, func(w *wtx) error {
		out, next = nil, 0
		var cursor int64
		err := w.queryRow(`SELECT cursor FROM consumers WHERE name = ?`, consumer).Scan(&cursor)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("consumer %q: %w", consumer, smsgw.ErrNotFound)
		}
		if err != nil {
			return err
		}
		// Take ownership of new events: a delivery row each, so their
		// retry state survives restarts.
		var top sql.NullInt64
		if err := w.queryRow(`SELECT max(id) FROM events`).Scan(&top); err != nil {
			return err
		}
		if top.Int64 > cursor {
			if _, err := w.exec(`INSERT INTO deliveries (consumer, event_id, next_at)
				SELECT ?, id, ? FROM events WHERE id > ? AND id <= ?`, consumer, w.now, cursor, top.Int64); err != nil {
				return err
			}
			if _, err := w.exec(`UPDATE consumers SET cursor = ? WHERE name = ?`, top.Int64, consumer); err != nil {
				return err
			}
		}
		rows, err := w.query(`SELECT d.event_id, d.attempts, d.error, e.type, e.subject_id, e.at, e.data
			FROM deliveries d JOIN events e ON e.id = d.event_id
			WHERE d.consumer = ? AND d.dead = 0 AND d.next_at <= ? ORDER BY d.event_id LIMIT ?`, consumer, w.now, limit)
		if err != nil {
			return err
		}
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
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) > 0 {
			// Handed to a webhook or script next: not before the
			// commits that appended them are on disk.
			w.syncFirst()
		}
		lease := w.now + s.opt.EventLease.Milliseconds()
		for _, d := range out {
			if _, err := w.exec(`UPDATE deliveries SET next_at = ?, leased = 1, node = ? WHERE consumer = ? AND event_id = ?`,
				lease, s.opt.Node, consumer, d.ID); err != nil {
				return err
			}
		}
		var n sql.NullInt64
		if err := w.queryRow(`SELECT min(next_at) FROM deliveries WHERE consumer = ? AND dead = 0 AND next_at > ?`,
			consumer, w.now).Scan(&n); err != nil {
			return err
		}
		next = n.Int64
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue: next events for %q: %w", consumer, err)
	}
	return out, msTime(next), nil
}

// AckEvent records that the consumer handled the event.
func (s *Store) AckEvent(ctx context.Context, consumer string, eventID int64) error {
	err := s.write(ctx, false, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM deliveries WHERE consumer = ? AND event_id = ?`, consumer, eventID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
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
	err = s.write(ctx, true, func(w *wtx) error {
		var attempts int
		err := w.queryRow(`SELECT attempts FROM deliveries WHERE consumer = ? AND event_id = ? AND dead = 0`,
			consumer, eventID).Scan(&attempts)
		if errors.Is(err, sql.ErrNoRows) {
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
		_, err = w.exec(`UPDATE deliveries SET attempts = ?, error = ?, next_at = ?, dead = ?, leased = 0 WHERE consumer = ? AND event_id = ?`,
			attempts, errText, next, dead, consumer, eventID)
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
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`UPDATE deliveries SET attempts = attempts + 1, error = ?, next_at = 0, dead = 1, leased = 0
			WHERE consumer = ? AND event_id = ? AND dead = 0`, errText, consumer, eventID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
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
	var n int64
	err := s.write(ctx, false, func(w *wtx) error {
		if _, err := w.exec(`DELETE FROM deliveries WHERE dead = 1
			AND event_id IN (SELECT id FROM events WHERE at < ?)`, before.UnixMilli()); err != nil {
			return err
		}
		res, err := w.exec(`DELETE FROM events WHERE at < ?
			AND id <= (SELECT coalesce(min(cursor), (SELECT max(id) FROM events)) FROM consumers)
			AND id NOT IN (SELECT event_id FROM deliveries)`, before.UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue: prune events: %w", err)
	}
	return n, nil
}

// Events lists outbox events after the given id, oldest first, for
// readers that keep their own position (server-sent events, debugging).
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]queue.Event, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, type, subject_id, at, data FROM events WHERE id > ? ORDER BY id LIMIT ?`,
		after, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("queue: events: %w", err)
	}
	defer rows.Close()
	var out []queue.Event
	for rows.Next() {
		var e queue.Event
		var t, data string
		var at int64
		if err := rows.Scan(&e.ID, &t, &e.SubjectID, &at, &data); err != nil {
			return nil, fmt.Errorf("queue: events: %w", err)
		}
		e.Type, e.At, e.Data = queue.EventType(t), msTime(at), json.RawMessage(data)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: events: %w", err)
	}
	return out, nil
}
