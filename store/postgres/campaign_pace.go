package postgres

import (
	"context"
	"fmt"
	"time"

	"smsgw/campaign"
)

var _ campaign.PaceStore = (*Store)(nil)

// LastSlot returns the latest send-after time of the campaign's queued
// messages: where its pace stands, for every gateway feeding it.
func (s *Store) LastSlot(ctx context.Context, id string) (time.Time, error) {
	if _, err := campaignID(id); err != nil {
		return time.Time{}, err
	}
	var last int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(send_after), 0) FROM messages
		WHERE campaign = $1 AND campaign <> '' AND state = 'queued'`, id).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("campaign %s: last slot: %w", id, err)
	}
	if last == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(last).UTC(), nil
}
