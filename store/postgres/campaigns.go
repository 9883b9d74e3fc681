package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/campaign"
	"smsgw/queue"
	"smsgw/store/internal/stored"
)

var _ campaign.Store = (*Store)(nil)

// Every gateway of a fleet may run a feeder over the same campaigns: a
// feed locks the campaign's row for share (a pause or cancel waits for it,
// and it for them) and its recipients' rows, skipping those another
// feeder holds, so each recipient is queued once.

// holdAt is the next_at of a paused campaign's queued messages: no claim
// reaches it, and resuming puts back what it replaced (9999-12-31).
const holdAt int64 = 253402214400000

// Reasons on a campaign's queued messages while it is paused and after it
// resumed.
const (
	reasonHeld    = "campaign_paused"
	reasonResumed = "campaign_resumed"
)

const campaignCols = stored.CampaignCols

func scanCampaign(sc pgx.Row) (campaign.Campaign, error) {
	var r stored.Campaign
	if err := sc.Scan(r.Dests()...); err != nil {
		return campaign.Campaign{}, err
	}
	return r.Decode()
}

func campaignID(id string) (int64, error) {
	n, ok := rowID(id)
	if !ok {
		if len(id) > 40 {
			id = id[:40] + "..."
		}
		return 0, fmt.Errorf("campaign %q: %w", id, smsgw.ErrNotFound)
	}
	return n, nil
}

// AddCampaign stores a new draft.
func (s *Store) AddCampaign(ctx context.Context, sp campaign.Spec) (campaign.Campaign, error) {
	b, err := json.Marshal(sp)
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign: encode: %w", err)
	}
	var id int64
	err = s.write(ctx, func(t *txn) error {
		return t.queryRow(`INSERT INTO campaigns (name, spec, state, created_at, updated_at) VALUES ($1, $2, 'draft', $3, $3)
			RETURNING id`, sp.Name, string(b), t.now).Scan(&id)
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign: add: %w", err)
	}
	return s.Campaign(ctx, strconv.FormatInt(id, 10))
}

// snapshot runs fn in a read-only transaction that sees one snapshot, so
// a campaign and its counts agree with each other.
func (s *Store) snapshot(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback(context.Background())
	if err := fn(tx); err != nil {
		return mapErr(err)
	}
	return mapErr(tx.Commit(ctx))
}

// Campaign returns one campaign with its counts and cost, read in one
// snapshot.
func (s *Store) Campaign(ctx context.Context, id string) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	var c campaign.Campaign
	err = s.snapshot(ctx, func(tx pgx.Tx) error {
		var err error
		c, err = scanCampaign(tx.QueryRow(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE id = $1`, n))
		if errNoRows(err) {
			return smsgw.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := campaignCounts(ctx, tx, n, &c); err != nil {
			return fmt.Errorf("counts: %w", err)
		}
		return nil
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	return c, nil
}

// campaignCounts fills the counts and the actual cost of c.
func campaignCounts(ctx context.Context, q querier, id int64, c *campaign.Campaign) error {
	c.Counts = campaign.Counts{}
	rows, err := q.Query(ctx, `SELECT CASE WHEN r.message_id = 0 THEN r.state ELSE coalesce(m.state, 'purged') END AS st, count(*)
		FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
		WHERE r.campaign_id = $1 AND r.run = $2 GROUP BY 1`, id, c.Run)
	if err != nil {
		return err
	}
	type count struct {
		st string
		n  int
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (count, error) {
		var k count
		err := r.Scan(&k.st, &k.n)
		return k, err
	})
	if err != nil {
		return err
	}
	for _, k := range counts {
		c.Counts.Add(k.st, k.n)
	}
	if c.LaunchedAt != nil {
		since := c.LaunchedAt.UnixMilli()
		if err := q.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients r JOIN consent_numbers n ON n.number = r.number
			WHERE r.campaign_id = $1 AND r.run = $2 AND n.action = 'opt_out' AND n.at >= $3`, id, c.Run, since).Scan(&c.Counts.OptedOut); err != nil {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients r
			WHERE r.campaign_id = $1 AND r.run = $2 AND EXISTS (SELECT 1 FROM inbox i WHERE i.sender = r.number AND i.received_at >= $3)`,
			id, c.Run, since).Scan(&c.Counts.Replies); err != nil {
			return err
		}
	}
	var actual, parts int64
	if err := q.QueryRow(ctx, `SELECT coalesce(sum(parts * price), 0)::bigint, coalesce(sum(parts), 0)::bigint FROM spend
		WHERE campaign = $1 AND campaign <> ''`, strconv.FormatInt(id, 10)).Scan(&actual, &parts); err != nil {
		return err
	}
	c.Cost.Actual, c.Cost.SentParts = campaign.Money(actual), int(parts)
	return nil
}

// Campaigns lists campaigns newest first, without counts.
func (s *Store) Campaigns(ctx context.Context, f campaign.ListFilter) ([]campaign.Campaign, error) {
	q := `SELECT ` + campaignCols + ` FROM campaigns WHERE true`
	var args []any
	if f.State != "" {
		args = append(args, string(f.State))
		q += ` AND state = $` + strconv.Itoa(len(args))
	}
	if f.After != "" {
		n, ok := rowID(f.After)
		if !ok {
			return nil, invalid("cursor", "not a campaign id")
		}
		args = append(args, n)
		q += ` AND id < $` + strconv.Itoa(len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	args = append(args, limit)
	q += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	return s.scanCampaigns(ctx, q, args...)
}

// ActiveCampaigns lists running and scheduled campaigns, oldest first.
func (s *Store) ActiveCampaigns(ctx context.Context) ([]campaign.Campaign, error) {
	return s.scanCampaigns(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE state IN ('running', 'scheduled') ORDER BY id`)
}

func (s *Store) scanCampaigns(ctx context.Context, q string, args ...any) ([]campaign.Campaign, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (campaign.Campaign, error) { return scanCampaign(r) })
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", mapErr(err))
	}
	if out == nil {
		out = []campaign.Campaign{}
	}
	return out, nil
}

// campaignState reads a campaign's state inside a write and locks its row
// (forUpdate: to change it; else for share, so that no change commits
// while the caller feeds it).
func (t *txn) campaignState(id int64, forUpdate bool) (campaign.State, error) {
	lock := ` FOR SHARE`
	if forUpdate {
		lock = ` FOR UPDATE`
	}
	var st string
	err := t.queryRow(`SELECT state FROM campaigns WHERE id = $1`+lock, id).Scan(&st)
	if errNoRows(err) {
		return "", fmt.Errorf("campaign %d: %w", id, smsgw.ErrNotFound)
	}
	return campaign.State(st), err
}

// transition moves campaign id from one of from to to, or fails with
// smsgw.ErrConflict naming its state.
func (t *txn) transition(id int64, from []campaign.State, to campaign.State, reason string) error {
	st, err := t.campaignState(id, true)
	if err != nil {
		return err
	}
	if !slices.Contains(from, st) {
		return fmt.Errorf("campaign %d is %s, it cannot become %s: %w", id, st, to, smsgw.ErrConflict)
	}
	launch := int64(0)
	if st == campaign.StateDraft && (to == campaign.StateRunning || to == campaign.StateScheduled) {
		launch = t.now
	}
	finished := int64(0)
	if to == campaign.StateFinished || to == campaign.StateCancelled {
		finished = t.now
	}
	_, err = t.exec(`UPDATE campaigns SET state = $1, reason = $2, updated_at = $3,
		launched_at = CASE WHEN $4::bigint > 0 THEN $4::bigint ELSE launched_at END,
		finished_at = CASE WHEN $5::bigint > 0 THEN $5::bigint ELSE finished_at END WHERE id = $6`,
		string(to), reason, t.now, launch, finished, id)
	return err
}

// SetCampaignState moves a campaign between states.
func (s *Store) SetCampaignState(ctx context.Context, id string, from []campaign.State, to campaign.State, reason string) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	if err := s.write(ctx, func(t *txn) error { return t.transition(n, from, to, reason) }); err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: %w", id, err)
	}
	return s.Campaign(ctx, id)
}

// lazyCommit lets the transaction's commit return before it is on disk.
// For the campaign writes that are safe to lose in a crash of the
// database server: recipients lost before MarkExpanded (a durable commit)
// are expanded again; a feed lost loses its messages and its recipients'
// marks together (they are fed again), and the commit of any later
// durable transaction, such as the first part sent of one of its
// messages, writes the feed to disk before it.
func (t *txn) lazyCommit() error {
	if _, err := t.exec(`SET LOCAL synchronous_commit TO off`); err != nil {
		return fmt.Errorf("lazy commit: %w", err)
	}
	return nil
}

// AddTargets stores recipients; numbers already in the run are ignored,
// whichever gateway expanded them.
func (s *Store) AddTargets(ctx context.Context, id string, run int, ts []campaign.Target) (int, error) {
	n, err := campaignID(id)
	if err != nil {
		return 0, err
	}
	numbers, names, zones, texts, states, reasons := make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts)),
		make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts))
	parts := make([]int32, len(ts))
	for i, t := range ts {
		numbers[i], names[i], zones[i], texts[i], states[i], reasons[i] = t.Number, t.Name, t.TimeZone, t.Text, t.State, t.Reason
		parts[i] = int32(t.Parts)
	}
	var added int64
	err = s.write(ctx, func(t *txn) error {
		if err := t.lazyCommit(); err != nil {
			return err
		}
		tag, err := t.exec(`INSERT INTO campaign_recipients (campaign_id, run, number, name, time_zone, text, parts, state, reason)
			SELECT $1, $2, nu, na, tz, tx, pa, st, re
			FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[]) WITH ORDINALITY
				AS u(nu, na, tz, tx, pa, st, re, i)
			ORDER BY i
			ON CONFLICT (campaign_id, run, number) DO NOTHING`, n, run, numbers, names, zones, texts, parts, states, reasons)
		added = tag.RowsAffected()
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
	err = s.write(ctx, func(t *txn) error {
		_, err := t.exec(`UPDATE campaigns SET expanded = true, quote = $1, updated_at = $2 WHERE id = $3 AND run = $4`,
			string(b), t.now, n, run)
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
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, number, name, time_zone, text, parts, not_before FROM campaign_recipients
		WHERE campaign_id = $1 AND run = $2 AND state = 'pending' AND id > $3 AND not_before <= $4 ORDER BY id LIMIT $5`,
		n, run, after, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: pending: %w", id, mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (campaign.Target, error) {
		t := campaign.Target{State: campaign.RecipientPending}
		var nb int64
		err := r.Scan(&t.ID, &t.Number, &t.Name, &t.TimeZone, &t.Text, &t.Parts, &nb)
		t.NotBefore = msTime(nb)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("campaign %s: pending: %w", id, mapErr(err))
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
	if err := s.closedErr(); err != nil {
		return time.Time{}, false, err
	}
	var at *int64
	if err := s.pool.QueryRow(ctx, `SELECT min(not_before) FROM campaign_recipients
		WHERE campaign_id = $1 AND run = $2 AND state = 'pending'`, n, run).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("campaign %s: next pending: %w", id, mapErr(err))
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	return msTime(*at), true, nil
}

// DeferTargets sets the not-before of pending recipients.
func (s *Store) DeferTargets(ctx context.Context, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(t *txn) error {
		_, err := t.exec(`UPDATE campaign_recipients SET not_before = $1 WHERE state = 'pending' AND id = ANY ($2)`,
			until.UnixMilli(), ids)
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
	// Validated once, outside the transaction, as an enqueue is; each
	// recipient's text replaces the first one's.
	p, err := s.prepare(queue.NewMessage{To: []string{ts[0].Number}, Text: ts[0].Text, Priority: c.Priority,
		Modem: c.Modem, Tags: c.Tags, Report: c.DeliveryReport, Category: c.Category, Campaign: c.ID})
	if err != nil {
		return 0, fmt.Errorf("campaign %s: feed: %w", c.ID, err)
	}
	tags := p.tags
	if tags == nil {
		tags = []string{}
	}
	data, udh, dst, src, class := binaryCols(p.m.Binary)
	var fed int
	err = s.write(ctx, func(t *txn) error {
		fed = 0
		if err := t.lazyCommit(); err != nil {
			return err
		}
		st, err := t.campaignState(n, false)
		if err != nil || st != campaign.StateRunning {
			return err
		}
		// Rows another gateway's feeder holds are its to queue.
		still, err := t.queryIDs(`SELECT id FROM campaign_recipients WHERE campaign_id = $1 AND state = 'pending'
			AND id = ANY ($2) ORDER BY id FOR UPDATE SKIP LOCKED`, n, ids)
		if err != nil || len(still) == 0 {
			return err
		}
		to := make([]string, len(still))
		for i, rid := range still {
			to[i] = byID[rid].Number
		}
		states, reasons, err := s.admitRecipients(t.ctx, t.tx, to, p.category, p.m.AutoReply)
		if err != nil {
			return err
		}
		msgIDs, err := t.queryIDs(`SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, $1)`, len(still))
		if err != nil {
			return fmt.Errorf("allocate ids: %w", err)
		}
		slices.Sort(msgIDs)
		st2, texts := make([]string, len(still)), make([]string, len(still))
		after, expires, next := make([]int64, len(still)), make([]int64, len(still)), make([]int64, len(still))
		for i, rid := range still {
			tg := byID[rid]
			st2[i], texts[i] = string(states[i]), tg.Text
			after[i], expires[i] = timeMs(tg.SendAfter), timeMs(tg.NotAfter)
			next[i] = max(after[i], t.now)
		}
		if _, err := t.exec(`INSERT INTO messages (id, recipient, state, reason, text, send_after, expires_at, next_at,
			coding, priority, route_modem, route_tags, report, metadata, created_at, updated_at, flash,
			data, udh, dst_port, src_port, class, pid, category, auto_reply, campaign)
			SELECT i, r, s, rs, tx, sa, ea, na, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[])
				AS u(i, r, s, rs, tx, sa, ea, na)`,
			msgIDs, to, st2, reasons, texts, after, expires, next,
			p.m.Coding, p.m.Priority, p.m.Modem, tags, p.m.Report, p.meta, t.now, p.m.Flash,
			data, udh, dst, src, class, p.m.PID, string(p.category), p.m.AutoReply, c.ID); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if _, err := t.exec(`UPDATE campaign_recipients r SET state = 'queued', message_id = u.m
			FROM unnest($1::bigint[], $2::bigint[]) AS u(id, m) WHERE r.id = u.id`, still, msgIDs); err != nil {
			return err
		}
		fed = len(still)
		t.claimable()
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
	err = s.write(ctx, func(t *txn) error {
		if err := t.transition(n, []campaign.State{campaign.StateRunning, campaign.StateScheduled}, campaign.StatePaused, reason); err != nil {
			return err
		}
		// A message a gateway claims at this moment is locked by its
		// claim: it is sending once this waits for it, and is no longer
		// held back here.
		_, err := t.exec(`UPDATE messages SET next_at = $1, reason = $2, updated_at = $3
			WHERE campaign = $4 AND campaign <> '' AND state = 'queued'`, holdAt, reasonHeld, t.now, id)
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
	err = s.write(ctx, func(t *txn) error {
		if err := t.transition(n, []campaign.State{campaign.StatePaused}, campaign.StateRunning, ""); err != nil {
			return err
		}
		_, err := t.exec(`UPDATE messages SET next_at = greatest(send_after, $1), reason = $2, updated_at = $1
			WHERE campaign = $3 AND campaign <> '' AND state = 'queued' AND next_at = $4`, t.now, reasonResumed, id, holdAt)
		t.claimable()
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
	err = s.write(ctx, func(t *txn) error {
		if err := t.transition(n, []campaign.State{campaign.StateDraft, campaign.StateScheduled, campaign.StateRunning, campaign.StatePaused},
			campaign.StateCancelled, "cancelled"); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE campaign_recipients SET state = 'cancelled', reason = 'cancelled'
			WHERE campaign_id = $1 AND state = 'pending'`, n); err != nil {
			return err
		}
		ids, err := t.queryIDs(`UPDATE messages SET state = 'cancelled', reason = $1, updated_at = $2
			WHERE campaign = $3 AND campaign <> '' AND state = 'queued' RETURNING id`, queue.ReasonCancelled, t.now, id)
		if err != nil {
			return err
		}
		slices.Sort(ids)
		for _, mid := range ids {
			if err := t.messageEvent(queue.EventCancelled, mid); err != nil {
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
// final, with its event, in one transaction: of several gateways trying
// at once, one finishes it.
func (s *Store) FinishCampaign(ctx context.Context, id string) (bool, error) {
	n, err := campaignID(id)
	if err != nil {
		return false, err
	}
	var done bool
	err = s.write(ctx, func(t *txn) error {
		done = false
		c, err := scanCampaign(t.queryRow(`SELECT `+campaignCols+` FROM campaigns WHERE id = $1 FOR UPDATE`, n))
		if errNoRows(err) {
			return smsgw.ErrNotFound
		}
		if err != nil {
			return err
		}
		if c.State != campaign.StateRunning || !c.Expanded {
			return nil
		}
		var busy bool
		if err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM campaign_recipients
				WHERE campaign_id = $1 AND run = $2 AND state = 'pending')
			OR EXISTS (SELECT 1 FROM messages WHERE campaign = $3 AND campaign <> '' AND state IN ('queued', 'sending'))`,
			n, c.Run, id).Scan(&busy); err != nil {
			return err
		}
		if busy {
			return nil
		}
		to := campaign.StateFinished
		if c.Repeat != "" {
			to = campaign.StateScheduled // this run is over; the next one waits for its time
		}
		if err := t.transition(n, []campaign.State{campaign.StateRunning}, to, ""); err != nil {
			return err
		}
		if err := campaignCounts(t.ctx, t.tx, n, &c); err != nil {
			return err
		}
		done = true
		return t.appendEvent(queue.EventCampaignFinished, n, finishedEvent{Campaign: id, Name: c.Name, Run: c.Run,
			Counts: c.Counts, Cost: c.Cost, FinishedAt: msTime(t.now)})
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
	if err := s.closedErr(); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	var known bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = $1)`, n).Scan(&known); err != nil {
		return nil, 0, fmt.Errorf("campaign %s: recipients: %w", id, mapErr(err))
	}
	if !known {
		return nil, 0, fmt.Errorf("campaign %s: %w", id, smsgw.ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.number, r.name, r.state, r.reason, r.message_id, r.parts, r.text,
			coalesce(m.state, ''), coalesce(m.reason, ''), coalesce(m.modem, ''), coalesce(m.error, ''), coalesce(m.updated_at, 0)
		FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
		WHERE r.campaign_id = $1 AND r.run = (SELECT run FROM campaigns WHERE id = $1) AND r.id > $2 ORDER BY r.id LIMIT $3`, n, after, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("campaign %s: recipients: %w", id, mapErr(err))
	}
	var last int64
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (campaign.RecipientResult, error) {
		var r campaign.RecipientResult
		var mid, updated int64
		var mstate, mreason string
		if err := row.Scan(&last, &r.Number, &r.Name, &r.State, &r.Reason, &mid, &r.Parts, &r.Text,
			&mstate, &mreason, &r.Modem, &r.Error, &updated); err != nil {
			return r, err
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
		return r, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("campaign %s: recipients: %w", id, mapErr(err))
	}
	if out == nil {
		out = []campaign.RecipientResult{}
	}
	next := int64(0)
	if len(out) == limit {
		next = last
	}
	return out, next, nil
}

// BeginRun starts the next run of a recurring campaign; of several
// gateways' feeders trying at once, one begins it and the others get
// smsgw.ErrConflict.
func (s *Store) BeginRun(ctx context.Context, id string, from int, at time.Time, missed int) (campaign.Campaign, error) {
	n, err := campaignID(id)
	if err != nil {
		return campaign.Campaign{}, err
	}
	err = s.write(ctx, func(t *txn) error {
		var st string
		var run int
		err := t.queryRow(`SELECT state, run FROM campaigns WHERE id = $1 FOR UPDATE`, n).Scan(&st, &run)
		if errNoRows(err) {
			return smsgw.ErrNotFound
		}
		if err != nil {
			return err
		}
		if run != from || (campaign.State(st) != campaign.StateScheduled && campaign.State(st) != campaign.StateRunning) {
			return fmt.Errorf("campaign %s is %s at run %d, not waiting after run %d: %w", id, st, run, from, smsgw.ErrConflict)
		}
		_, err = t.exec(`UPDATE campaigns SET run = $1, run_at = $2, missed_runs = missed_runs + $3, expanded = false, quote = '',
			state = $4, reason = '', updated_at = $5 WHERE id = $6`,
			from+1, at.UnixMilli(), missed, string(campaign.StateRunning), t.now, n)
		return err
	})
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %s: begin run %d: %w", id, from+1, err)
	}
	return s.Campaign(ctx, id)
}

// reopenWindowed puts the recipients of expired campaign messages back to
// pending when their campaign has a send window and still goes on: the
// message expired at the window's close, unsent, and a feeder queues a
// new one when the recipient's window opens again. Called in the expiry's
// transaction, so a recipient is never left expired nor counted final in
// between.
func (t *txn) reopenWindowed(messageIDs []int64) error {
	if len(messageIDs) == 0 {
		return nil
	}
	_, err := t.exec(`UPDATE campaign_recipients r SET state = 'pending', message_id = 0, not_before = 0
		FROM campaigns c
		WHERE r.message_id = ANY ($1) AND r.message_id <> 0 AND r.state = 'queued'
			AND c.id = r.campaign_id AND c.run = r.run AND c.state IN ('running', 'paused', 'scheduled')
			AND c.spec::jsonb #> '{window,from}' IS NOT NULL`, messageIDs)
	if err != nil {
		return fmt.Errorf("reopen the campaign recipients of expired messages: %w", err)
	}
	return nil
}
