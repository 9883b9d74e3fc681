package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"smsgw/campaign"
)

var _ campaign.SpendStore = (*Store)(nil)

// RecordSpend keeps one message's spend; a second record of it is ignored.
func (s *Store) RecordSpend(ctx context.Context, r campaign.SpendRecord) error {
	id, err := strconv.ParseInt(r.MessageID, 10, 64)
	if err != nil {
		return fmt.Errorf("campaign: spend: message id %q", r.MessageID)
	}
	err = s.write(ctx, true, func(w *wtx) error {
		_, err := w.exec(`INSERT OR IGNORE INTO spend (message_id, at, modem, country, campaign, parts, price, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.At.UnixMilli(), r.Modem, r.Country, r.Campaign, r.Parts, int64(r.Price), r.Currency)
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign: record spend: %w", err)
	}
	return nil
}

// Spend totals the spend in [since, until) by day (UTC), modem, campaign
// or country, and currency.
func (s *Store) Spend(ctx context.Context, by string, since, until time.Time) ([]campaign.SpendLine, error) {
	var key string
	switch by {
	case "day":
		key = `strftime('%Y-%m-%d', at / 1000, 'unixepoch')`
	case "modem", "campaign", "country":
		key = by
	default:
		return nil, fmt.Errorf("campaign: spend by %q: want day, modem, campaign or country", by)
	}
	lo, hi := int64(0), int64(1<<62)
	if !since.IsZero() {
		lo = since.UnixMilli()
	}
	if !until.IsZero() {
		hi = until.UnixMilli()
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+key+`, currency, count(*), sum(parts), sum(parts * price) FROM spend
		WHERE at >= ? AND at < ? GROUP BY 1, 2 ORDER BY 1, 2`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("campaign: spend: %w", err)
	}
	defer rows.Close()
	out := []campaign.SpendLine{}
	for rows.Next() {
		var l campaign.SpendLine
		var cost int64
		if err := rows.Scan(&l.Key, &l.Currency, &l.Messages, &l.Parts, &cost); err != nil {
			return nil, fmt.Errorf("campaign: spend: %w", err)
		}
		l.Cost = campaign.Money(cost)
		out = append(out, l)
	}
	return out, rows.Err()
}
