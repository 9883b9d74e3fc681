package postgres

import (
	"context"
	"fmt"

	"smsgw/campaign"
)

var _ campaign.PriceStore = (*Store)(nil)

// Prices returns the price table set through the API; ok is false when
// none was ever set.
func (s *Store) Prices(ctx context.Context) ([]campaign.Price, bool, error) {
	if err := s.closedErr(); err != nil {
		return nil, false, err
	}
	// One statement, so the marker and the rows come from one snapshot
	// even while another gateway replaces the table.
	rows, err := s.pool.Query(ctx, `SELECT p.prefix, p.price_per_part, p.currency FROM price_tables t
		LEFT JOIN prices p ON true ORDER BY p.prefix`)
	if err != nil {
		return nil, false, fmt.Errorf("campaign: prices: %w", mapErr(err))
	}
	set := false
	out := []campaign.Price{}
	for rows.Next() {
		set = true
		var prefix, currency *string
		var v *int64
		if err := rows.Scan(&prefix, &v, &currency); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("campaign: prices: %w", mapErr(err))
		}
		if prefix == nil {
			continue // the table was set empty
		}
		out = append(out, campaign.Price{Prefix: *prefix, PricePerPart: campaign.Money(*v), Currency: *currency})
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("campaign: prices: %w", mapErr(err))
	}
	if !set {
		return nil, false, nil
	}
	return out, true, nil
}

// SetPrices replaces the stored price table in one transaction.
func (s *Store) SetPrices(ctx context.Context, ps []campaign.Price) error {
	prefixes := make([]string, len(ps))
	prices := make([]int64, len(ps))
	currencies := make([]string, len(ps))
	for i, p := range ps {
		prefixes[i], prices[i], currencies[i] = p.Prefix, int64(p.PricePerPart), p.Currency
	}
	err := s.write(ctx, func(t *txn) error {
		// The marker row first: it locks out another gateway's
		// replacement until this one commits.
		if _, err := t.exec(`INSERT INTO price_tables (id, set_at) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET set_at = excluded.set_at`, s.opt.Now().UnixMilli()); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM prices`); err != nil {
			return err
		}
		_, err := t.exec(`INSERT INTO prices (prefix, price_per_part, currency)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])`, prefixes, prices, currencies)
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign: set prices: %w", mapErr(err))
	}
	return nil
}
