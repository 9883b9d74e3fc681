package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/consent"
	"smsgw/queue"
)

var _ consent.Store = (*Store)(nil)

// querier is what a transaction and the pool both answer: the consent
// lookups run in the caller's transaction or outside any.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Consent is enforced by every gateway of a fleet on the one database: a
// number's standing (consent_numbers) is read where messages are enqueued
// and where they are claimed, an opt-out cancels the number's queued
// messages in its own transaction, and consent_head.optouts counts the
// opt-outs applied so that a claim made before one is checked again
// (StillWanted). The three helpers below are what Enqueue and TryClaim
// call; they take the caller's transaction.

// admitRecipients asks the consent policy about each recipient of a
// request: the state each one is stored in (queued, or suppressed with a
// reason). Only the recipients whose answer turns on an opt-out are looked
// up, in one query: a transactional send under the default scope asks the
// database nothing.
func (s *Store) admitRecipients(ctx context.Context, q querier, to []string, c smsgw.Category, autoReply bool) ([]smsgw.State, []string, error) {
	c = category(c)
	pol := s.opt.Consent
	var ask []string
	for _, n := range to {
		if pol.Refuse(n, c, autoReply, true) != pol.Refuse(n, c, autoReply, false) {
			ask = append(ask, n)
		}
	}
	var out map[string]bool
	if len(ask) > 0 {
		var err error
		if out, err = optedOutAmong(ctx, q, ask); err != nil {
			return nil, nil, err
		}
	}
	states := make([]smsgw.State, len(to))
	reasons := make([]string, len(to))
	for i, n := range to {
		states[i] = smsgw.StateQueued
		if r := pol.Refuse(n, c, autoReply, out[n]); r != "" {
			states[i], reasons[i] = smsgw.StateSuppressed, r
		}
	}
	return states, reasons, nil
}

// optedOutAmong returns which of the numbers stand opted out.
func optedOutAmong(ctx context.Context, q querier, numbers []string) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT number FROM consent_numbers WHERE action = 'opt_out' AND number = ANY($1)`, numbers)
	if err != nil {
		return nil, fmt.Errorf("consent lookup: %w", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("consent lookup: %w", err)
	}
	out := make(map[string]bool, len(got))
	for _, n := range got {
		out[n] = true
	}
	return out, nil
}

// optedOut reports whether the number stands opted out.
func optedOut(ctx context.Context, q querier, number string) (bool, error) {
	var yes bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM consent_numbers WHERE number = $1 AND action = 'opt_out')`, number).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("consent lookup: %w", err)
	}
	return yes, nil
}

// consentMark reads the count of opt-outs applied so far, fleet-wide.
func consentMark(ctx context.Context, q querier) (uint64, error) {
	var n int64
	if err := q.QueryRow(ctx, `SELECT optouts FROM consent_head WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("consent mark: %w", err)
	}
	return uint64(n), nil
}

// refuseAtClaim is asked about a message picked for sending, in the
// claiming transaction: the mark the Job carries, and why consent refuses
// the message now ("" when it may go; the caller then cancels it with
// the reason). The mark and the standing come from one statement, so
// from one snapshot: an opt-out committed after it is counted after the
// mark, and StillWanted looks again.
func (s *Store) refuseAtClaim(ctx context.Context, q querier, to string, c smsgw.Category, autoReply bool) (uint64, string, error) {
	c = category(c)
	pol := s.opt.Consent
	var mark int64
	out := false
	var err error
	if pol.Refuse(to, c, autoReply, true) != pol.Refuse(to, c, autoReply, false) {
		err = q.QueryRow(ctx, `SELECT h.optouts, EXISTS (SELECT 1 FROM consent_numbers WHERE number = $1 AND action = 'opt_out')
			FROM consent_head h WHERE h.id = 1`, to).Scan(&mark, &out)
	} else {
		err = q.QueryRow(ctx, `SELECT optouts FROM consent_head WHERE id = 1`).Scan(&mark)
	}
	if err != nil {
		return 0, "", fmt.Errorf("consent at claim: %w", err)
	}
	return uint64(mark), pol.Refuse(to, c, autoReply, out), nil
}

func category(c smsgw.Category) smsgw.Category {
	if c == "" {
		return smsgw.CategoryTransactional
	}
	return c
}

// Apply appends a consent record and applies it in the same transaction
// (see consent.Store).
func (s *Store) Apply(ctx context.Context, r consent.Record) (consent.Applied, error) {
	if r.Number == "" {
		return consent.Applied{}, invalid("number", "required")
	}
	if _, err := consent.ParseAction(string(r.Action)); err != nil {
		return consent.Applied{}, invalid("action", "%v", err)
	}
	if r.At.IsZero() {
		r.At = s.opt.Now()
	}
	var out consent.Applied
	err := s.write(ctx, func(t *txn) error {
		out = consent.Applied{}
		return s.applyConsent(t, r, &out)
	})
	if err != nil {
		return consent.Applied{}, fmt.Errorf("consent: %s %s: %w", r.Action, r.Number, mapErr(err))
	}
	return out, nil
}

func (s *Store) applyConsent(t *txn, r consent.Record, out *consent.Applied) error {
	// The head row's lock orders appends across every gateway: the
	// chain's next seq and link, and the number's standing read below,
	// are those of the last committed append.
	var head consent.Record
	var optouts int64
	if err := t.queryRow(`SELECT seq, hash, optouts FROM consent_head WHERE id = 1 FOR UPDATE`).
		Scan(&head.Seq, &head.Hash, &optouts); err != nil {
		return fmt.Errorf("lock the ledger: %w", err)
	}
	var action string
	var lastSeq, lastInbox int64
	err := t.queryRow(`SELECT action, last_seq, last_inbox FROM consent_numbers WHERE number = $1`, r.Number).
		Scan(&action, &lastSeq, &lastInbox)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if known && r.InboxID != 0 && lastInbox == r.InboxID {
		rec, err := ledgerRecord(t.ctx, t.tx, lastSeq)
		out.Record, out.Changed = rec, true
		return err
	}
	if r.Action != consent.ActionHelp && action == string(r.Action) {
		rec, err := ledgerRecord(t.ctx, t.tx, lastSeq)
		out.Record = rec
		return err
	}
	var prev *consent.Record
	if head.Seq > 0 {
		prev = &head
	}
	r.Chain(prev)
	ev := ""
	if len(r.Evidence) > 0 {
		b, err := json.Marshal(r.Evidence)
		if err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		ev = string(b)
	}
	if _, err := t.exec(`INSERT INTO consent_ledger (seq, number, action, at, source, inbox_id, modem, token,
		disclosure, disclosure_version, evidence, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.Seq, r.Number, string(r.Action), r.At.UnixMilli(), r.Source, r.InboxID, r.Modem, r.Token,
		r.Disclosure, r.DisclosureVersion, ev, r.PrevHash, r.Hash); err != nil {
		return fmt.Errorf("append to the ledger: %w", err)
	}
	if r.Action == consent.ActionOptOut {
		optouts++
		t.optedOut()
	}
	if _, err := t.exec(`UPDATE consent_head SET seq = $1, hash = $2, optouts = $3 WHERE id = 1`,
		r.Seq, r.Hash, optouts); err != nil {
		return fmt.Errorf("advance the ledger head: %w", err)
	}
	out.Record, out.Changed = r, true
	if r.Action == consent.ActionHelp {
		_, err := t.exec(`INSERT INTO consent_numbers (number, action, at, source, seq, last_seq, last_inbox)
			VALUES ($1, '', $2, $3, 0, $4, $5)
			ON CONFLICT (number) DO UPDATE SET last_seq = $4, last_inbox = $5`,
			r.Number, r.At.UnixMilli(), r.Source, r.Seq, r.InboxID)
		return err
	}
	if _, err := t.exec(`INSERT INTO consent_numbers (number, action, at, source, seq, last_seq, last_inbox)
		VALUES ($1, $2, $3, $4, $5, $5, $6)
		ON CONFLICT (number) DO UPDATE SET action = $2, at = $3, source = $4, seq = $5, last_seq = $5, last_inbox = $6`,
		r.Number, string(r.Action), r.At.UnixMilli(), r.Source, r.Seq, r.InboxID); err != nil {
		return err
	}
	evType := queue.EventOptIn
	if r.Action == consent.ActionOptOut {
		evType = queue.EventOptOut
		n, err := s.cancelRefused(t, r.Number)
		if err != nil {
			return err
		}
		out.Cancelled = n
	} else if _, err := t.exec(`DELETE FROM consent_pending WHERE number = $1`, r.Number); err != nil {
		return err
	}
	return t.appendEvent(evType, r.Seq, r)
}

// cancelRefused cancels the number's queued messages the policy refuses
// now that it opted out. The rows are locked, so a gateway claiming one
// of them at this moment either has it already (it is no longer queued
// here, and StillWanted catches it) or skips it.
func (s *Store) cancelRefused(t *txn, number string) (int, error) {
	rows, err := t.query(`SELECT id, category, auto_reply FROM messages
		WHERE recipient = $1 AND state = 'queued' ORDER BY id FOR UPDATE`, number)
	if err != nil {
		return 0, err
	}
	type cand struct {
		id   int64
		cat  string
		auto bool
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cand, error) {
		var c cand
		err := r.Scan(&c.id, &c.cat, &c.auto)
		return c, err
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		reason := s.opt.Consent.Refuse(number, category(smsgw.Category(c.cat)), c.auto, true)
		if reason == "" {
			continue
		}
		if err := s.cancelQueued(t, c.id, reason); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// StillWanted implements queue.Scheduler: a job claimed before an opt-out
// committed (on any gateway) is checked again, and cancelled if consent
// refuses it now.
func (s *Store) StillWanted(ctx context.Context, job *queue.Job) (bool, error) {
	if err := s.closedErr(); err != nil {
		return false, err
	}
	mark, err := consentMark(ctx, s.pool)
	if err != nil {
		return false, fmt.Errorf("queue: recheck message %d: %w", job.ID, mapErr(err))
	}
	if mark == job.ConsentMark {
		return true, nil
	}
	wanted := true
	err = s.write(ctx, func(t *txn) error {
		wanted = true
		out, err := optedOut(t.ctx, t.tx, job.To)
		if err != nil {
			return err
		}
		r := s.opt.Consent.Refuse(job.To, category(job.Category), job.AutoReply, out)
		if r == "" {
			return nil
		}
		wanted = false
		return s.cancelAttempt(t, job.AttemptID, r)
	})
	if err != nil {
		return false, fmt.Errorf("queue: recheck message %d: %w", job.ID, mapErr(err))
	}
	return wanted, nil
}

// cancelQueued cancels a queued message with the reason consent gave.
func (s *Store) cancelQueued(t *txn, id int64, reason string) error {
	if _, err := t.exec(`UPDATE messages SET state = 'cancelled', reason = $2, updated_at = $3 WHERE id = $1`,
		id, reason, t.now); err != nil {
		return fmt.Errorf("cancel %d: %w", id, err)
	}
	return t.messageEvent(queue.EventCancelled, id)
}

// cancelAttempt closes an open attempt whose recipient consent now
// refuses, before any part went out, and cancels its message with the
// reason. An attempt that is not open is queue.ErrNotClaimed.
func (s *Store) cancelAttempt(t *txn, attemptID int64, reason string) error {
	var msgID int64
	var outcome, state string
	err := t.queryRow(`SELECT a.message_id, a.outcome, m.state FROM attempts a JOIN messages m ON m.id = a.message_id
		WHERE a.id = $1 FOR UPDATE`, attemptID).Scan(&msgID, &outcome, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("attempt %d: %w", attemptID, smsgw.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if outcome != "" || smsgw.State(state) != smsgw.StateSending {
		return fmt.Errorf("attempt %d (outcome %q, message %s): %w", attemptID, outcome, state, queue.ErrNotClaimed)
	}
	if _, err := t.exec(`UPDATE attempts SET outcome = 'cancelled', error = $2, ended_at = $3 WHERE id = $1`,
		attemptID, "recipient "+reason, t.now); err != nil {
		return err
	}
	if _, err := t.exec(`UPDATE messages SET state = 'cancelled', reason = $2, updated_at = $3 WHERE id = $1`,
		msgID, reason, t.now); err != nil {
		return err
	}
	return t.messageEvent(queue.EventCancelled, msgID)
}

const ledgerCols = `seq, number, action, at, source, inbox_id, modem, token, disclosure, disclosure_version,
	evidence, prev_hash, hash`

func scanRecord(sc pgx.Row) (consent.Record, error) {
	var r consent.Record
	var action, ev string
	var at int64
	if err := sc.Scan(&r.Seq, &r.Number, &action, &at, &r.Source, &r.InboxID, &r.Modem, &r.Token,
		&r.Disclosure, &r.DisclosureVersion, &ev, &r.PrevHash, &r.Hash); err != nil {
		return r, err
	}
	r.Action, r.At = consent.Action(action), time.UnixMilli(at).UTC()
	if ev != "" {
		if err := json.Unmarshal([]byte(ev), &r.Evidence); err != nil {
			// Kept as read, so verify reports the row rather than the
			// export failing.
			r.Evidence = map[string]string{"unreadable": ev}
		}
	}
	return r, nil
}

func ledgerRecord(ctx context.Context, q querier, seq int64) (consent.Record, error) {
	return scanRecord(q.QueryRow(ctx, `SELECT `+ledgerCols+` FROM consent_ledger WHERE seq = $1`, seq))
}

// Status returns a number's standing.
func (s *Store) Status(ctx context.Context, number string) (consent.Status, error) {
	if err := s.closedErr(); err != nil {
		return consent.Status{}, err
	}
	var st consent.Status
	var action string
	var at int64
	err := s.pool.QueryRow(ctx, `SELECT number, action, at, source, seq FROM consent_numbers
		WHERE number = $1 AND action <> ''`, number).Scan(&st.Number, &action, &at, &st.Source, &st.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("consent: %s: %w", number, smsgw.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("consent: status of %s: %w", number, mapErr(err))
	}
	st.Action, st.At = consent.Action(action), time.UnixMilli(at).UTC()
	return st, nil
}

// OptOuts lists the numbers standing opted out, by number.
func (s *Store) OptOuts(ctx context.Context, after string, limit int) ([]consent.Status, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	// Numbers compare byte by byte (the column's collation), whatever the database's
	// collation, so that pages follow one order.
	rows, err := s.pool.Query(ctx, `SELECT number, at, source, seq FROM consent_numbers
		WHERE action = 'opt_out' AND number > $1 ORDER BY number LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("consent: opt-outs: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (consent.Status, error) {
		st := consent.Status{Action: consent.ActionOptOut}
		var at int64
		err := r.Scan(&st.Number, &at, &st.Source, &st.Seq)
		st.At = time.UnixMilli(at).UTC()
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("consent: opt-outs: %w", mapErr(err))
	}
	return out, nil
}

// Ledger reads ledger records in order.
func (s *Store) Ledger(ctx context.Context, f consent.LedgerFilter) ([]consent.Record, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	f.Limit = min(f.Limit, 10000)
	q := `SELECT ` + ledgerCols + ` FROM consent_ledger WHERE seq > $1`
	args := []any{f.After}
	if f.Number != "" {
		args = append(args, f.Number)
		q += fmt.Sprintf(` AND number = $%d`, len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since.UnixMilli())
		q += fmt.Sprintf(` AND at >= $%d`, len(args))
	}
	if !f.Until.IsZero() {
		args = append(args, f.Until.UnixMilli())
		q += fmt.Sprintf(` AND at < $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("consent: ledger: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (consent.Record, error) { return scanRecord(r) })
	if err != nil {
		return nil, fmt.Errorf("consent: ledger: %w", mapErr(err))
	}
	return out, nil
}

// RequestOptIn stores a double opt-in request.
func (s *Store) RequestOptIn(ctx context.Context, p consent.Pending) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	if p.Number == "" {
		return invalid("number", "required")
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("consent: encode request: %w", mapErr(err))
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO consent_pending (number, expires_at, body) VALUES ($1, $2, $3)
		ON CONFLICT (number) DO UPDATE SET expires_at = $2, body = $3`, p.Number, p.ExpiresAt.UnixMilli(), string(b))
	if err != nil {
		return fmt.Errorf("consent: request opt-in of %s: %w", p.Number, mapErr(err))
	}
	return nil
}

// Pending returns the number's double opt-in request.
func (s *Store) Pending(ctx context.Context, number string) (consent.Pending, error) {
	if err := s.closedErr(); err != nil {
		return consent.Pending{}, err
	}
	var body string
	err := s.pool.QueryRow(ctx, `SELECT body FROM consent_pending WHERE number = $1`, number).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.Pending{}, fmt.Errorf("consent: no opt-in request for %s: %w", number, smsgw.ErrNotFound)
	}
	if err != nil {
		return consent.Pending{}, fmt.Errorf("consent: opt-in request of %s: %w", number, mapErr(err))
	}
	var p consent.Pending
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return consent.Pending{}, fmt.Errorf("consent: opt-in request of %s: %w", number, mapErr(err))
	}
	return p, nil
}
