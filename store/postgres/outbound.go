package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/queue"
)

// Enqueue validates the request and commits one message per recipient,
// returning once the commit is durable. A request under an idempotency key
// already used returns the original messages (Replayed); two gateways
// taking the same new key at once are ordered by the key's row, so one
// inserts and the other replays.
func (s *Store) Enqueue(ctx context.Context, m queue.NewMessage) (queue.Enqueued, error) {
	if err := s.closedErr(); err != nil {
		return queue.Enqueued{}, err
	}
	p, err := s.prepare(m)
	if err != nil {
		return queue.Enqueued{}, err
	}
	var out queue.Enqueued
	err = s.write(ctx, func(t *txn) error {
		out = queue.Enqueued{}
		return s.enqueue(t, p, &out)
	})
	if err != nil {
		return queue.Enqueued{}, fmt.Errorf("queue: enqueue: %w", err)
	}
	return out, nil
}

// prepared is a validated request, ready for insertion.
type prepared struct {
	m         queue.NewMessage
	to        []string
	tags      []string
	meta      string
	sendAfter int64
	expiresAt int64
	category  smsgw.Category
	hash      []byte
	// texts, when set, is each recipient's own text (a campaign's
	// personalised message), in place of m.Text.
	texts []string
}

func (s *Store) prepare(m queue.NewMessage) (*prepared, error) {
	// PostgreSQL text cannot hold NUL, which a GSM text never needs.
	if bytes.IndexByte([]byte(m.Text), 0) >= 0 {
		return nil, invalid("text", "contains a NUL character")
	}
	c, err := queue.Check(m, s.opt.Now())
	if err != nil {
		return nil, err
	}
	p := &prepared{m: m, to: c.To, tags: c.Tags, meta: c.Metadata,
		sendAfter: c.SendAfter, expiresAt: c.ExpiresAt, category: c.Category}
	if m.IdempotencyKey != "" {
		p.hash = storedHash(p)
	}
	return p, nil
}

// storedHash is what the requests table keeps for an idempotency key: the
// caller's Fingerprint when it gave one, else the fingerprint of
// everything in the request except its key (the embedded driver's
// canonical form, so a request means the same under either driver).
func storedHash(p *prepared) []byte {
	if !p.m.Fingerprint.IsZero() {
		h := sha256.Sum256([]byte(p.m.Fingerprint.String()))
		return h[:]
	}
	canon := struct {
		To        []string          `json:"to"`
		Text      string            `json:"text"`
		Coding    string            `json:"coding"`
		Priority  int               `json:"priority"`
		SendAfter int64             `json:"send_after"`
		ExpiresAt int64             `json:"expires_at"`
		Modem     string            `json:"modem"`
		Tags      []string          `json:"tags"`
		Report    bool              `json:"report"`
		Metadata  map[string]string `json:"metadata"`
		Flash     bool              `json:"flash,omitempty"`
		Data      []byte            `json:"data,omitempty"`
		UDH       []byte            `json:"udh,omitempty"`
		Ports     *queue.Ports      `json:"ports,omitempty"`
		Class     *int              `json:"class,omitempty"`
		PID       int               `json:"pid,omitempty"`
		Marketing bool              `json:"marketing,omitempty"`
		AutoReply bool              `json:"auto_reply,omitempty"`
		Campaign  string            `json:"campaign,omitempty"`
	}{p.to, p.m.Text, p.m.Coding, p.m.Priority, p.sendAfter, p.expiresAt, p.m.Modem, p.tags, p.m.Report, p.m.Metadata, p.m.Flash,
		p.m.Data, p.m.UDH, p.m.Ports, p.m.Class, p.m.PID, p.category == smsgw.CategoryMarketing, p.m.AutoReply, p.m.Campaign}
	f := smsgw.FingerprintOf(canon)
	return f[:]
}

// copyFrom is the batch size from which Enqueue loads the rows with COPY
// rather than one INSERT of unnested arrays.
const copyFrom = 256

func (s *Store) enqueue(t *txn, p *prepared, out *queue.Enqueued) error {
	if key := p.m.IdempotencyKey; key != "" {
		// Taking the key first makes a concurrent request under the same
		// key wait on its row, then replay what this one commits.
		tag, err := t.exec(`INSERT INTO requests (key, hash, ids, created_at) VALUES ($1, $2, '{}', $3)
			ON CONFLICT (key) DO NOTHING`, key, p.hash, t.now)
		if err != nil {
			return fmt.Errorf("record idempotency key: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return s.replay(t, p, out)
		}
	}
	states, reasons, err := s.admitRecipients(t.ctx, t.tx, p.to, p.category, p.m.AutoReply)
	if err != nil {
		return err
	}
	n := len(p.to)
	// Ids are taken first, in request order, so the rows can be written
	// in any way (COPY included) and returned without a sort.
	ids, err := t.queryIDs(`SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return fmt.Errorf("allocate ids: %w", err)
	}
	slices.Sort(ids)
	nextAt := max(p.sendAfter, t.now)
	data, udh, dst, src, class := binaryCols(p.m.Binary)
	tags := p.tags
	if tags == nil {
		tags = []string{}
	}
	texts := p.texts
	if texts == nil {
		texts = make([]string, n)
		for i := range texts {
			texts[i] = p.m.Text
		}
	}
	if n >= copyFrom {
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{ids[i], p.to[i], string(states[i]), reasons[i], texts[i], p.m.Coding, p.m.Priority,
				p.sendAfter, p.expiresAt, p.m.Modem, tags, p.m.Report, p.meta, nextAt, t.now, t.now, p.m.Flash,
				data, udh, dst, src, class, p.m.PID, string(p.category), p.m.AutoReply, p.m.Campaign}
		}
		if _, err := t.tx.CopyFrom(t.ctx, pgx.Identifier{"messages"}, []string{"id", "recipient", "state", "reason",
			"text", "coding", "priority", "send_after", "expires_at", "route_modem", "route_tags", "report", "metadata",
			"next_at", "created_at", "updated_at", "flash", "data", "udh", "dst_port", "src_port", "class", "pid",
			"category", "auto_reply", "campaign"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	} else {
		st := make([]string, n)
		for i := range st {
			st[i] = string(states[i])
		}
		if _, err := t.exec(`INSERT INTO messages (id, recipient, state, reason, text, coding, priority, send_after,
			expires_at, route_modem, route_tags, report, metadata, next_at, created_at, updated_at, flash,
			data, udh, dst_port, src_port, class, pid, category, auto_reply, campaign)
			SELECT i, r, s, rs, tx, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(i, r, s, rs, tx)`,
			ids, p.to, st, reasons, texts, p.m.Coding, p.m.Priority, p.sendAfter, p.expiresAt, p.m.Modem, tags,
			p.m.Report, p.meta, nextAt, t.now, p.m.Flash, data, udh, dst, src, class, p.m.PID, string(p.category),
			p.m.AutoReply, p.m.Campaign); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	if p.m.IdempotencyKey != "" {
		if _, err := t.exec(`UPDATE requests SET ids = $2 WHERE key = $1`, p.m.IdempotencyKey, ids); err != nil {
			return fmt.Errorf("record idempotency key: %w", err)
		}
	}
	out.Messages = make([]queue.Message, n)
	for i, to := range p.to {
		out.Messages[i] = queue.Message{
			ID: ids[i], To: to, Text: texts[i], Coding: p.m.Coding, Priority: p.m.Priority,
			SendAfter: msTime(p.sendAfter), ExpiresAt: msTime(p.expiresAt),
			RouteModem: p.m.Modem, RouteTags: p.tags, Report: p.m.Report, Flash: p.m.Flash, Metadata: p.m.Metadata,
			Binary:   scanBinary(data, udh, dst, src, class, p.m.PID),
			Category: p.category, AutoReply: p.m.AutoReply, Campaign: p.m.Campaign,
			State: states[i], Reason: reasons[i], CreatedAt: msTime(t.now), UpdatedAt: msTime(t.now),
			ConcatRef: -1,
		}
		if states[i] == smsgw.StateQueued {
			out.Messages[i].NextAttempt = msTime(nextAt)
		}
	}
	// Claimers also wake for a message due later, to arm their timers.
	t.claimable()
	return nil
}

// replay answers a request whose idempotency key is taken: the original
// messages, or ErrIdempotencyMismatch for a different request.
func (s *Store) replay(t *txn, p *prepared, out *queue.Enqueued) error {
	var hash []byte
	var ids []int64
	err := t.queryRow(`SELECT hash, ids FROM requests WHERE key = $1`, p.m.IdempotencyKey).Scan(&hash, &ids)
	if err != nil {
		return fmt.Errorf("idempotency lookup: %w", err)
	}
	if !bytes.Equal(hash, p.hash) {
		return fmt.Errorf("%w (key %q)", smsgw.ErrIdempotencyMismatch, p.m.IdempotencyKey)
	}
	msgs, err := scanMessages(t.ctx, t.tx, `SELECT `+msgCols+` FROM messages WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return err
	}
	out.Messages, out.Replayed = msgs, true
	return nil
}

// scanMessages reads the rows of a query over msgCols.
func scanMessages(ctx context.Context, q querier, query string, args ...any) ([]queue.Message, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []queue.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// readTx runs fn in a read-only transaction that sees one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		if s.ctx.Err() != nil {
			return queue.ErrClosed
		}
		return mapErr(err)
	}
	defer tx.Rollback(context.Background())
	if err := fn(tx); err != nil {
		return mapErr(err)
	}
	return mapErr(tx.Commit(ctx))
}

// Get returns a message with its parts and attempts.
func (s *Store) Get(ctx context.Context, id int64) (queue.Message, error) {
	var m queue.Message
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		m, err = getMessage(ctx, tx, id)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: get %d: %w", id, err)
	}
	return m, nil
}

// getMessage reads a message with its parts and attempts.
func getMessage(ctx context.Context, q querier, id int64) (queue.Message, error) {
	m, err := scanMessage(q.QueryRow(ctx, `SELECT `+msgCols+` FROM messages WHERE id = $1`, id))
	if errNoRows(err) {
		return m, smsgw.ErrNotFound
	}
	if err != nil {
		return m, err
	}
	rows, err := q.Query(ctx, `SELECT seq, modem, mr, sent_at, status, status_code, status_at
		FROM parts WHERE message_id = $1 ORDER BY seq`, id)
	if err != nil {
		return m, err
	}
	for rows.Next() {
		var p queue.Part
		var sent, at int64
		var st string
		if err := rows.Scan(&p.Seq, &p.Modem, &p.MR, &sent, &st, &p.StatusCode, &at); err != nil {
			rows.Close()
			return m, err
		}
		p.SentAt, p.StatusAt, p.Status = msTime(sent), msTime(at), queue.PartStatus(st)
		m.Parts = append(m.Parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	rows, err = q.Query(ctx, `SELECT id, modem, started_at, ended_at, outcome, error, code
		FROM attempts WHERE message_id = $1 ORDER BY id`, id)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		var a queue.Attempt
		var start, end int64
		if err := rows.Scan(&a.ID, &a.Modem, &start, &end, &a.Outcome, &a.Error, &a.Code); err != nil {
			return m, err
		}
		a.StartedAt, a.EndedAt = msTime(start), msTime(end)
		m.AttemptLog = append(m.AttemptLog, a)
	}
	return m, rows.Err()
}

// List returns messages newest first, without parts and attempts.
func (s *Store) List(ctx context.Context, f queue.Filter) (queue.Page, error) {
	if err := s.closedErr(); err != nil {
		return queue.Page{}, err
	}
	where := "true"
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	states := f.States
	if f.State != "" {
		states = append([]smsgw.State{f.State}, states...)
	}
	if len(states) > 0 {
		list := make([]string, len(states))
		for i, st := range states {
			if !st.Valid() {
				return queue.Page{}, invalid("state", "%q is not a message state", st)
			}
			list[i] = string(st)
		}
		where += " AND state = ANY(" + arg(list) + ")"
	}
	if f.Recipient != "" {
		n, err := smsgw.NormalizeDigits(f.Recipient)
		if err != nil {
			return queue.Page{}, invalid("to", "%v", err)
		}
		where += " AND recipient = " + arg(n)
	}
	if f.Campaign != "" {
		where += " AND campaign = " + arg(f.Campaign)
	}
	if !f.Since.IsZero() {
		where += " AND created_at >= " + arg(f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		where += " AND created_at < " + arg(f.Until.UnixMilli())
	}
	if f.Cursor < 0 {
		return queue.Page{}, invalid("cursor", "must not be negative")
	}
	if f.Cursor > 0 {
		where += " AND id < " + arg(f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q := `SELECT ` + msgCols + ` FROM messages WHERE ` + where + ` ORDER BY id DESC LIMIT ` + arg(limit+1)
	msgs, err := scanMessages(ctx, s.pool, q, args...)
	if err != nil {
		return queue.Page{}, fmt.Errorf("queue: list: %w", mapErr(err))
	}
	var pg queue.Page
	if len(msgs) > limit {
		msgs = msgs[:limit]
		pg.Next = msgs[limit-1].ID
	}
	pg.Messages = msgs
	return pg, nil
}

// clampLimit is the page size of a listing: 50 unless asked, at most 1000.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// Cancel cancels a message still waiting in the queue. A message being
// sent or already finished gives ErrNotCancellable.
func (s *Store) Cancel(ctx context.Context, id int64) (queue.Message, error) {
	var m queue.Message
	err := s.write(ctx, func(t *txn) error {
		st, err := t.lockMessage(id)
		if err != nil {
			return err
		}
		if st != smsgw.StateQueued {
			return fmt.Errorf("%w: it is %s", queue.ErrNotCancellable, st)
		}
		if err := t.setState(id, smsgw.StateCancelled, queue.ReasonCancelled); err != nil {
			return err
		}
		if err := t.messageEvent(queue.EventCancelled, id); err != nil {
			return err
		}
		m, err = getMessage(t.ctx, t.tx, id)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: cancel %d: %w", id, err)
	}
	return m, nil
}

// Requeue puts a failed, expired, cancelled or uncertain message back in
// the queue with fresh retry counters, for an operator who decides to try
// again.
func (s *Store) Requeue(ctx context.Context, id int64) (queue.Message, error) {
	var m queue.Message
	err := s.write(ctx, func(t *txn) error {
		st, err := t.lockMessage(id)
		if err != nil {
			return err
		}
		switch st {
		case smsgw.StateFailed, smsgw.StateExpired, smsgw.StateUncertain:
		default:
			return fmt.Errorf("%w: it is %s", queue.ErrBadState, st)
		}
		// Every part out (a status report failed it): there is nothing to
		// continue, and a claim as a continuation would send nothing. It
		// goes again whole, under a new reference. A message cut short
		// keeps its sent parts, for the modem that sent them to continue.
		if _, err := t.exec(`DELETE FROM parts WHERE message_id = $1 AND
			(SELECT count(*) FROM parts WHERE message_id = $1) >= (SELECT parts_total FROM messages WHERE id = $1)`, id); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE messages SET state = 'queued', reason = $2, failures = 0, faults = 0,
			expires_at = CASE WHEN expires_at <= $3 THEN 0 ELSE expires_at END,
			parts_total = CASE WHEN EXISTS (SELECT 1 FROM parts WHERE message_id = messages.id) THEN parts_total ELSE 0 END,
			concat_ref = CASE WHEN EXISTS (SELECT 1 FROM parts WHERE message_id = messages.id) THEN concat_ref ELSE -1 END,
			next_at = $3, updated_at = $3 WHERE id = $1`, id, queue.ReasonRequeued, t.now); err != nil {
			return err
		}
		t.claimable()
		m, err = getMessage(t.ctx, t.tx, id)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: requeue %d: %w", id, err)
	}
	return m, nil
}

// lockMessage reads a message's state and locks its row for the rest of
// the transaction (a claim by another gateway waits, or is skipped);
// smsgw.ErrNotFound when there is none.
func (t *txn) lockMessage(id int64) (smsgw.State, error) {
	var st string
	err := t.queryRow(`SELECT state FROM messages WHERE id = $1 FOR UPDATE`, id).Scan(&st)
	if errNoRows(err) {
		return "", smsgw.ErrNotFound
	}
	return smsgw.State(st), err
}

// setState moves a message to a state that is not queued, recording why.
func (t *txn) setState(id int64, st smsgw.State, reason string) error {
	_, err := t.exec(`UPDATE messages SET state = $2, reason = $3, updated_at = $4 WHERE id = $1`, id, string(st), reason, t.now)
	return err
}

// foldCountsAt is the number of delta rows past which Counts folds them
// into one row per state.
const foldCountsAt = 512

// Counts returns how many messages are in each state (every state present,
// zero included), from the deltas the triggers keep (see 0001_queue.sql):
// its cost does not grow with the number of messages.
func (s *Store) Counts(ctx context.Context) (map[smsgw.State]int64, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT state, sum(n)::bigint, count(*) FROM state_counts GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("queue: counts: %w", mapErr(err))
	}
	defer rows.Close()
	out := make(map[smsgw.State]int64, len(smsgw.States))
	for _, st := range smsgw.States {
		out[st] = 0
	}
	var deltas int64
	for rows.Next() {
		var st string
		var n, k int64
		if err := rows.Scan(&st, &n, &k); err != nil {
			return nil, fmt.Errorf("queue: counts: %w", mapErr(err))
		}
		out[smsgw.State(st)] = n
		deltas += k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: counts: %w", mapErr(err))
	}
	if deltas > foldCountsAt {
		if err := s.foldCounts(ctx); err != nil {
			s.opt.Logger.Warn("queue: fold state counts", "err", err)
		}
	}
	return out, nil
}

// foldCounts replaces the deltas it sees by their sums. Deltas committed
// meanwhile are left for the next time; two folds at once each take only
// rows the other did not delete.
func (s *Store) foldCounts(ctx context.Context) error {
	return s.write(ctx, func(t *txn) error {
		t.quiet = true
		_, err := t.exec(`WITH gone AS (DELETE FROM state_counts RETURNING state, n)
			INSERT INTO state_counts (state, n) SELECT state, sum(n) FROM gone GROUP BY state HAVING sum(n) <> 0`)
		return err
	})
}

// OldestQueued returns the creation time of the oldest queued message, or
// the zero time when the queue is empty.
func (s *Store) OldestQueued(ctx context.Context) (time.Time, error) {
	if err := s.closedErr(); err != nil {
		return time.Time{}, err
	}
	var ms int64
	err := s.pool.QueryRow(ctx, `SELECT created_at FROM messages WHERE state = 'queued' ORDER BY id LIMIT 1`).Scan(&ms)
	if errNoRows(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: oldest queued: %w", mapErr(err))
	}
	return msTime(ms), nil
}

// ByKey returns the messages an idempotency key created, in request order,
// or smsgw.ErrNotFound when the key was never used.
func (s *Store) ByKey(ctx context.Context, key string) ([]queue.Message, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	var msgs []queue.Message
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var ids []int64
		err := tx.QueryRow(ctx, `SELECT ids FROM requests WHERE key = $1`, key).Scan(&ids)
		if errNoRows(err) || err == nil && len(ids) == 0 {
			return smsgw.ErrNotFound
		}
		if err != nil {
			return err
		}
		msgs, err = scanMessages(ctx, tx, `SELECT `+msgCols+` FROM messages WHERE id = ANY($1) ORDER BY id`, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("queue: key %q: %w", key, err)
	}
	return msgs, nil
}
