package sqlite

import (
	"context"
	"database/sql"
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
	rows, err := s.rdb.QueryContext(ctx, `SELECT modem, prices, free_parts_per_month, budget_day, budget_month FROM tariffs ORDER BY modem`)
	if err != nil {
		return nil, fmt.Errorf("campaign: tariffs: %w", err)
	}
	defer rows.Close()
	out := []campaign.Tariff{}
	for rows.Next() {
		var t campaign.Tariff
		var prices string
		var day, month sql.NullInt64
		if err := rows.Scan(&t.Modem, &prices, &t.FreePartsPerMonth, &day, &month); err != nil {
			return nil, fmt.Errorf("campaign: tariffs: %w", err)
		}
		if err := json.Unmarshal([]byte(prices), &t.Prices); err != nil {
			return nil, fmt.Errorf("campaign: tariff of %q: prices: %w", t.Modem, err)
		}
		if day.Valid {
			m := campaign.Money(day.Int64)
			t.BudgetDay = &m
		}
		if month.Valid {
			m := campaign.Money(month.Int64)
			t.BudgetMonth = &m
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign: tariffs: %w", err)
	}
	return out, nil
}

func nullMoney(m *campaign.Money) any {
	if m == nil {
		return nil
	}
	return int64(*m)
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
	err = s.write(ctx, true, func(w *wtx) error {
		_, err := w.exec(`INSERT INTO tariffs (modem, prices, free_parts_per_month, budget_day, budget_month, set_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (modem) DO UPDATE SET prices = excluded.prices, free_parts_per_month = excluded.free_parts_per_month,
			budget_day = excluded.budget_day, budget_month = excluded.budget_month, set_at = excluded.set_at`,
			t.Modem, string(b), t.FreePartsPerMonth, nullMoney(t.BudgetDay), nullMoney(t.BudgetMonth), w.now)
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign: set tariff: %w", err)
	}
	return nil
}

// DeleteTariff removes the stored tariff of modem.
func (s *Store) DeleteTariff(ctx context.Context, modem string) error {
	var n int64
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM tariffs WHERE modem = ?`, modem)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign: delete tariff: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("campaign: tariff of %q: %w", modem, smsgw.ErrNotFound)
	}
	return nil
}

// ModemSpend totals the spend at or after since by modem.
func (s *Store) ModemSpend(ctx context.Context, since time.Time) (map[string]campaign.ModemTotal, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT modem, sum((parts - free_parts) * price), sum(parts) FROM spend WHERE at >= ? GROUP BY modem`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("campaign: modem spend: %w", err)
	}
	defer rows.Close()
	out := map[string]campaign.ModemTotal{}
	for rows.Next() {
		var m string
		var cost int64
		var parts int
		if err := rows.Scan(&m, &cost, &parts); err != nil {
			return nil, fmt.Errorf("campaign: modem spend: %w", err)
		}
		out[m] = campaign.ModemTotal{Cost: campaign.Money(cost), Parts: parts}
	}
	return out, rows.Err()
}

// AppendBudgetEvent appends a budget pause or resume to the event outbox.
func (s *Store) AppendBudgetEvent(ctx context.Context, e campaign.BudgetEvent) error {
	t := queue.EventBudgetResumed
	if e.Paused {
		t = queue.EventBudgetPaused
	}
	err := s.write(ctx, true, func(w *wtx) error { return w.appendEvent(t, 0, e) })
	if err != nil {
		return fmt.Errorf("campaign: budget event: %w", err)
	}
	return nil
}
