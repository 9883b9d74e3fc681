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
// The parts within the modem's free parts of the month are counted in the
// same transaction, so two records never share the last free part.
func (s *Store) RecordSpend(ctx context.Context, r campaign.SpendRecord) (free int, recorded bool, err error) {
	id, err := strconv.ParseInt(r.MessageID, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("campaign: spend: message id %q", r.MessageID)
	}
	err = s.write(ctx, true, func(w *wtx) error {
		free, recorded = 0, false
		var n int
		if err := w.queryRow(`SELECT count(*) FROM spend WHERE message_id = ?`, id).Scan(&n); err != nil || n > 0 {
			return err
		}
		if r.FreePerMonth > 0 {
			u := r.At.UTC()
			ms := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
			var used int
			if err := w.queryRow(`SELECT coalesce(sum(parts), 0) FROM spend WHERE modem = ? AND at >= ? AND at < ?`,
				r.Modem, ms.UnixMilli(), ms.AddDate(0, 1, 0).UnixMilli()).Scan(&used); err != nil {
				return err
			}
			free = min(max(r.FreePerMonth-used, 0), r.Parts)
		}
		_, err := w.exec(`INSERT INTO spend (message_id, at, modem, country, campaign, parts, price, currency, free_parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.At.UnixMilli(), r.Modem, r.Country, r.Campaign, r.Parts, int64(r.Price), r.Currency, free)
		recorded = err == nil
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("campaign: record spend: %w", err)
	}
	return free, recorded, nil
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
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+key+`, currency, count(*), sum(parts), sum(free_parts), sum((parts - free_parts) * price) FROM spend
		WHERE at >= ? AND at < ? GROUP BY 1, 2 ORDER BY 1, 2`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("campaign: spend: %w", err)
	}
	defer rows.Close()
	out := []campaign.SpendLine{}
	for rows.Next() {
		var l campaign.SpendLine
		var cost int64
		if err := rows.Scan(&l.Key, &l.Currency, &l.Messages, &l.Parts, &l.FreeParts, &cost); err != nil {
			return nil, fmt.Errorf("campaign: spend: %w", err)
		}
		l.Cost = campaign.Money(cost)
		out = append(out, l)
	}
	return out, rows.Err()
}
