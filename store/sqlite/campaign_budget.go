package sqlite

import (
	"context"
	"fmt"

	"smsgw"

	"smsgw/campaign"
)

var _ campaign.BudgetStore = (*Store)(nil)

// CampaignSpend totals the spend of every campaign's messages.
func (s *Store) CampaignSpend(ctx context.Context) (map[string]campaign.Money, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT campaign, sum((parts - free_parts) * price) FROM spend WHERE campaign != '' GROUP BY campaign`)
	if err != nil {
		return nil, fmt.Errorf("campaign: campaign spend: %w", err)
	}
	defer rows.Close()
	out := map[string]campaign.Money{}
	for rows.Next() {
		var id string
		var cost int64
		if err := rows.Scan(&id, &cost); err != nil {
			return nil, fmt.Errorf("campaign: campaign spend: %w", err)
		}
		out[id] = campaign.Money(cost)
	}
	return out, rows.Err()
}

// SetCampaignBudget sets (nil: removes) the budget in a campaign's
// definition.
func (s *Store) SetCampaignBudget(ctx context.Context, id string, budget *campaign.Money) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	err = s.write(ctx, true, func(w *wtx) error {
		var res interface{ RowsAffected() (int64, error) }
		var err error
		if budget == nil {
			res, err = w.exec(`UPDATE campaigns SET spec = json_remove(spec, '$.budget'), updated_at = ? WHERE id = ?`, w.now, n)
		} else {
			res, err = w.exec(`UPDATE campaigns SET spec = json_set(spec, '$.budget', ?), updated_at = ? WHERE id = ?`, budget.String(), w.now, n)
		}
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("campaign %q: %w", clip(id, 40), smsgw.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: set budget: %w", id, err)
	}
	return s.Campaign(ctx, id)
}
