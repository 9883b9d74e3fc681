package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"smsgw"
	"smsgw/queue"
)

var _ queue.Nodes = (*Store)(nil)

// Beat records this node's heartbeat with its modems (the register of
// gateways the fleet-wide modem list reads). It notifies no one.
func (s *Store) Beat(ctx context.Context, modems []smsgw.ModemStatus) error {
	if modems == nil {
		modems = []smsgw.ModemStatus{}
	}
	b, err := json.Marshal(modems)
	if err != nil {
		return fmt.Errorf("queue: beat: %w", err)
	}
	err = s.write(ctx, func(t *txn) error {
		t.quiet = true
		_, err := t.exec(`INSERT INTO nodes (name, started_at, heartbeat_at, modems) VALUES ($1, $2, $2, $3)
			ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, modems = excluded.modems, stopped_at = NULL`,
			s.opt.Node, t.now, string(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: beat: %w", err)
	}
	return nil
}

// Leave records that this node stopped on purpose now; its next
// heartbeat clears it. A node that never beat has no entry to mark.
func (s *Store) Leave(ctx context.Context) error {
	err := s.write(ctx, func(t *txn) error {
		t.quiet = true
		_, err := t.exec(`UPDATE nodes SET stopped_at = $1 WHERE name = $2`, t.now, s.opt.Node)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: leave: %w", err)
	}
	return nil
}

// Nodes returns every registered node, by name, with its last heartbeat
// and the modems it last reported.
func (s *Store) Nodes(ctx context.Context) ([]queue.Node, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT name, heartbeat_at, modems, stopped_at FROM nodes ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("queue: nodes: %w", mapErr(err))
	}
	defer rows.Close()
	out := []queue.Node{}
	for rows.Next() {
		var n queue.Node
		var at int64
		var ms string
		var stopped *int64
		if err := rows.Scan(&n.Name, &at, &ms, &stopped); err != nil {
			return nil, fmt.Errorf("queue: nodes: %w", mapErr(err))
		}
		n.BeatAt = msTime(at)
		if stopped != nil {
			n.StoppedAt = msTime(*stopped)
		}
		if err := json.Unmarshal([]byte(ms), &n.Modems); err != nil {
			return nil, fmt.Errorf("queue: nodes: node %q's modems: %w", n.Name, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: nodes: %w", mapErr(err))
	}
	return out, nil
}
