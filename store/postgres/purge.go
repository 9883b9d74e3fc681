package postgres

import (
	"context"
	"fmt"
	"time"

	"smsgw/queue"
)

// purgeChunk bounds the rows one purge transaction deletes, so a large
// purge never holds locks for long.
const purgeChunk = 2000

// Purge deletes what is finished and older than before: outbound messages
// in a final state last changed before it, with their parts, attempts and
// idempotency keys; inbox messages received before it, with their raw
// parts; and events no consumer still needs. Queued and sending messages
// are never touched. It works in small transactions, so several gateways
// purging at once, and the queue meanwhile, do not stall each other.
func (s *Store) Purge(ctx context.Context, before time.Time) (queue.Purged, error) {
	if err := s.closedErr(); err != nil {
		return queue.Purged{}, err
	}
	cut := before.UnixMilli()
	var total queue.Purged
	for {
		var n int64
		err := s.write(ctx, func(t *txn) error {
			// Parts and attempts go with their message (ON DELETE CASCADE).
			tag, err := t.exec(`DELETE FROM messages WHERE id IN (SELECT id FROM messages
				WHERE state IN ('sent','delivered','failed','expired','cancelled','uncertain','suppressed')
				AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, cut, purgeChunk)
			if err != nil {
				return err
			}
			n = tag.RowsAffected()
			if n == 0 {
				t.quiet = true
			}
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
	err := s.write(ctx, func(t *txn) error {
		t.quiet = true
		// A key whose messages are all gone can no longer replay anything.
		_, err := t.exec(`DELETE FROM requests r WHERE created_at < $1 AND NOT EXISTS
			(SELECT 1 FROM messages WHERE id = ANY(r.ids))`, cut)
		return err
	})
	if err != nil {
		return total, fmt.Errorf("queue: purge idempotency keys: %w", err)
	}
	if err := s.purgeInbound(ctx, before, &total); err != nil {
		return total, err
	}
	return total, nil
}
