package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/hooks"
)

var _ hooks.Registry = (*Store)(nil)

// Webhooks lists the webhooks registered through the API, ordered by id.
// Every gateway sharing the database sees the same ones.
func (s *Store) Webhooks(ctx context.Context) ([]hooks.Registration, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, url, event, device_id FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("queue: webhooks: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hooks.Registration, error) {
		var w hooks.Registration
		err := r.Scan(&w.ID, &w.URL, &w.Event, &w.DeviceID)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("queue: webhooks: %w", mapErr(err))
	}
	if out == nil {
		out = []hooks.Registration{}
	}
	return out, nil
}

// PutWebhook adds r, or replaces the registration with r's id.
func (s *Store) PutWebhook(ctx context.Context, r hooks.Registration) error {
	if r.ID == "" {
		return fmt.Errorf("queue: put webhook: empty id: %w", smsgw.ErrConflict)
	}
	err := s.write(ctx, func(w *txn) error {
		_, err := w.exec(`INSERT INTO webhooks (id, url, event, device_id) VALUES ($1, $2, $3, $4)
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
	err := s.write(ctx, func(w *txn) error {
		tag, err := w.exec(`DELETE FROM webhooks WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return smsgw.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: delete webhook %q: %w", id, err)
	}
	return nil
}
