package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"smsgw"
	"smsgw/campaign"
)

var _ campaign.PaceStore = (*Store)(nil)

// BeginRun starts the next run of a recurring campaign.
func (s *Store) BeginRun(ctx context.Context, id string, from int, at time.Time, missed int) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	err = s.write(ctx, true, func(w *wtx) error {
		var st string
		var run int
		err := w.queryRow(`SELECT state, run FROM campaigns WHERE id = ?`, n).Scan(&st, &run)
		if errors.Is(err, sql.ErrNoRows) {
			return smsgw.ErrNotFound
		}
		if err != nil {
			return err
		}
		if run != from || (campaign.State(st) != campaign.StateScheduled && campaign.State(st) != campaign.StateRunning) {
			return fmt.Errorf("campaign %s is %s at run %d, not waiting after run %d: %w", id, st, run, from, smsgw.ErrConflict)
		}
		_, err = w.exec(`UPDATE campaigns SET run = ?, run_at = ?, missed_runs = missed_runs + ?, expanded = 0, quote = '',
			state = ?, reason = '', updated_at = ? WHERE id = ?`,
			from+1, at.UnixMilli(), missed, string(campaign.StateRunning), w.now, n)
		return err
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: begin run %d: %w", id, from+1, err)
	}
	return s.Campaign(ctx, id)
}

// reopenWindowed puts the recipient of an expired campaign message back to
// pending when its campaign has a send window and still goes on: the
// message expired at the window's close, unsent, and the feeder queues a
// new one when the recipient's window opens again. Done in the expiry's
// transaction, so the recipient is never left expired nor counted final
// in between.
func (w *wtx) reopenWindowed(messageID int64) error {
	_, err := w.exec(`UPDATE campaign_recipients INDEXED BY campaign_recipients_message
		SET state = 'pending', message_id = 0, not_before = 0
		WHERE message_id = ?1 AND message_id != 0 AND state = 'queued' AND EXISTS (SELECT 1 FROM campaigns c
			WHERE c.id = campaign_recipients.campaign_id AND c.run = campaign_recipients.run
			AND c.state IN ('running', 'paused', 'scheduled') AND json_extract(c.spec, '$.window.from') IS NOT NULL)`, messageID)
	if err != nil {
		return fmt.Errorf("message %d: reopen its campaign recipient: %w", messageID, err)
	}
	return nil
}

// LastSlot returns the latest send-after time of the campaign's queued
// messages: where its pace stands.
func (s *Store) LastSlot(ctx context.Context, id string) (time.Time, error) {
	if _, err := campaignID(id); err != nil {
		return time.Time{}, err
	}
	var last int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT coalesce(max(send_after), 0) FROM messages INDEXED BY messages_campaign
		WHERE campaign = ? AND campaign != '' AND state = 'queued'`, id).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("campaign %s: last slot: %w", id, err)
	}
	if last == 0 {
		return time.Time{}, nil
	}
	return msTime(last), nil
}
