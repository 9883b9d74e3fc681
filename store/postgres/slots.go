package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"smsgw/queue"
	"smsgw/store/internal/stored"
)

// claimSlot records slot as committed with digest, or reports dup when it
// already is with the same digest. A pending row with other bytes means
// the delete went through but its confirmation was lost (a crash right
// after AT+CMGD): the slot holds a new message, and the row is replaced.
// It is one statement, so two connections committing the same slot at
// once (a sweep and a notification reading it together) store it once:
// the second waits for the first's row and finds it the same.
func (w *txn) claimSlot(modem string, slot *queue.Slot, digest int64) (dup bool, err error) {
	if slot == nil {
		return false, nil
	}
	var one int
	err = w.queryRow(`INSERT INTO inbound_slots AS s (node, modem, storage, idx, digest, committed_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (node, modem, storage, idx) DO UPDATE SET digest = excluded.digest, committed_at = excluded.committed_at
		WHERE s.digest <> excluded.digest
		RETURNING 1`,
		w.s.opt.Node, modem, slot.Storage, slot.Index, digest, w.now).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return true, nil // the row is there with these bytes
	case err != nil:
		return false, fmt.Errorf("record slot: %w", err)
	}
	return false, nil
}

// SlotDeleted records that the message committed from slot is gone from
// the modem (AT+CMGD answered OK, or the slot read as empty): the slot's
// de-duplication row is dropped, so the next message stored there is new.
// Clearing a slot with no row is not an error. The change is not waited
// to disk: lost in a crash of the database server, the row only lingers
// until the next full listing sees the slot empty (SlotsSeen).
func (s *Store) SlotDeleted(ctx context.Context, modem string, slot queue.Slot) error {
	err := s.write(ctx, func(w *txn) error {
		w.quiet = true // nobody waits for a slot record to go
		if err := w.lazyCommit(); err != nil {
			return err
		}
		_, err := w.exec(`DELETE FROM inbound_slots WHERE node = $1 AND modem = $2 AND storage = $3 AND idx = $4`,
			s.opt.Node, modem, slot.Storage, slot.Index)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: clear slot %s/%d of %s: %w", slot.Storage, slot.Index, modem, err)
	}
	return nil
}

// SlotsSeen drops the de-duplication rows of a modem's storage whose index
// is not among present, the indexes a full listing of that storage just
// returned: those slots are empty, so their delete happened even if its
// confirmation never reached SlotDeleted. It returns how many went.
func (s *Store) SlotsSeen(ctx context.Context, modem, storage string, present []int) (int64, error) {
	keep := make([]int64, 0, len(present))
	for _, i := range present {
		keep = append(keep, int64(i))
	}
	var n int64
	err := s.write(ctx, func(w *txn) error {
		w.quiet = true
		if err := w.lazyCommit(); err != nil {
			return err
		}
		tag, err := w.exec(`DELETE FROM inbound_slots WHERE node = $1 AND modem = $2 AND storage = $3
			AND NOT (idx = ANY($4))`, s.opt.Node, modem, storage, keep)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queue: reconcile slots of %s: %w", modem, err)
	}
	return n, nil
}

// AddUndecodable commits an unreadable PDU as an inbox message of its own
// (Undecodable set) with an inbox.received event, and records its slot as
// AddInboundPart does: a re-read of the same slot before SlotDeleted is a
// Duplicate.
func (s *Store) AddUndecodable(ctx context.Context, u queue.Undecodable) (queue.InboundResult, error) {
	switch {
	case u.Modem == "" || len(u.Modem) > 64:
		return queue.InboundResult{}, invalid("modem", "an id has 1 to 64 bytes")
	case u.PDU == "" || len(u.PDU) > 2*queue.MaxPDUBytes:
		return queue.InboundResult{}, invalid("pdu", "%d characters, want 1..%d", len(u.PDU), 2*queue.MaxPDUBytes)
	}
	if err := u.Slot.Validate(); err != nil {
		return queue.InboundResult{}, err
	}
	if len(u.Err) > 1024 {
		u.Err = u.Err[:1024]
	}
	storage, slot := "", -1
	if u.Slot != nil {
		storage, slot = u.Slot.Storage, u.Slot.Index
	}
	var out queue.InboundResult
	err := s.write(ctx, func(w *txn) error {
		out = queue.InboundResult{}
		dup, err := w.claimSlot(u.Modem, u.Slot, stored.Digest([]byte(u.PDU)))
		if err != nil || dup {
			out.Duplicate = dup
			return err
		}
		err = w.queryRow(`INSERT INTO inbox (node, modem, sender, text, coding, ref, parts_total, parts_have, incomplete, error,
			scts, received_at, undecodable, pdu, storage, slot)
			VALUES ($1, $2, '', '', '', 0, 1, 1, false, $3, 0, $4, true, $5, $6, $7) RETURNING id`,
			s.opt.Node, u.Modem, u.Err, w.now, u.PDU, storage, slot).Scan(&out.InboxID)
		if err != nil {
			return fmt.Errorf("insert undecodable message: %w", err)
		}
		ev := queue.InboxEvent{
			ID: out.InboxID, Modem: u.Modem, Complete: true, PartsTotal: 1, PartsReceived: 1, Error: u.Err,
			ReceivedAt: msTime(w.now), Undecodable: true, PDU: u.PDU, Storage: storage,
		}
		if u.Slot != nil {
			ev.Slot = &slot
		}
		return w.appendEvent(queue.EventReceived, out.InboxID, ev)
	})
	if err != nil {
		return queue.InboundResult{}, fmt.Errorf("queue: add undecodable: %w", err)
	}
	return out, nil
}
