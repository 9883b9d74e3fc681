package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"smsgw"
	"smsgw/campaign"
	"smsgw/queue"
	"smsgw/store/internal/stored"
)

var _ campaign.Store = (*Store)(nil)

// holdAt is the next_at of a paused campaign's queued messages: no claim
// reaches it, and resuming puts back what it replaced. It is a time JSON
// can still write (9999-12-31).
const holdAt int64 = 253402214400000

// ReasonHeld and ReasonResumed mark a campaign's queued messages while
// it is paused and after it resumed.
const (
	reasonHeld    = "campaign_paused"
	reasonResumed = "campaign_resumed"
)

const campaignCols = stored.CampaignCols

func scanCampaign(sc scanner) (campaign.Campaign, error) {
	var r stored.Campaign
	if err := sc.Scan(r.Dests()...); err != nil {
		return campaign.Campaign{}, err
	}
	return r.Decode()
}

func campaignID(id string) (int64, error) {
	n, ok := rowID(id)
	if !ok {
		return 0, fmt.Errorf("campaign %q: %w", clip(id, 40), smsgw.ErrNotFound)
	}
	return n, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// AddCampaign stores a new draft.
func (s *Store) AddCampaign(ctx context.Context, sp campaign.Spec) (campaign.Campaign, error) {
	b, err := json.Marshal(sp)
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign: encode: %w", err)
	}
	var id int64
	err = s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`INSERT INTO campaigns (name, spec, state, created_at, updated_at) VALUES (?, ?, 'draft', ?, ?)`,
			sp.Name, string(b), w.now, w.now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign: add: %w", err)
	}
	return s.Campaign(ctx, strconv.FormatInt(id, 10))
}

// Campaign returns one campaign with its counts and cost, read in one
// snapshot.
func (s *Store) Campaign(ctx context.Context, id string) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	defer tx.Rollback()
	c, err := scanCampaign(tx.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE id = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("campaign %s: %w", id, smsgw.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("campaign %s: %w", id, err)
	}
	if err := campaignCounts(ctx, tx, n, &c); err != nil {
		return c, fmt.Errorf("campaign %s: counts: %w", id, err)
	}
	return c, nil
}

// campaignCounts fills the counts and the actual cost of c.
func campaignCounts(ctx context.Context, q querier, id int64, c *campaign.Campaign) error {
	c.Counts = campaign.Counts{}
	rows, err := q.QueryContext(ctx, `SELECT CASE WHEN r.message_id = 0 THEN r.state ELSE coalesce(m.state, 'purged') END AS st, count(*)
		FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
		WHERE r.campaign_id = ? AND r.run = ? GROUP BY st`, id, c.Run)
	if err != nil {
		return err
	}
	for rows.Next() {
		var st string
		var k int
		if err := rows.Scan(&st, &k); err != nil {
			rows.Close()
			return err
		}
		c.Counts.Add(st, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if c.LaunchedAt != nil {
		since := c.LaunchedAt.UnixMilli()
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM campaign_recipients r JOIN consent_numbers n ON n.number = r.number
			WHERE r.campaign_id = ? AND r.run = ? AND n.action = 'opt_out' AND n.at >= ?`, id, c.Run, since).Scan(&c.Counts.OptedOut); err != nil {
			return err
		}
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM campaign_recipients r
			WHERE r.campaign_id = ? AND r.run = ? AND EXISTS (SELECT 1 FROM inbox i WHERE i.sender = r.number AND i.received_at >= ?)`,
			id, c.Run, since).Scan(&c.Counts.Replies); err != nil {
			return err
		}
	}
	var actual, parts int64
	if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(parts * price), 0), coalesce(sum(parts), 0) FROM spend WHERE campaign = ? AND campaign != ''`,
		strconv.FormatInt(id, 10)).Scan(&actual, &parts); err != nil {
		return err
	}
	c.Cost.Actual, c.Cost.SentParts = campaign.Money(actual), int(parts)
	return nil
}

// Campaigns lists campaigns newest first, without counts.
func (s *Store) Campaigns(ctx context.Context, f campaign.ListFilter) ([]campaign.Campaign, error) {
	q := `SELECT ` + campaignCols + ` FROM campaigns WHERE 1`
	var args []any
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if f.After != "" {
		n, ok := rowID(f.After)
		if !ok {
			return nil, invalid("cursor", "not a campaign id")
		}
		q += ` AND id < ?`
		args = append(args, n)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	return s.scanCampaigns(ctx, q, args...)
}

// ActiveCampaigns lists running and scheduled campaigns, oldest first.
func (s *Store) ActiveCampaigns(ctx context.Context) ([]campaign.Campaign, error) {
	return s.scanCampaigns(ctx, `SELECT `+campaignCols+` FROM campaigns INDEXED BY campaigns_state
		WHERE state IN ('running', 'scheduled') ORDER BY id`)
}

func (s *Store) scanCampaigns(ctx context.Context, q string, args ...any) ([]campaign.Campaign, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	defer rows.Close()
	out := []campaign.Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("campaigns: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	return out, nil
}

// campaignState reads a campaign's state inside a write.
func (w *wtx) campaignState(id int64) (campaign.State, error) {
	var st string
	err := w.queryRow(`SELECT state FROM campaigns WHERE id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("campaign %d: %w", id, smsgw.ErrNotFound)
	}
	return campaign.State(st), err
}

func stateIn(st campaign.State, from []campaign.State) bool {
	for _, f := range from {
		if st == f {
			return true
		}
	}
	return false
}

// transition moves campaign id from one of from to to, or fails with
// smsgw.ErrConflict naming its state.
func (w *wtx) transition(id int64, from []campaign.State, to campaign.State, reason string) error {
	st, err := w.campaignState(id)
	if err != nil {
		return err
	}
	if !stateIn(st, from) {
		return fmt.Errorf("campaign %d is %s, it cannot become %s: %w", id, st, to, smsgw.ErrConflict)
	}
	launch := int64(0)
	if st == campaign.StateDraft && (to == campaign.StateRunning || to == campaign.StateScheduled) {
		launch = w.now
	}
	finished := int64(0)
	if to == campaign.StateFinished || to == campaign.StateCancelled {
		finished = w.now
	}
	_, err = w.exec(`UPDATE campaigns SET state = ?, reason = ?, updated_at = ?,
		launched_at = CASE WHEN ? > 0 THEN ? ELSE launched_at END,
		finished_at = CASE WHEN ? > 0 THEN ? ELSE finished_at END WHERE id = ?`,
		string(to), reason, w.now, launch, launch, finished, finished, id)
	return err
}

// SetCampaignState moves a campaign between states.
func (s *Store) SetCampaignState(ctx context.Context, id string, from []campaign.State, to campaign.State, reason string) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	if err := s.write(ctx, true, func(w *wtx) error { return w.transition(n, from, to, reason) }); err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	return s.Campaign(ctx, id)
}

// AddTargets stores recipients; numbers already in the run are ignored.
func (s *Store) AddTargets(ctx context.Context, id string, run int, ts []campaign.Target) (int, error) {
	n, err := campaignID(id)
	if err != nil {
		return 0, err
	}
	rows := make([][7]any, len(ts))
	for i, t := range ts {
		rows[i] = [7]any{t.Number, t.Name, t.TimeZone, t.Text, t.Parts, t.State, t.Reason}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return 0, fmt.Errorf("campaign %s: targets: %w", id, err)
	}
	var added int64
	// Not forced to disk: a crash that loses these rows loses them before
	// MarkExpanded (a later, forced commit), so the expansion runs again.
	err = s.write(ctx, false, func(w *wtx) error {
		res, err := w.exec(`INSERT OR IGNORE INTO campaign_recipients (campaign_id, run, number, name, time_zone, text, parts, state, reason)
			SELECT ?1, ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
				json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]')
			FROM json_each(?3)`, n, run, string(b))
		if err != nil {
			return err
		}
		added, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("campaign %s: add targets: %w", id, err)
	}
	return int(added), nil
}

// MarkExpanded records the run's audience as complete, with its quote.
func (s *Store) MarkExpanded(ctx context.Context, id string, run int, quoted campaign.Cost) error {
	n, err := campaignID(id)
	if err != nil {
		return err
	}
	b, err := json.Marshal(quoted)
	if err != nil {
		return fmt.Errorf("campaign %s: quote: %w", id, err)
	}
	err = s.write(ctx, true, func(w *wtx) error {
		_, err := w.exec(`UPDATE campaigns SET expanded = 1, quote = ?, updated_at = ? WHERE id = ? AND run = ?`, string(b), w.now, n, run)
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign %s: mark expanded: %w", id, err)
	}
	return nil
}

// PendingTargets returns pending recipients due at now, after a cursor.
func (s *Store) PendingTargets(ctx context.Context, id string, run int, now time.Time, after int64, limit int) ([]campaign.Target, error) {
	n, err := campaignID(id)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, number, name, time_zone, text, parts, not_before FROM campaign_recipients
		INDEXED BY campaign_recipients_state
		WHERE campaign_id = ? AND run = ? AND state = 'pending' AND id > ? AND not_before <= ? ORDER BY id LIMIT ?`,
		n, run, after, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: pending: %w", id, err)
	}
	defer rows.Close()
	var out []campaign.Target
	for rows.Next() {
		t := campaign.Target{State: campaign.RecipientPending}
		var nb int64
		if err := rows.Scan(&t.ID, &t.Number, &t.Name, &t.TimeZone, &t.Text, &t.Parts, &nb); err != nil {
			return nil, fmt.Errorf("campaign %s: pending: %w", id, err)
		}
		t.NotBefore = msTime(nb)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign %s: pending: %w", id, err)
	}
	return out, nil
}

// NextPending returns the earliest not-before of the run's pending
// recipients (the zero time for one due at once).
func (s *Store) NextPending(ctx context.Context, id string, run int) (time.Time, bool, error) {
	n, err := campaignID(id)
	if err != nil {
		return time.Time{}, false, err
	}
	var at sql.NullInt64
	if err := s.rdb.QueryRowContext(ctx, `SELECT min(not_before) FROM campaign_recipients INDEXED BY campaign_recipients_state
		WHERE campaign_id = ? AND run = ? AND state = 'pending'`, n, run).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("campaign %s: next pending: %w", id, err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return msTime(at.Int64), true, nil
}

// DeferTargets sets the not-before of pending recipients.
func (s *Store) DeferTargets(ctx context.Context, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	b, _ := json.Marshal(ids)
	err := s.write(ctx, false, func(w *wtx) error {
		_, err := w.exec(`UPDATE campaign_recipients SET not_before = ? WHERE state = 'pending' AND id IN (SELECT value FROM json_each(?))`,
			until.UnixMilli(), string(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("campaign: defer recipients: %w", err)
	}
	return nil
}

// FeedTargets queues the messages of pending recipients of a running
// campaign, each recorded on its recipient in the same transaction.
func (s *Store) FeedTargets(ctx context.Context, c campaign.Campaign, ts []campaign.Target) (int, error) {
	n, err := campaignID(c.ID)
	if err != nil {
		return 0, err
	}
	if len(ts) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(ts))
	byID := make(map[int64]campaign.Target, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
		byID[t.ID] = t
	}
	idList, _ := json.Marshal(ids)
	// Validated once, outside the transaction, as an enqueue is; each
	// recipient's text replaces the first one's.
	p, err := s.prepare(queue.NewMessage{To: []string{ts[0].Number}, Text: ts[0].Text, Priority: c.Priority,
		Modem: c.Modem, Tags: c.Tags, Report: c.DeliveryReport, Category: c.Category, Campaign: c.ID})
	if err != nil {
		return 0, fmt.Errorf("campaign %s: feed: %w", c.ID, err)
	}
	var fed int
	// Not forced to disk: a crash that loses this commit loses the
	// messages and their recipients' marks together (the recipients are
	// fed again), and the first part sent of any of them forces it.
	err = s.write(ctx, false, func(w *wtx) error {
		fed = 0
		st, err := w.campaignState(n)
		if err != nil || st != campaign.StateRunning {
			return err
		}
		still, err := w.queryIDs(`SELECT id FROM campaign_recipients WHERE state = 'pending'
			AND id IN (SELECT value FROM json_each(?)) ORDER BY id`, string(idList))
		if err != nil || len(still) == 0 {
			return err
		}
		q := *p
		q.to = make([]string, len(still))
		for i, rid := range still {
			q.to[i] = byID[rid].Number
		}
		states, reasons, _, err := w.admit(&q)
		if err != nil {
			return err
		}
		rows := make([][7]any, len(still))
		for i, rid := range still {
			t := byID[rid]
			var after, expires int64
			if !t.SendAfter.IsZero() {
				after = t.SendAfter.UnixMilli()
			}
			if !t.NotAfter.IsZero() {
				expires = t.NotAfter.UnixMilli()
			}
			rows[i] = [7]any{q.to[i], string(states[i]), reasons[i], t.Text, after, expires, max(after, w.now)}
		}
		b, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		data, udh, dst, src, class := binaryCols(q.m.Binary)
		res, err := w.exec(insertCampaignMessages, nil, q.m.Coding, q.m.Priority, nil, nil,
			q.m.Modem, q.tags, q.m.Report, q.meta, nil, w.now, string(b), q.m.Flash,
			data, udh, dst, src, class, q.m.PID, string(q.category), q.m.AutoReply, q.m.Campaign)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		first := last - int64(len(still)) + 1
		if err := w.inserted(first, last, states); err != nil {
			return err
		}
		// The i-th recipient (in id order) got the i-th message.
		stillList, _ := json.Marshal(still)
		if _, err := w.exec(`UPDATE campaign_recipients AS r SET state = 'queued', message_id = ?1 + j.key
			FROM json_each(?2) AS j WHERE r.id = j.value`, first, string(stillList)); err != nil {
			return err
		}
		fed = len(still)
		w.wakeReady = true
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("campaign %s: feed: %w", c.ID, err)
	}
	return fed, nil
}

// PauseCampaign pauses a running or scheduled campaign and holds its
// queued messages.
func (s *Store) PauseCampaign(ctx context.Context, id, reason string) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	err = s.write(ctx, true, func(w *wtx) error {
		if err := w.transition(n, []campaign.State{campaign.StateRunning, campaign.StateScheduled}, campaign.StatePaused, reason); err != nil {
			return err
		}
		_, err := w.exec(`UPDATE messages INDEXED BY messages_campaign SET next_at = ?, reason = ?, updated_at = ?
			WHERE campaign = ? AND campaign != '' AND state = 'queued'`, holdAt, reasonHeld, w.now, id)
		return err
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: pause: %w", id, err)
	}
	return s.Campaign(ctx, id)
}

// ResumeCampaign puts a paused campaign back to running and releases its
// held messages.
func (s *Store) ResumeCampaign(ctx context.Context, id string) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	err = s.write(ctx, true, func(w *wtx) error {
		if err := w.transition(n, []campaign.State{campaign.StatePaused}, campaign.StateRunning, ""); err != nil {
			return err
		}
		_, err := w.exec(`UPDATE messages INDEXED BY messages_campaign SET next_at = max(send_after, ?), reason = ?, updated_at = ?
			WHERE campaign = ? AND campaign != '' AND state = 'queued' AND next_at = ?`, w.now, reasonResumed, w.now, id, holdAt)
		w.wakeReady = true
		return err
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: resume: %w", id, err)
	}
	return s.Campaign(ctx, id)
}

// CancelCampaign cancels what of a campaign is not sent yet.
func (s *Store) CancelCampaign(ctx context.Context, id string) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	err = s.write(ctx, true, func(w *wtx) error {
		if err := w.transition(n, []campaign.State{campaign.StateDraft, campaign.StateScheduled, campaign.StateRunning, campaign.StatePaused},
			campaign.StateCancelled, "cancelled"); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE campaign_recipients SET state = 'cancelled', reason = 'cancelled'
			WHERE campaign_id = ? AND state = 'pending'`, n); err != nil {
			return err
		}
		ids, err := w.queryIDs(`SELECT id FROM messages INDEXED BY messages_campaign WHERE campaign = ? AND campaign != '' AND state = 'queued'`, id)
		if err != nil {
			return err
		}
		for _, mid := range ids {
			if err := w.setState(mid, smsgw.StateCancelled, queue.ReasonCancelled); err != nil {
				return err
			}
			if err := w.messageEvent(queue.EventCancelled, mid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: cancel: %w", id, err)
	}
	return s.Campaign(ctx, id)
}

// insertCampaignMessages is insertMessages with each recipient's own
// text, send-after, expiry and due times: rows of [number, state, reason,
// text, send_after, expires_at, next_at].
const insertCampaignMessages = `INSERT INTO messages (recipient, text, coding, priority, send_after, expires_at,
	route_modem, route_tags, report, metadata, state, reason, next_at, created_at, updated_at, flash,
	data, udh, dst_port, src_port, class, pid, category, auto_reply, campaign)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[3]'), ?2, ?3, json_extract(value, '$[4]'), json_extract(value, '$[5]'),
	?6, ?7, ?8, ?9, json_extract(value, '$[1]'), json_extract(value, '$[2]'),
	json_extract(value, '$[6]'), ?11, ?11, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22 FROM json_each(?12)`

// finishedEvent is the payload of the campaign.finished outbox event.
type finishedEvent struct {
	Campaign   string          `json:"campaign"`
	Name       string          `json:"name"`
	Run        int             `json:"run"`
	Counts     campaign.Counts `json:"counts"`
	Cost       campaign.Cost   `json:"cost"`
	FinishedAt time.Time       `json:"finishedAt"`
}

// FinishCampaign finishes a running campaign whose every recipient is
// final, with its event, in one transaction.
func (s *Store) FinishCampaign(ctx context.Context, id string) (bool, error) {
	n, err := campaignID(id)
	if err != nil {
		return false, err
	}
	var done bool
	err = s.write(ctx, true, func(w *wtx) error {
		done = false
		c, err := scanCampaign(w.queryRow(`SELECT `+campaignCols+` FROM campaigns WHERE id = ?`, n))
		if err != nil {
			return err
		}
		if c.State != campaign.StateRunning || !c.Expanded {
			return nil
		}
		var busy int
		if err := w.queryRow(`SELECT EXISTS (SELECT 1 FROM campaign_recipients INDEXED BY campaign_recipients_state
				WHERE campaign_id = ? AND run = ? AND state = 'pending')
			OR EXISTS (SELECT 1 FROM messages INDEXED BY messages_campaign WHERE campaign = ? AND campaign != '' AND state IN ('queued', 'sending'))`,
			n, c.Run, id).Scan(&busy); err != nil {
			return err
		}
		if busy != 0 {
			return nil
		}
		to := campaign.StateFinished
		if c.Repeat != "" {
			to = campaign.StateScheduled // this run is over; the next one waits for its time
		}
		if err := w.transition(n, []campaign.State{campaign.StateRunning}, to, ""); err != nil {
			return err
		}
		if err := campaignCounts(w.ctx, w.tx, n, &c); err != nil {
			return err
		}
		done = true
		return w.appendEvent(queue.EventCampaignFinished, n, finishedEvent{Campaign: id, Name: c.Name, Run: c.Run,
			Counts: c.Counts, Cost: c.Cost, FinishedAt: msTime(w.now)})
	})
	if err != nil {
		return false, fmt.Errorf("campaign %s: finish: %w", id, err)
	}
	return done, nil
}

// Targets pages through the current run's recipients with their outcome.
func (s *Store) Targets(ctx context.Context, id string, after int64, limit int) ([]campaign.RecipientResult, int64, error) {
	n, err := campaignID(id)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	var one int
	if err := s.rdb.QueryRowContext(ctx, `SELECT 1 FROM campaigns WHERE id = ?`, n).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("campaign %s: %w", id, smsgw.ErrNotFound)
	} else if err != nil {
		return nil, 0, fmt.Errorf("campaign %s: recipients: %w", id, err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT r.id, r.number, r.name, r.state, r.reason, r.message_id, r.parts, r.text,
			coalesce(m.state, ''), coalesce(m.reason, ''), coalesce(m.modem, ''), coalesce(m.error, ''), coalesce(m.updated_at, 0)
		FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
		WHERE r.campaign_id = ?1 AND r.run = (SELECT run FROM campaigns WHERE id = ?1) AND r.id > ?2 ORDER BY r.id LIMIT ?3`, n, after, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("campaign %s: recipients: %w", id, err)
	}
	defer rows.Close()
	out := []campaign.RecipientResult{}
	var last int64
	for rows.Next() {
		var r campaign.RecipientResult
		var mid, updated int64
		var mstate, mreason string
		if err := rows.Scan(&last, &r.Number, &r.Name, &r.State, &r.Reason, &mid, &r.Parts, &r.Text,
			&mstate, &mreason, &r.Modem, &r.Error, &updated); err != nil {
			return nil, 0, fmt.Errorf("campaign %s: recipients: %w", id, err)
		}
		if mid != 0 {
			r.MessageID = strconv.FormatInt(mid, 10)
			if mstate != "" {
				r.State, r.Reason = mstate, mreason
				if mstate == string(smsgw.StateQueued) || mstate == string(smsgw.StateSending) {
					r.Reason = ""
				}
			}
			if updated != 0 {
				t := msTime(updated)
				r.Updated = &t
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("campaign %s: recipients: %w", id, err)
	}
	next := int64(0)
	if len(out) == limit {
		next = last
	}
	return out, next, nil
}
