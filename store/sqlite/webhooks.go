package sqlite

import (
	"context"
	"fmt"

	"smsgw"
	"smsgw/hooks"
)

var _ hooks.Registry = (*Store)(nil)

// Webhooks lists the webhooks registered through the API, ordered by id.
func (s *Store) Webhooks(ctx context.Context) ([]hooks.Registration, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, url, event, device_id FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("queue: webhooks: %w", err)
	}
	defer rows.Close()
	out := []hooks.Registration{}
	for rows.Next() {
		var r hooks.Registration
		if err := rows.Scan(&r.ID, &r.URL, &r.Event, &r.DeviceID); err != nil {
			return nil, fmt.Errorf("queue: webhooks: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: webhooks: %w", err)
	}
	return out, nil
}

// PutWebhook adds r, or replaces the registration with r's id.
func (s *Store) PutWebhook(ctx context.Context, r hooks.Registration) error {
	if r.ID == "" {
		return fmt.Errorf("queue: put webhook: empty id: %w", smsgw.ErrConflict)
	}
	err := s.write(ctx, true, func(w *wtx) error {
		_, err := w.exec(`INSERT INTO webhooks (id, url, event, device_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET url = excluded.url, event = excluded.event, device_id = excluded.device_id`,
			r.ID, r.URL, r.Event, r.DeviceID)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: put webhook %q: %w", r.ID, err)
	}
	return nil
}

// DeleteWebhook removes the registration with this id (smsgw.ErrNotFound
// if there is none).
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM webhooks WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return smsgw.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: delete webhook %q: %w", id, err)
	}
	return nil
}
