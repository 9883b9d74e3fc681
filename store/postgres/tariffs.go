package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"smsgw"
	"smsgw/campaign"
	"smsgw/queue"
)

var (
	_ campaign.TariffStore  = (*Store)(nil)
	_ campaign.SpendTotals  = (*Store)(nil)
	_ campaign.BudgetEvents = (*Store)(nil)
)

// Tariffs returns the tariffs set through the API, by modem.
func (s *Store) Tariffs(ctx context.Context) ([]campaign.Tariff, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT modem, prices, free_parts_per_month, budget_day, budget_month FROM tariffs ORDER BY modem`)
	if err != nil {
		return nil, fmt.Errorf("campaign: tariffs: %w", mapErr(err))
	}
	defer rows.Close()
	out := []campaign.Tariff{}
	for rows.Next() {
		var t campaign.Tariff
		var prices string
		var free int64
		var day, month *int64
		if err := rows.Scan(&t.Modem, &prices, &free, &day, &month); err != nil {
			return nil, fmt.Errorf("campaign: tariffs: %w", mapErr(err))
		}
		t.FreePartsPerMonth = int(free)
		if err := json.Unmarshal([]byte(prices), &t.Prices); err != nil {
			return nil, fmt.Errorf("campaign: tariff of %q: prices: %w", t.Modem, err)
		}
		if day != nil {
			m := campaign.Money(*day)
			t.BudgetDay = &m
		}
		if month != nil {
			m := campaign.Money(*month)
			t.BudgetMonth = &m
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign: tariffs: %w", mapErr(err))
	}
	return out, nil
}

func nullMoney(m *campaign.Money) *int64 {
	if m == nil {
		return nil
	}
	v := int64(*m)
	return &v
}

// SetTariff adds or replaces the tariff of t.Modem.
func (s *Store) SetTariff(ctx context.Context, t campaign.Tariff) error {
	prices := t.Prices
	if prices == nil {
		prices = []campaign.Price{}
	}
	b, err := json.Marshal(prices)
	if err != nil {
		return fmt.Errorf("campaign: set tariff: %w", err)
	}
	err = s.write(ctx, func(x *txn) error {
		_, err := x.exec(`INSERT INTO tariffs (modem, prices, free_parts_per_month, budget_day, budget_month, set_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (modem) DO UPDATE SET prices = excluded.prices, free_parts_per_month = excluded.free_parts_per_month,
			budget_day = excluded.budget_day, budget_month = excluded.budget_month, set_at = excluded.set_at`,
			t.Modem, string(b), int64(t.FreePartsPerMonth), nullMoney(t.BudgetDay), nullMoney(t.BudgetMonth), s.opt.Now().UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign: set tariff: %w", mapErr(err))
	}
	return nil
}

// DeleteTariff removes the stored tariff of modem.
func (s *Store) DeleteTariff(ctx context.Context, modem string) error {
	var n int64
	err := s.write(ctx, func(x *txn) error {
		tag, err := x.exec(`DELETE FROM tariffs WHERE modem = $1`, modem)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign: delete tariff: %w", mapErr(err))
	}
	if n == 0 {
		return fmt.Errorf("campaign: tariff of %q: %w", modem, smsgw.ErrNotFound)
	}
	return nil
}

// ModemSpend totals the spend at or after since by modem.
func (s *Store) ModemSpend(ctx context.Context, since time.Time) (map[string]campaign.ModemTotal, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT modem, sum((parts - free_parts) * price)::bigint, sum(parts)::bigint FROM spend WHERE at >= $1 GROUP BY modem`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("campaign: modem spend: %w", mapErr(err))
	}
	defer rows.Close()
	out := map[string]campaign.ModemTotal{}
	for rows.Next() {
		var m string
		var cost, parts int64
		if err := rows.Scan(&m, &cost, &parts); err != nil {
			return nil, fmt.Errorf("campaign: modem spend: %w", mapErr(err))
		}
		out[m] = campaign.ModemTotal{Cost: campaign.Money(cost), Parts: int(parts)}
	}
	return out, rows.Err()
}

// AppendBudgetEvent appends a budget pause or resume to the event outbox.
func (s *Store) AppendBudgetEvent(ctx context.Context, e campaign.BudgetEvent) error {
	t := queue.EventBudgetResumed
	if e.Paused {
		t = queue.EventBudgetPaused
	}
	err := s.write(ctx, func(x *txn) error { return x.appendEvent(t, 0, e) })
	if err != nil {
		return fmt.Errorf("campaign: budget event: %w", mapErr(err))
	}
	return nil
}
