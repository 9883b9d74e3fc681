package postgres

import (
	"context"
	"fmt"

	"smsgw"
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

var _ campaign.BudgetStore = (*Store)(nil)

// SetCampaignBudget sets (nil: removes) the budget in a campaign's
// definition.
func (s *Store) SetCampaignBudget(ctx context.Context, id string, budget *campaign.Money) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	var k int64
	err = s.write(ctx, func(t *txn) error {
		q := `UPDATE campaigns SET spec = (spec::jsonb - 'budget')::text, updated_at = $2 WHERE id = $1`
		args := []any{n, s.opt.Now().UnixMilli()}
		if budget != nil {
			q = `UPDATE campaigns SET spec = (spec::jsonb || jsonb_build_object('budget', $3::text))::text, updated_at = $2 WHERE id = $1`
			args = append(args, budget.String())
		}
		tag, err := t.exec(q, args...)
		k = tag.RowsAffected()
		return err
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: set budget: %w", id, mapErr(err))
	}
	if k == 0 {
		return campaign.Campaign{}, fmt.Errorf("campaign %q: %w", id, smsgw.ErrNotFound)
	}
	return s.Campaign(ctx, id)
}
