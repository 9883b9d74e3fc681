package sqlite

import (
	"context"
	"fmt"

	"smsgw/campaign"
)

var _ campaign.PriceStore = (*Store)(nil)

// Prices returns the price table set through the API; ok is false when
// none was ever set.
func (s *Store) Prices(ctx context.Context) ([]campaign.Price, bool, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM price_tables`).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("campaign: prices: %w", err)
	}
	if n == 0 {
		return nil, false, nil
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT prefix, price_per_part, currency FROM prices ORDER BY prefix`)
	if err != nil {
		return nil, false, fmt.Errorf("campaign: prices: %w", err)
	}
	defer rows.Close()
	out := []campaign.Price{}
	for rows.Next() {
		var p campaign.Price
		var v int64
		if err := rows.Scan(&p.Prefix, &v, &p.Currency); err != nil {
			return nil, false, fmt.Errorf("campaign: prices: %w", err)
		}
		p.PricePerPart = campaign.Money(v)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("campaign: prices: %w", err)
	}
	return out, true, nil
}

// SetPrices replaces the stored price table in one transaction.
func (s *Store) SetPrices(ctx context.Context, ps []campaign.Price) error {
	err := s.write(ctx, true, func(w *wtx) error {
		if _, err := w.exec(`DELETE FROM prices`); err != nil {
			return err
		}
		if _, err := w.exec(`INSERT INTO price_tables (id, set_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET set_at = excluded.set_at`, w.now); err != nil {
			return err
		}
		for _, p := range ps {
			if _, err := w.exec(`INSERT INTO prices (prefix, price_per_part, currency) VALUES (?, ?, ?)`, p.Prefix, int64(p.PricePerPart), p.Currency); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("campaign: set prices: %w", err)
	}
	return nil
}
