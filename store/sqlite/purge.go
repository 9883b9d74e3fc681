package sqlite

import (
	"context"
	"fmt"
	"time"

	"smsgw/queue"
)

// purgeChunk bounds the rows one purge transaction deletes, so that a large
// purge never holds the writer for long.
const purgeChunk = 2000

// Purge deletes what is finished and older than before: outbound messages
// in a final state (and sent ones whose report never came) last changed
// before it, with their parts, attempts and idempotency keys; inbox
// messages received before it, with their raw parts; and events no
// consumer still needs. Queued and sending messages are never touched. It
// works in small transactions, so callers (a daily retention job) do not
// stall the queue.
func (s *Store) Purge(ctx context.Context, before time.Time) (queue.Purged, error) {
	cut := before.UnixMilli()
	var total queue.Purged
	for {
		var n int64
		err := s.write(ctx, false, func(w *wtx) error {
			n = 0
			ids, err := w.queryIDs(`SELECT id FROM messages WHERE state IN ('sent','delivered','failed','expired','cancelled','uncertain','suppressed')
				AND updated_at < ? LIMIT ?`, cut, purgeChunk)
			if err != nil {
				return err
			}
			for _, id := range ids {
				for _, q := range []string{
					`DELETE FROM parts WHERE message_id = ?`,
					`DELETE FROM attempts WHERE message_id = ?`,
					`DELETE FROM messages WHERE id = ?`,
				} {
					if _, err := w.exec(q, id); err != nil {
						return err
					}
				}
			}
			n = int64(len(ids))
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("queue: purge messages: %w", err)
		}
		total.Messages += n
		if n < purgeChunk {
			break
		}
	}
	err := s.write(ctx, false, func(w *wtx) error {
		// A key whose messages are all gone can no longer replay anything.
		_, err := w.exec(`DELETE FROM requests WHERE created_at < ? AND NOT EXISTS
			(SELECT 1 FROM messages WHERE id BETWEEN requests.first_id AND requests.first_id + requests.count - 1)`, cut)
		return err
	})
	if err != nil {
		return total, fmt.Errorf("queue: purge idempotency keys: %w", err)
	}
	for {
		var n int64
		err := s.write(ctx, false, func(w *wtx) error {
			if _, err := w.exec(`DELETE FROM inbound_parts WHERE inbox_id IN
				(SELECT id FROM inbox WHERE received_at < ? ORDER BY id LIMIT ?)`, cut, purgeChunk); err != nil {
				return err
			}
			res, err := w.exec(`DELETE FROM inbox WHERE id IN
				(SELECT id FROM inbox WHERE received_at < ? ORDER BY id LIMIT ?)`, cut, purgeChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("queue: purge inbox: %w", err)
		}
		total.Inbox += n
		if n < purgeChunk {
			break
		}
	}
	n, err := s.PruneEvents(ctx, before)
	total.Events = n
	if err != nil {
		return total, err
	}
	return total, nil
}
