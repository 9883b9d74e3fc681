package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"smsgw"
	"smsgw/queue"
)

var _ queue.Nodes = (*Store)(nil)

// Beat records that this node is alive now, with its modems. It is not a
// durable write: a beat lost in a power cut is replaced by the next one.
func (s *Store) Beat(ctx context.Context, modems []smsgw.ModemStatus) error {
	if modems == nil {
		modems = []smsgw.ModemStatus{}
	}
	b, err := json.Marshal(modems)
	if err != nil {
		return fmt.Errorf("queue: beat: %w", err)
	}
	err = s.write(ctx, false, func(w *wtx) error {
		_, err := w.exec(`INSERT INTO nodes (name, beat_at, modems) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at, modems = excluded.modems, stopped_at = NULL`,
			s.opt.Node, w.now, string(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: beat: %w", err)
	}
	return nil
}

// Leave records that this node stopped on purpose now; its next beat
// clears it. A node that never beat has no entry to mark.
func (s *Store) Leave(ctx context.Context) error {
	err := s.write(ctx, false, func(w *wtx) error {
		_, err := w.exec(`UPDATE nodes SET stopped_at = ? WHERE name = ?`, w.now, s.opt.Node)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: leave: %w", err)
	}
	return nil
}

// Nodes returns every node that ever beat, by name.
func (s *Store) Nodes(ctx context.Context) ([]queue.Node, error) {
	if s.ctx.Err() != nil {
		return nil, queue.ErrClosed
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, beat_at, modems, stopped_at FROM nodes ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("queue: nodes: %w", err)
	}
	defer rows.Close()
	out := []queue.Node{}
	for rows.Next() {
		var n queue.Node
		var at int64
		var ms string
		var stopped sql.NullInt64
		if err := rows.Scan(&n.Name, &at, &ms, &stopped); err != nil {
			return nil, fmt.Errorf("queue: nodes: %w", err)
		}
		n.BeatAt = msTime(at)
		if stopped.Valid {
			n.StoppedAt = msTime(stopped.Int64)
		}
		if err := json.Unmarshal([]byte(ms), &n.Modems); err != nil {
			return nil, fmt.Errorf("queue: nodes: node %q's modems: %w", n.Name, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: nodes: %w", err)
	}
	return out, nil
}
