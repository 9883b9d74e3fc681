package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/queue"

	"smsgw"
)

// Enqueue validates the request and commits one message per recipient. It
// returns only after the commit is on disk (see Options.Sync). Concurrent
// calls are committed together, which is what makes many small enqueues
// fast.
func (s *Store) Enqueue(ctx context.Context, m queue.NewMessage) (queue.Enqueued, error) {
	p, err := s.prepare(m)
	if err != nil {
		return queue.Enqueued{}, err
	}
	var out queue.Enqueued
	var mk made
	err = s.submit(ctx, &writeReq{durable: true, gather: true, done: make(chan error, 2), fn: func(w *wtx) error {
		out, mk = queue.Enqueued{}, made{}
		return w.enqueue(p, &out, &mk)
	}})
	if err != nil {
		return queue.Enqueued{}, fmt.Errorf("queue: enqueue: %w", err)
	}
	if !out.Replayed {
		out.Messages = p.messages(mk)
	}
	return out, nil
}

// made is what enqueue inserted: the answer is built from it by the
// caller, after the commit, rather than by the committer, which every
// other write waits for.
type made struct {
	first, nextAt, now int64
	states             []smsgw.State
	reasons            []string
}

// messages describes the messages of the request as mk stored them.
func (p *prepared) messages(mk made) []queue.Message {
	data, udh, dst, src, class := binaryCols(p.m.Binary)
	tags := decodeTags(p.tags)
	out := make([]queue.Message, len(p.to))
	for i, to := range p.to {
		out[i] = queue.Message{
			ID: mk.first + int64(i), To: to, Text: p.m.Text, Coding: p.m.Coding, Priority: p.m.Priority,
			SendAfter: msTime(p.sendAfter), ExpiresAt: msTime(p.expiresAt),
			RouteModem: p.m.Modem, RouteTags: tags, Report: p.m.Report, Flash: p.m.Flash, Metadata: p.m.Metadata,
			Binary:   scanBinary(data, udh, dst, src, class, p.m.PID),
			Category: p.category, AutoReply: p.m.AutoReply, Campaign: p.m.Campaign,
			State: mk.states[i], Reason: mk.reasons[i], CreatedAt: msTime(mk.now), UpdatedAt: msTime(mk.now),
			ConcatRef: -1,
		}
		if mk.states[i] == smsgw.StateQueued {
			out[i].NextAttempt = msTime(mk.nextAt)
		}
	}
	return out
}

// prepared is a validated request, ready for insertion.
type prepared struct {
	m         queue.NewMessage
	to        []string
	toList    []byte // to as a JSONB array (see jsonbTexts)
	tags      string
	meta      string
	sendAfter int64
	expiresAt int64
	category  smsgw.Category
	hash      []byte
}

func (s *Store) prepare(m queue.NewMessage) (*prepared, error) {
	c, err := queue.Check(m, s.opt.Now())
	if err != nil {
		return nil, err
	}
	p := &prepared{m: m, to: c.To, tags: encodeTags(c.Tags), meta: c.Metadata,
		sendAfter: c.SendAfter, expiresAt: c.ExpiresAt, category: c.Category}
	p.toList = jsonbTexts(p.to)
	if m.IdempotencyKey != "" {
		p.hash = storedHash(p, c.Tags)
	}
	return p, nil
}

// binaryCols are the stored forms of queue.Binary: NULL blobs and -1 for
// what is absent.
func binaryCols(b queue.Binary) (data, udh []byte, dst, src, class int) {
	dst, src, class = -1, -1, -1
	if b.Ports != nil {
		dst, src = b.Ports.Dst, b.Ports.Src
	}
	if b.Class != nil {
		class = *b.Class
	}
	return b.Data, nilIfEmpty(b.UDH), dst, src, class
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// scanBinary turns binaryCols back.
func scanBinary(data, udh []byte, dst, src, class, pid int) queue.Binary {
	b := queue.Binary{Data: data, UDH: nilIfEmpty(udh), PID: pid}
	if data != nil && len(data) == 0 {
		b.Data = []byte{}
	}
	if dst >= 0 {
		b.Ports = &queue.Ports{Dst: dst, Src: max(src, 0)}
	}
	if class >= 0 {
		c := class
		b.Class = &c
	}
	return b
}

// storedHash is what the requests table keeps for an idempotency key: the
// caller's Fingerprint when it gave one, else the fingerprint of
// everything in the request except its key, so a retry can be told from a
// different request under the same key.
func storedHash(p *prepared, tags []string) []byte {
	if !p.m.Fingerprint.IsZero() {
		// Hashed in its hex form, as earlier versions stored it, so a key
		// used before an upgrade still matches its retry after it.
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
		// omitempty keeps the fingerprints of earlier requests valid.
		Flash     bool         `json:"flash,omitempty"`
		Data      []byte       `json:"data,omitempty"`
		UDH       []byte       `json:"udh,omitempty"`
		Ports     *queue.Ports `json:"ports,omitempty"`
		Class     *int         `json:"class,omitempty"`
		PID       int          `json:"pid,omitempty"`
		Marketing bool         `json:"marketing,omitempty"`
		AutoReply bool         `json:"auto_reply,omitempty"`
		Campaign  string       `json:"campaign,omitempty"`
	}{p.to, p.m.Text, p.m.Coding, p.m.Priority, p.sendAfter, p.expiresAt, p.m.Modem, tags, p.m.Report, p.m.Metadata, p.m.Flash,
		p.m.Data, p.m.UDH, p.m.Ports, p.m.Class, p.m.PID, p.category == smsgw.CategoryMarketing, p.m.AutoReply, p.m.Campaign}
	f := smsgw.FingerprintOf(canon)
	return f[:]
}

// encodeTags stores tags as ",a,b," so that one instr() finds a whole tag.
func encodeTags(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return "," + strings.Join(tags, ",") + ","
}

func decodeTags(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// insertMessages takes the recipients as a JSON array of [number, state,
// reason], so suppressed recipients take their place (and id) in the
// request like the others.
const insertMessages = `INSERT INTO messages (recipient, text, coding, priority, send_after, expires_at,
	route_modem, route_tags, report, metadata, state, reason, next_at, created_at, updated_at, flash,
	data, udh, dst_port, src_port, class, pid, category, auto_reply, campaign)
SELECT json_extract(value, '$[0]'), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, json_extract(value, '$[1]'), json_extract(value, '$[2]'),
	?10, ?11, ?11, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22 FROM json_each(?12)`

// insertQueued is insertMessages for the common request whose every
// recipient is queued: the recipients as a plain JSON array of numbers.
const insertQueued = `INSERT INTO messages (recipient, text, coding, priority, send_after, expires_at,
	route_modem, route_tags, report, metadata, state, reason, next_at, created_at, updated_at, flash,
	data, udh, dst_port, src_port, class, pid, category, auto_reply, campaign)
SELECT value, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', '',
	?10, ?11, ?11, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22 FROM json_each(?12)`

// insertOne is insertMessages for a single recipient ?12 in state ?23 for
// reason ?24: without json_each, a single message costs a fifth less.
const insertOne = `INSERT INTO messages (recipient, text, coding, priority, send_after, expires_at,
	route_modem, route_tags, report, metadata, state, reason, next_at, created_at, updated_at, flash,
	data, udh, dst_port, src_port, class, pid, category, auto_reply, campaign)
VALUES (?12, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?23, ?24,
	?10, ?11, ?11, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)`

// insertQueuedPlain and insertOnePlain are insertQueued and insertOne for
// the common request that sets none of the options (see prepared.plain):
// the columns left out take their defaults, and each costs the insert
// about 5 % less than binding a parameter equal to it. OR FAIL spares the
// many-row insert a statement journal: a request whose statement fails is
// rolled back whole (its savepoint or the transaction), never kept in
// part.
const (
	insertQueuedPlain = `INSERT OR FAIL INTO messages (recipient, text, state, next_at, created_at, updated_at)
SELECT value, ?1, 'queued', ?2, ?2, ?2 FROM json_each(?3)`
	insertOnePlain = `INSERT INTO messages (recipient, text, state, reason, next_at, created_at, updated_at)
VALUES (?3, ?1, ?4, ?5, ?2, ?2, ?2)`
)

// plain reports whether every column the insert statements bind, other
// than the recipient, text, state and times, is its default in the
// schema, so that the plain statements store the same row.
func (p *prepared) plain() bool {
	m := &p.m
	return m.Coding == "" && m.Priority == 0 && p.sendAfter == 0 && p.expiresAt == 0 &&
		m.Modem == "" && p.tags == "" && !m.Report && p.meta == "" && !m.Flash &&
		m.Binary.Data == nil && len(m.Binary.UDH) == 0 && m.Binary.Ports == nil && m.Binary.Class == nil && m.Binary.PID == 0 &&
		p.category == smsgw.CategoryTransactional && !m.AutoReply && m.Campaign == ""
}

// upsertConversations brings the conversations of the messages with ids
// ?1..?2, just inserted, up to date as the trigger of schema 9 did row by
// row: in id order, so a number named twice ends on its later message.
// The WHERE true keeps the parser from taking ON CONFLICT for a join.
const upsertConversations = `INSERT INTO conversations (number, last_at, last_dir, last_id)
SELECT recipient, created_at, 'out', id FROM messages WHERE id BETWEEN ?1 AND ?2 ORDER BY id
ON CONFLICT (number) DO UPDATE SET last_at = excluded.last_at, last_dir = 'out', last_id = excluded.last_id
	WHERE excluded.last_at >= conversations.last_at`

// inserted keeps, for the messages with ids first..last just inserted in
// states, what triggers keep for every update and delete (schema 22): the
// count of each state and the conversations. Every statement that inserts
// into messages is followed by it, in the same transaction.
func (w *wtx) inserted(first, last int64, states []smsgw.State) error {
	if last < first {
		return nil
	}
	w.s.hub.noteCreated(w.now)
	if err := w.countStates(states); err != nil {
		return err
	}
	if _, err := w.exec(upsertConversations, first, last); err != nil {
		return fmt.Errorf("conversations: %w", err)
	}
	return nil
}

// upsertConversationsOf is upsertConversations for a request whose
// recipients ?3 (a JSON array of numbers) got the ids ?2, ?2+1, ...: it
// takes them from the request rather than reading back the rows just
// written.
const upsertConversationsOf = `INSERT OR FAIL INTO conversations (number, last_at, last_dir, last_id)
SELECT value, ?1, 'out', ?2 + key FROM json_each(?3) WHERE true
ON CONFLICT (number) DO UPDATE SET last_at = excluded.last_at, last_dir = 'out', last_id = excluded.last_id
	WHERE excluded.last_at >= conversations.last_at`

// upsertConversation is upsertConversationsOf for one recipient.
const upsertConversation = `INSERT INTO conversations (number, last_at, last_dir, last_id)
VALUES (?3, ?1, 'out', ?2)
ON CONFLICT (number) DO UPDATE SET last_at = excluded.last_at, last_dir = 'out', last_id = excluded.last_id
	WHERE excluded.last_at >= conversations.last_at`

// countStates adds the states of messages just inserted to state_counts.
func (w *wtx) countStates(states []smsgw.State) error {
	var u upkeep
	for _, st := range states {
		u.count(st, 1)
	}
	return w.applyUpkeep(&u)
}

// enqueued is inserted for the messages of one request, the first with
// id first: the conversations are taken from the request's numbers. In a
// request that gathers (see upkeep), the statements wait for the end of
// the run of such requests.
func (w *wtx) enqueued(p *prepared, first int64, states []smsgw.State) error {
	w.s.hub.noteCreated(w.now)
	if w.gathering {
		w.mine.add(p, first, states)
		return nil
	}
	var u upkeep
	u.add(p, first, states)
	return w.applyUpkeep(&u)
}

// upkeep is what enqueued keeps for a run of requests: state counts to
// add, and the numbers of messages with consecutive ids from first, all
// created at the batch's time. Kept for a whole transaction, it costs two
// statements per commit instead of two per request; the committer
// applies it before any request that is not an enqueue, since those can
// read or change the same rows (triggers on updates and deletes, reads of
// counts and conversations), and before the commit (see commitBatch).
type upkeep struct {
	counts []stateCount
	first  int64
	n      int64
	list   []byte    // the numbers, the elements of a JSONB array (see jsonbTexts)
	reqs   []reqPart // each request's part of list, in order
}

// reqPart is the part of upkeep.list one request put there: n numbers in
// size bytes, the first of them one.
type reqPart struct {
	n    int64
	size int
	one  string
}

// gatherNumbers is the most numbers of several requests one conversations
// statement takes. A statement that upserts several rows keeps a journal
// of the pages it changes, in memory up to 64 KiB (15 pages) and past that
// in a temporary file, opened for the statement, each page written with
// two more system calls. Under 16 connections of single sends, a whole
// transaction's numbers in one statement spilled about 120 times a
// second, eight numbers a statement 30 times, four once in three seconds.
// A request of more numbers keeps its own statement, as when it was alone
// in its transaction.
const gatherNumbers = 4

type stateCount struct {
	state smsgw.State
	n     int64
}

func (u *upkeep) add(p *prepared, first int64, states []smsgw.State) {
	for _, st := range states {
		u.count(st, 1)
	}
	if u.n == 0 {
		u.first = first
	}
	elems := jsonbElements(p.toList)
	u.list = append(u.list, elems...)
	u.reqs = append(u.reqs, reqPart{n: int64(len(p.to)), size: len(elems), one: p.to[0]})
	u.n += int64(len(p.to))
}

func (u *upkeep) count(st smsgw.State, n int64) {
	for i := range u.counts {
		if u.counts[i].state == st {
			u.counts[i].n += n
			return
		}
	}
	u.counts = append(u.counts, stateCount{st, n})
}

// follows reports whether v's messages come right after u's, so that
// merge keeps one run of ids.
func (u *upkeep) follows(v *upkeep) bool { return u.n == 0 || v.n == 0 || v.first == u.first+u.n }

// merge adds v, which follows u, to u.
func (u *upkeep) merge(v *upkeep) {
	for _, c := range v.counts {
		u.count(c.state, c.n)
	}
	if v.n == 0 {
		return
	}
	if u.n == 0 {
		u.first = v.first
	}
	u.list = append(u.list, v.list...)
	u.reqs = append(u.reqs, v.reqs...)
	u.n += v.n
}

func (u *upkeep) reset() {
	u.counts, u.n, u.list, u.reqs = u.counts[:0], 0, u.list[:0], u.reqs[:0]
}

// applyUpkeep runs u's statements and empties it.
func (w *wtx) applyUpkeep(u *upkeep) error {
	defer u.reset()
	for _, c := range u.counts {
		if _, err := w.exec(`INSERT INTO state_counts (state, n) VALUES (?, ?)
			ON CONFLICT (state) DO UPDATE SET n = n + excluded.n`, string(c.state), c.n); err != nil {
			return fmt.Errorf("state counts: %w", err)
		}
	}
	// In id order, several requests a statement (see gatherNumbers): a
	// number named again ends on its later message.
	id, off := u.first, 0
	for i := 0; i < len(u.reqs); {
		j, n, size := i, int64(0), 0
		for j < len(u.reqs) && (j == i || n+u.reqs[j].n <= gatherNumbers) {
			n, size = n+u.reqs[j].n, size+u.reqs[j].size
			j++
		}
		var err error
		if n == 1 {
			_, err = w.exec(upsertConversation, w.now, id, u.reqs[i].one)
		} else {
			_, err = w.exec(upsertConversationsOf, w.now, id, jsonbArrayOf(u.list[off:off+size]))
		}
		if err != nil {
			return fmt.Errorf("conversations: %w", err)
		}
		id, off, i = id+n, off+size, j
	}
	return nil
}

// enqueue inserts the request's messages, or finds them in out when its
// idempotency key was used before; mk says what it inserted.
func (w *wtx) enqueue(p *prepared, out *queue.Enqueued, mk *made) error {
	if p.m.IdempotencyKey != "" {
		var hash []byte
		var first, count int64
		err := w.queryRow(`SELECT hash, first_id, count FROM requests WHERE key = ?`, p.m.IdempotencyKey).Scan(&hash, &first, &count)
		switch {
		case err == nil:
			if !bytes.Equal(hash, p.hash) {
				return fmt.Errorf("%w (key %q)", smsgw.ErrIdempotencyMismatch, p.m.IdempotencyKey)
			}
			msgs, err := w.s.scanMessages(w.ctx, w.tx, `SELECT `+msgCols+` FROM messages WHERE id BETWEEN ? AND ? ORDER BY id`, first, first+count-1)
			if err != nil {
				return err
			}
			out.Messages, out.Replayed = msgs, true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("idempotency lookup: %w", err)
		}
	}
	nextAt := max(p.sendAfter, w.now)
	states, reasons, rows, err := w.admit(p)
	if err != nil {
		return err
	}
	data, udh, dst, src, class := binaryCols(p.m.Binary)
	var res sql.Result
	switch plain := p.plain(); {
	case plain && len(p.to) == 1:
		res, err = w.exec(insertOnePlain, p.m.Text, w.now, p.to[0], string(states[0]), reasons[0])
	case plain && rows == "":
		res, err = w.exec(insertQueuedPlain, p.m.Text, w.now, p.toList)
	default:
		insert, list := insertMessages, any(rows)
		switch {
		case len(p.to) == 1:
			insert = insertOne
		case rows == "":
			insert, list = insertQueued, p.toList
		}
		args := []any{p.m.Text, p.m.Coding, p.m.Priority, p.sendAfter, p.expiresAt,
			p.m.Modem, p.tags, p.m.Report, p.meta, nextAt, w.now, list, p.m.Flash,
			data, udh, dst, src, class, p.m.PID, string(p.category), p.m.AutoReply, p.m.Campaign}
		if insert == insertOne {
			args[11] = p.to[0]
			args = append(args, string(states[0]), reasons[0])
		}
		res, err = w.exec(insert, args...)
	}
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	n := int64(len(p.to))
	first := last - n + 1
	if err := w.enqueued(p, first, states); err != nil {
		return err
	}
	if p.m.IdempotencyKey != "" {
		if _, err := w.exec(`INSERT INTO requests (key, hash, first_id, count, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.m.IdempotencyKey, p.hash, first, n, w.now); err != nil {
			return fmt.Errorf("record idempotency key: %w", err)
		}
	}
	*mk = made{first: first, nextAt: nextAt, now: w.now, states: states, reasons: reasons}
	// Claimers also wake for a message due later, to arm their timers.
	w.wakeReady = true
	if p.expiresAt > 0 {
		w.s.hint(p.expiresAt)
	}
	return nil
}

// msTime converts stored milliseconds; 0 is the zero time.
func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

const msgCols = `id, recipient, text, coding, priority, send_after, expires_at, route_modem, route_tags,
	report, metadata, state, reason, attempts, failures, faults, next_at, created_at, updated_at,
	modem, concat_ref, parts_total, error, error_class, error_code, flash, data, udh, dst_port, src_port, class, pid,
	category, auto_reply, campaign`

type scanner interface{ Scan(dest ...any) error }

func scanMessage(sc scanner) (queue.Message, error) {
	var m queue.Message
	var sendAfter, expires, next, created, updated int64
	var tags, meta, state, class, category string
	var data, udh []byte
	var dst, src, mclass, pid int
	err := sc.Scan(&m.ID, &m.To, &m.Text, &m.Coding, &m.Priority, &sendAfter, &expires, &m.RouteModem, &tags,
		&m.Report, &meta, &state, &m.Reason, &m.Attempts, &m.Failures, &m.Faults, &next, &created, &updated,
		&m.Modem, &m.ConcatRef, &m.PartsTotal, &m.Error, &class, &m.ErrorCode, &m.Flash,
		&data, &udh, &dst, &src, &mclass, &pid, &category, &m.AutoReply, &m.Campaign)
	if err != nil {
		return m, err
	}
	m.Binary = scanBinary(data, udh, dst, src, mclass, pid)
	m.SendAfter, m.ExpiresAt = msTime(sendAfter), msTime(expires)
	m.RouteTags = decodeTags(tags)
	if meta != "" {
		if err := json.Unmarshal([]byte(meta), &m.Metadata); err != nil {
			return m, fmt.Errorf("message %d: metadata: %w", m.ID, err)
		}
	}
	m.State, m.ErrorClass, m.Category = smsgw.State(state), queue.ErrorClass(class), smsgw.Category(category)
	if m.State == smsgw.StateQueued {
		m.NextAttempt = msTime(next)
	}
	m.CreatedAt, m.UpdatedAt = msTime(created), msTime(updated)
	return m, nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Store) scanMessages(ctx context.Context, q querier, query string, args ...any) ([]queue.Message, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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

// Get returns a message with its parts and attempts.
func (s *Store) Get(ctx context.Context, id int64) (queue.Message, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: get %d: %w", id, err)
	}
	defer tx.Rollback()
	m, err := getMessage(ctx, tx, id)
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: get %d: %w", id, err)
	}
	return m, nil
}

func getMessage(ctx context.Context, q querier, id int64) (queue.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, smsgw.ErrNotFound
	}
	if err != nil {
		return m, err
	}
	rows, err := q.QueryContext(ctx, `SELECT seq, modem, mr, sent_at, status, status_code, status_at
		FROM parts WHERE message_id = ? ORDER BY seq`, id)
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
	rows, err = q.QueryContext(ctx, `SELECT id, modem, started_at, ended_at, outcome, error, code
		FROM attempts WHERE message_id = ? ORDER BY id`, id)
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
	var where []string
	var args []any
	states := f.States
	if f.State != "" {
		states = append([]smsgw.State{f.State}, states...)
	}
	if len(states) > 0 {
		ph := make([]string, len(states))
		for i, st := range states {
			if !st.Valid() {
				return queue.Page{}, invalid("state", "%q is not a message state", st)
			}
			ph[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "state IN ("+strings.Join(ph, ",")+")")
	}
	if f.Recipient != "" {
		n, err := smsgw.NormalizeDigits(f.Recipient)
		if err != nil {
			return queue.Page{}, invalid("to", "%v", err)
		}
		where = append(where, "recipient = ?")
		args = append(args, n)
	}
	if f.Campaign != "" {
		where = append(where, "campaign = ?")
		args = append(args, f.Campaign)
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, f.Until.UnixMilli())
	}
	if f.Cursor < 0 {
		return queue.Page{}, invalid("cursor", "must not be negative")
	}
	if f.Cursor > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q := `SELECT ` + msgCols + ` FROM messages`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit+1)
	msgs, err := s.scanMessages(ctx, s.rdb, q, args...)
	if err != nil {
		return queue.Page{}, fmt.Errorf("queue: list: %w", err)
	}
	var pg queue.Page
	if len(msgs) > limit {
		msgs = msgs[:limit]
		pg.Next = msgs[limit-1].ID
	}
	pg.Messages = msgs
	return pg, nil
}

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
	err := s.write(ctx, true, func(w *wtx) error {
		st, err := w.messageState(id)
		if err != nil {
			return err
		}
		if st != smsgw.StateQueued {
			return fmt.Errorf("%w: it is %s", queue.ErrNotCancellable, st)
		}
		if err := w.setState(id, smsgw.StateCancelled, queue.ReasonCancelled); err != nil {
			return err
		}
		if err := w.messageEvent(queue.EventCancelled, id); err != nil {
			return err
		}
		m, err = getMessage(w.ctx, w.tx, id)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: cancel %d: %w", id, err)
	}
	return m, nil
}

// Requeue puts a failed, expired or uncertain message back in the queue
// with fresh retry counters, for an operator who decides to try again.
func (s *Store) Requeue(ctx context.Context, id int64) (queue.Message, error) {
	var m queue.Message
	err := s.write(ctx, true, func(w *wtx) error {
		st, err := w.messageState(id)
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
		if _, err := w.exec(`DELETE FROM parts WHERE message_id = ?1 AND
			(SELECT count(*) FROM parts WHERE message_id = ?1) >= (SELECT parts_total FROM messages WHERE id = ?1)`, id); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE messages SET state = 'queued', reason = ?, failures = 0, faults = 0,
			expires_at = CASE WHEN expires_at <= ? THEN 0 ELSE expires_at END,
			parts_total = CASE WHEN EXISTS (SELECT 1 FROM parts WHERE message_id = messages.id) THEN parts_total ELSE 0 END,
			concat_ref = CASE WHEN EXISTS (SELECT 1 FROM parts WHERE message_id = messages.id) THEN concat_ref ELSE -1 END,
			next_at = ?, updated_at = ? WHERE id = ?`, queue.ReasonRequeued, w.now, w.now, w.now, id); err != nil {
			return err
		}
		w.wakeReady = true
		m, err = getMessage(w.ctx, w.tx, id)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: requeue %d: %w", id, err)
	}
	return m, nil
}

// messageState reads a message's state; smsgw.ErrNotFound when there is none.
func (w *wtx) messageState(id int64) (smsgw.State, error) {
	var st string
	err := w.queryRow(`SELECT state FROM messages WHERE id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", smsgw.ErrNotFound
	}
	return smsgw.State(st), err
}

// setState moves a message to a state that is not queued, recording why.
func (w *wtx) setState(id int64, st smsgw.State, reason string) error {
	_, err := w.exec(`UPDATE messages SET state = ?, reason = ?, updated_at = ? WHERE id = ?`, string(st), reason, w.now, id)
	return err
}

// Counts returns how many messages are in each state (every state present,
// zero included). It reads the counts kept in the same transaction as
// every change (see migrations/0006_state_counts.sql and
// 0022_insert_upkeep.sql), so its cost does not grow with the number of
// messages.
func (s *Store) Counts(ctx context.Context) (map[smsgw.State]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT state, n FROM state_counts`)
	if err != nil {
		return nil, fmt.Errorf("queue: counts: %w", err)
	}
	defer rows.Close()
	out := make(map[smsgw.State]int64, len(smsgw.States))
	for _, st := range smsgw.States {
		out[st] = 0
	}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("queue: counts: %w", err)
		}
		out[smsgw.State(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: counts: %w", err)
	}
	return out, nil
}

// OldestQueued returns the creation time of the oldest queued message, or
// the zero time when the queue is empty.
func (s *Store) OldestQueued(ctx context.Context) (time.Time, error) {
	var ms sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT created_at FROM messages WHERE state = 'queued' ORDER BY id LIMIT 1`).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: oldest queued: %w", err)
	}
	return msTime(ms.Int64), nil
}

// ByKey returns the messages an idempotency key created, in request order,
// or smsgw.ErrNotFound when the key was never used.
func (s *Store) ByKey(ctx context.Context, key string) ([]queue.Message, error) {
	var first, count int64
	err := s.rdb.QueryRowContext(ctx, `SELECT first_id, count FROM requests WHERE key = ?`, key).Scan(&first, &count)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("queue: key %q: %w", key, smsgw.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: key %q: %w", key, err)
	}
	msgs, err := s.scanMessages(ctx, s.rdb, `SELECT `+msgCols+` FROM messages WHERE id BETWEEN ? AND ? ORDER BY id`, first, first+count-1)
	if err != nil {
		return nil, fmt.Errorf("queue: key %q: %w", key, err)
	}
	return msgs, nil
}
