package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw/campaign"
)

var _ campaign.SpendStore = (*Store)(nil)

// RecordSpend keeps one message's spend; a second record of it, from any
// gateway, is ignored.
func (s *Store) RecordSpend(ctx context.Context, r campaign.SpendRecord) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.MessageID, 10, 64)
	if err != nil {
		return fmt.Errorf("campaign: spend: message id %q", r.MessageID)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO spend (message_id, at, modem, country, campaign, parts, price, currency)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (message_id) DO NOTHING`,
		id, r.At.UnixMilli(), r.Modem, r.Country, r.Campaign, r.Parts, int64(r.Price), r.Currency)
	if err != nil {
		return fmt.Errorf("campaign: record spend: %w", mapErr(err))
	}
	return nil
}

// Spend totals the spend in [since, until) by day (UTC), modem, campaign
// or country, and currency.
func (s *Store) Spend(ctx context.Context, by string, since, until time.Time) ([]campaign.SpendLine, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	var key string
	switch by {
	case "day":
		key = `to_char(to_timestamp(at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
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
	rows, err := s.pool.Query(ctx, `SELECT `+key+` COLLATE "C", currency COLLATE "C", count(*), sum(parts)::bigint, sum(parts * price)::bigint
		FROM spend WHERE at >= $1 AND at < $2 GROUP BY 1, 2 ORDER BY 1, 2`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("campaign: spend: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (campaign.SpendLine, error) {
		var l campaign.SpendLine
		var cost int64
		err := r.Scan(&l.Key, &l.Currency, &l.Messages, &l.Parts, &cost)
		l.Cost = campaign.Money(cost)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("campaign: spend: %w", mapErr(err))
	}
	if out == nil {
		out = []campaign.SpendLine{}
	}
	return out, nil
}
