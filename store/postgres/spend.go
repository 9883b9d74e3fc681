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
// gateway, is ignored. The parts within the modem's free parts of the
// month are counted under a lock on the modem, so two gateways never share
// the last free part.
func (s *Store) RecordSpend(ctx context.Context, r campaign.SpendRecord) (free int, recorded bool, err error) {
	id, err := strconv.ParseInt(r.MessageID, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("campaign: spend: message id %q", r.MessageID)
	}
	err = s.write(ctx, func(t *txn) error {
		free, recorded = 0, false
		if r.FreePerMonth > 0 {
			if _, err := t.exec(`SELECT pg_advisory_xact_lock(hashtext('smsgw.spend.' || $1))`, r.Modem); err != nil {
				return err
			}
			u := r.At.UTC()
			ms := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
			var used int64
			if err := t.queryRow(`SELECT coalesce(sum(parts), 0)::bigint FROM spend WHERE modem = $1 AND at >= $2 AND at < $3`,
				r.Modem, ms.UnixMilli(), ms.AddDate(0, 1, 0).UnixMilli()).Scan(&used); err != nil {
				return err
			}
			free = min(max(r.FreePerMonth-int(used), 0), r.Parts)
		}
		tag, err := t.exec(`INSERT INTO spend (message_id, at, modem, country, campaign, parts, price, currency, free_parts)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (message_id) DO NOTHING`,
			id, r.At.UnixMilli(), r.Modem, r.Country, r.Campaign, r.Parts, int64(r.Price), r.Currency, free)
		if err != nil {
			return err
		}
		recorded = tag.RowsAffected() == 1
		if !recorded {
			free = 0
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("campaign: record spend: %w", mapErr(err))
	}
	return free, recorded, nil
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
	rows, err := s.pool.Query(ctx, `SELECT `+key+` COLLATE "C", currency COLLATE "C", count(*), sum(parts)::bigint, sum(free_parts)::bigint, sum((parts - free_parts) * price)::bigint
		FROM spend WHERE at >= $1 AND at < $2 GROUP BY 1, 2 ORDER BY 1, 2`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("campaign: spend: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (campaign.SpendLine, error) {
		var l campaign.SpendLine
		var cost int64
		err := r.Scan(&l.Key, &l.Currency, &l.Messages, &l.Parts, &l.FreeParts, &cost)
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
