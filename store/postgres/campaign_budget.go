package postgres

import (
	"context"
	"fmt"

	"smsgw/campaign"
)

// CampaignSpend totals the spend of every campaign's messages.
func (s *Store) CampaignSpend(ctx context.Context) (map[string]campaign.Money, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT campaign, sum((parts - free_parts) * price)::bigint FROM spend WHERE campaign <> '' GROUP BY campaign`)
	if err != nil {
		return nil, fmt.Errorf("campaign: campaign spend: %w", mapErr(err))
	}
	defer rows.Close()
	out := map[string]campaign.Money{}
	for rows.Next() {
		var id string
		var cost int64
		if err := rows.Scan(&id, &cost); err != nil {
			return nil, fmt.Errorf("campaign: campaign spend: %w", mapErr(err))
		}
		out[id] = campaign.Money(cost)
	}
	return out, rows.Err()
}
