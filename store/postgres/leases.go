package postgres

import (
	"context"
	"fmt"
	"time"

	"smsgw/queue"
)

// recover registers this node and, at Open, applies the recovery policy
// to the messages its previous process left sending: its own attempts
// (and those without an owner) died with it; another node's are taken
// back only once their lease has run out.
func (s *Store) recover(ctx context.Context) error {
	var n int
	err := s.write(ctx, func(t *txn) error {
		n = 0
		if _, err := t.exec(`INSERT INTO nodes (name, started_at, heartbeat_at) VALUES ($1, $2, $2)
			ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
			s.opt.Node, t.now); err != nil {
			return fmt.Errorf("register node: %w", err)
		}
		ids, err := t.queryIDs(`SELECT id FROM messages m WHERE state = 'sending' AND NOT EXISTS (
			SELECT 1 FROM attempts a WHERE a.message_id = m.id AND a.outcome = ''
			AND a.node NOT IN ('', $1) AND a.lease_until > $2) ORDER BY id FOR UPDATE SKIP LOCKED`, s.opt.Node, t.now)
		if err != nil {
			return err
		}
		n = len(ids)
		if err := s.recoverIDs(t, ids, "the daemon stopped during this attempt"); err != nil {
			return err
		}
		return s.releaseOwnDeliveries(t)
	})
	if err != nil {
		return fmt.Errorf("queue: recover interrupted messages: %w", err)
	}
	if n > 0 {
		s.opt.Logger.Warn("queue: messages were being sent when the daemon stopped", "count", n, "policy", string(s.opt.Recovery))
	}
	return nil
}

// recoverIDs closes the open attempts of the sending messages ids (locked
// by the caller) and applies the recovery policy to them.
func (s *Store) recoverIDs(t *txn, ids []int64, why string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.exec(`UPDATE attempts SET outcome = 'interrupted', error = $2, ended_at = $3
		WHERE message_id = ANY($1) AND outcome = ''`, ids, why, t.now); err != nil {
		return err
	}
	if s.opt.Recovery == queue.AtMostOnce {
		if _, err := t.exec(`UPDATE messages SET state = 'uncertain', reason = $2, updated_at = $3 WHERE id = ANY($1)`,
			ids, queue.ReasonInterrupted, t.now); err != nil {
			return err
		}
		for _, id := range ids {
			if err := t.messageEvent(queue.EventUncertain, id); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := t.exec(`UPDATE messages SET state = 'queued', reason = $2, next_at = $3, updated_at = $3 WHERE id = ANY($1)`,
		ids, queue.ReasonRecovered, t.now); err != nil {
		return err
	}
	t.claimable()
	return nil
}

// RecoverExpired applies the recovery policy to messages whose open attempt
// belongs to another node whose lease has run out (it stopped renewing:
// it died, or lost the database). Messages another transaction holds are
// left for the next round.
func (s *Store) RecoverExpired(ctx context.Context) (int, error) {
	var n int
	err := s.write(ctx, func(t *txn) error {
		n = 0
		ids, err := t.queryIDs(`SELECT m.id FROM messages m WHERE m.state = 'sending' AND EXISTS (
			SELECT 1 FROM attempts a WHERE a.message_id = m.id AND a.outcome = ''
			AND a.node NOT IN ('', $1) AND a.lease_until <= $2)
			ORDER BY m.id FOR UPDATE SKIP LOCKED`, s.opt.Node, t.now)
		if err != nil {
			return err
		}
		n = len(ids)
		if n == 0 {
			t.quiet = true
		}
		return s.recoverIDs(t, ids, "the gateway sending it stopped renewing its lease")
	})
	if err != nil {
		return 0, fmt.Errorf("queue: recover expired leases: %w", err)
	}
	if n > 0 {
		s.opt.Logger.Warn("queue: took back messages another gateway was sending", "count", n, "policy", string(s.opt.Recovery))
	}
	return n, nil
}

// RenewLeases extends the lease of every open attempt and every event
// delivery in progress this node owns, and records the node's heartbeat.
// A delivery keeps at least the rest of its EventLease.
func (s *Store) RenewLeases(ctx context.Context) error {
	err := s.write(ctx, func(t *txn) error {
		t.quiet = true
		until := t.now + s.opt.Lease.Milliseconds()
		if _, err := t.exec(`UPDATE attempts SET lease_until = $1 WHERE node = $2 AND outcome = ''`,
			until, s.opt.Node); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE nodes SET heartbeat_at = $2 WHERE name = $1`, s.opt.Node, t.now); err != nil {
			return err
		}
		return s.renewDeliveries(t, until)
	})
	if err != nil {
		return fmt.Errorf("queue: renew leases: %w", err)
	}
	return nil
}

// Sweep expires queued messages past their deadline and joins the
// received parts that waited too long; it returns the next deadline.
func (s *Store) Sweep(ctx context.Context) (time.Time, error) {
	next, err := s.sweepOutbound(ctx)
	if err != nil {
		return time.Time{}, err
	}
	in, err := s.sweepInbound(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if next.IsZero() || !in.IsZero() && in.Before(next) {
		next = in
	}
	return next, nil
}

// sweepOutbound expires the queued messages past their deadline and
// returns the next expiry.
func (s *Store) sweepOutbound(ctx context.Context) (time.Time, error) {
	var next *int64
	err := s.write(ctx, func(t *txn) error {
		next = nil
		if err := t.expireDue(); err != nil {
			return err
		}
		if len(t.events) == 0 {
			t.quiet = true
		}
		return t.queryRow(`SELECT min(expires_at) FROM messages WHERE state = 'queued' AND expires_at > $1`, t.now).Scan(&next)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: sweep: %w", err)
	}
	if next == nil {
		return time.Time{}, nil
	}
	return msTime(*next), nil
}

// housekeeper runs Sweep when a deadline comes. It sleeps until the
// earliest known deadline; any commit (of any gateway) wakes it to look
// again, since a new message may expire earlier.
func (s *Store) housekeeper() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		changed := s.Changed()
		next, err := s.Sweep(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.opt.Logger.Error("queue: sweep failed", "err", err)
			next = s.opt.Now().Add(10 * time.Second)
		}
		wait := 24 * time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), 0)
		}
		timer.Reset(wait) // Go 1.23 timers: no stale tick to drain
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		case <-changed:
			// A busy fleet commits all the time: look again at most
			// once a second (expiry is not that precise anyway).
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}
