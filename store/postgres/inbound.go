package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/internal/stored"
)

// AddInboundPart stores a received part durably (delete it from the SIM
// only after this returns nil, then call SlotDeleted) and joins the
// message when all its parts are in. A part read again from a slot that
// was committed with the same bytes and whose delete is not confirmed yet
// (a crash between commit and AT+CMGD, a sweep re-reading it) is reported
// as Duplicate and changes nothing. Nothing else is ever a duplicate:
// identical messages from one sender in one second are each stored.
//
// Parts of one message may be committed at the same moment by several
// connections (of this gateway or of another handle with the same node):
// the parts of a group are counted and joined under a lock of that group,
// so the message is joined exactly once, by whichever commit completes it.
func (s *Store) AddInboundPart(ctx context.Context, p queue.InboundPart) (queue.InboundResult, error) {
	if err := p.Check(); err != nil {
		return queue.InboundResult{}, err
	}
	digest := stored.Digest(p.PDU)
	defects := stored.JoinDefects(p.Defects)
	var scts int64
	if !p.SCTS.IsZero() {
		scts = p.SCTS.UnixMilli()
	}
	var out queue.InboundResult
	err := s.write(ctx, func(w *txn) error {
		out = queue.InboundResult{}
		dup, err := w.claimSlot(p.Modem, p.Slot, digest)
		if err != nil || dup {
			out.Duplicate = dup
			return err
		}
		g := group{s.opt.Node, p.Modem, p.Sender, p.Ref, p.Total}
		if err := w.lockGroup(g); err != nil {
			return err
		}
		if _, err := w.exec(`INSERT INTO inbound_parts (node, modem, sender, ref, total, seq, scts, digest, received_at, pdu, defects)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			g.node, g.modem, g.sender, g.ref, g.total, p.Seq, scts, digest, w.now, p.PDU, defects); err != nil {
			return fmt.Errorf("store part: %w", err)
		}
		var have int
		if err := w.queryRow(`SELECT count(DISTINCT seq) FROM inbound_parts
			WHERE inbox_id IS NULL AND node = $1 AND modem = $2 AND sender = $3 AND ref = $4 AND total = $5`,
			g.node, g.modem, g.sender, g.ref, g.total).Scan(&have); err != nil {
			return err
		}
		if have < g.total {
			return nil
		}
		out.InboxID, err = w.join(g, false)
		return err
	})
	if err != nil {
		return queue.InboundResult{}, fmt.Errorf("queue: add inbound part: %w", err)
	}
	return out, nil
}

// group is the key of one received message's parts: a modem is the name
// its gateway (node) gives it, so the node is part of the key.
type group struct {
	node, modem, sender string
	ref, total          int
}

// lockKey is the advisory lock key of a group.
func (g group) lockKey() int64 {
	h := fnv.New64a()
	for _, s := range []string{"inbound", g.node, g.modem, g.sender, strconv.Itoa(g.ref), strconv.Itoa(g.total)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// lockGroup takes the group's lock until the transaction ends: whoever
// counts or joins its parts holds it, so two commits of the last parts
// cannot each miss the other's, nor two sweeps join the same parts twice.
func (w *txn) lockGroup(g group) error {
	if _, err := w.exec(`SELECT pg_advisory_xact_lock($1)`, g.lockKey()); err != nil {
		return fmt.Errorf("lock part group: %w", err)
	}
	return nil
}

// join turns the waiting parts of a group into an inbox message; the
// caller holds the group's lock. It returns 0 when no part is waiting (a
// sweep elsewhere joined them first).
func (w *txn) join(g group, incomplete bool) (int64, error) {
	rows, err := w.query(`SELECT seq, pdu, scts, received_at, defects FROM inbound_parts
		WHERE inbox_id IS NULL AND node = $1 AND modem = $2 AND sender = $3 AND ref = $4 AND total = $5 ORDER BY seq, id`,
		g.node, g.modem, g.sender, g.ref, g.total)
	if err != nil {
		return 0, err
	}
	f := stored.PartsFold{Total: g.total}
	for rows.Next() {
		var seq int
		var pdu []byte
		var ts, rcv int64
		var def string
		if err := rows.Scan(&seq, &pdu, &ts, &rcv, &def); err != nil {
			rows.Close()
			return 0, err
		}
		f.Add(seq, pdu, ts, rcv, def)
	}
	pdus, defects, scts, received := f.PDUs, f.Defects, f.SCTS, f.Received
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(pdus) == 0 {
		return 0, nil
	}
	j, jerr := w.s.joinText(pdus)
	text, coding := j.Text, j.Coding
	errText := ""
	if jerr != nil {
		errText = jerr.Error()
	}
	data, dst, src, class := inboxBinaryCols(j)
	var id int64
	err = w.queryRow(`INSERT INTO inbox (node, modem, sender, text, coding, ref, parts_total, parts_have, incomplete, error, scts, received_at, defects,
		data, dst_port, src_port, class)
		VALUES ($17, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		g.modem, g.sender, text, coding, g.ref, g.total, len(pdus), incomplete, errText, scts, received, stored.JoinDefects(defects),
		data, dst, src, class, g.node).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert inbox message: %w", err)
	}
	if _, err := w.exec(`UPDATE inbound_parts SET inbox_id = $1
		WHERE inbox_id IS NULL AND node = $2 AND modem = $3 AND sender = $4 AND ref = $5 AND total = $6`,
		id, g.node, g.modem, g.sender, g.ref, g.total); err != nil {
		return 0, err
	}
	return id, w.appendEvent(queue.EventReceived, id, queue.InboxEvent{
		ID: id, From: g.sender, Modem: g.modem, Text: text, Coding: coding, Complete: !incomplete,
		PartsTotal: g.total, PartsReceived: len(pdus), Error: errText, SentAt: msTime(scts), ReceivedAt: msTime(received),
		Defects: defects, Data: j.Data, Ports: j.Ports, Class: j.Class,
	})
}

// inboxBinaryCols is what an inbox row keeps of a decoded message besides
// its text: -1 stands for an absent port or class.
func inboxBinaryCols(j queue.Joined) (data []byte, dst, src, class int) {
	dst, src, class = -1, -1, -1
	if j.Ports != nil {
		dst, src = j.Ports.Dst, j.Ports.Src
	}
	if j.Class != nil {
		class = *j.Class
	}
	return j.Data, dst, src, class
}

// joinText calls Options.Join (or JoinText), turning a panic into an
// error: a codec bug must not take the caller (and its transaction) down.
func (s *Store) joinText(pdus [][]byte) (j queue.Joined, err error) {
	if s.opt.Join == nil && s.opt.JoinText == nil {
		return j, errors.New("no decoder configured; raw PDUs kept")
	}
	defer func() {
		if r := recover(); r != nil {
			j, err = queue.Joined{}, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	if s.opt.Join != nil {
		return s.opt.Join(pdus)
	}
	j.Text, j.Coding, err = s.opt.JoinText(pdus)
	return j, err
}

// sweepInbound is Sweep's inbound half: it joins the groups of received
// parts that waited longer than JoinTimeout for their siblings, as
// incomplete messages, each group in its own transaction, and returns when
// the next waiting part times out (zero when none waits). Any gateway's
// sweep may join any group: under the group's lock the waiting parts are
// read again, so a group another sweep joined first is found empty.
func (s *Store) sweepInbound(ctx context.Context) (time.Time, error) {
	timeout := s.opt.JoinTimeout.Milliseconds()
	next, err := s.inboundDeadline(ctx, timeout)
	if err != nil || next == 0 || next > s.nowMs() {
		return msTime(next), err
	}
	cut := s.nowMs() - timeout
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT node, modem, sender, ref, total FROM inbound_parts
		WHERE inbox_id IS NULL AND received_at <= $1`, cut)
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: sweep: %w", mapErr(err))
	}
	gs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (group, error) {
		var g group
		err := r.Scan(&g.node, &g.modem, &g.sender, &g.ref, &g.total)
		return g, err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: sweep: %w", mapErr(err))
	}
	for _, g := range gs {
		err := s.write(ctx, func(w *txn) error {
			if err := w.lockGroup(g); err != nil {
				return err
			}
			var oldest *int64
			if err := w.queryRow(`SELECT min(received_at) FROM inbound_parts
				WHERE inbox_id IS NULL AND node = $1 AND modem = $2 AND sender = $3 AND ref = $4 AND total = $5`,
				g.node, g.modem, g.sender, g.ref, g.total).Scan(&oldest); err != nil {
				return err
			}
			if oldest == nil || *oldest > cut {
				return nil // joined meanwhile (completed, or by another sweep)
			}
			_, err := w.join(g, true)
			return err
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("queue: sweep: join timed-out parts: %w", err)
		}
	}
	next, err = s.inboundDeadline(ctx, timeout)
	return msTime(next), err
}

// inboundDeadline is when the oldest waiting part times out (0 if none).
func (s *Store) inboundDeadline(ctx context.Context, timeout int64) (int64, error) {
	var oldest *int64
	if err := s.pool.QueryRow(ctx, `SELECT min(received_at) FROM inbound_parts WHERE inbox_id IS NULL`).Scan(&oldest); err != nil {
		return 0, fmt.Errorf("queue: read join deadline: %w", mapErr(err))
	}
	if oldest == nil {
		return 0, nil
	}
	return *oldest + timeout, nil
}

const inboxCols = `id, modem, sender, text, coding, ref, parts_total, parts_have, incomplete, error, scts, received_at,
	defects, undecodable, pdu, storage, slot, data, dst_port, src_port, class`

func scanInbox(sc pgx.Row) (queue.InboxMessage, error) {
	var m queue.InboxMessage
	var incomplete bool
	var scts, rcv int64
	var defects string
	var data []byte
	var dst, src, class int
	err := sc.Scan(&m.ID, &m.Modem, &m.From, &m.Text, &m.Coding, &m.Ref, &m.PartsTotal, &m.PartsReceived,
		&incomplete, &m.Error, &scts, &rcv, &defects, &m.Undecodable, &m.PDU, &m.Storage, &m.Slot,
		&data, &dst, &src, &class)
	if err != nil {
		return m, err
	}
	m.Data = data
	if dst >= 0 {
		m.Ports = &queue.Ports{Dst: dst, Src: max(src, 0)}
	}
	if class >= 0 {
		c := class
		m.Class = &c
	}
	m.Complete, m.SentAt, m.ReceivedAt = !incomplete, msTime(scts), msTime(rcv)
	m.Defects = stored.SplitDefects(defects)
	return m, nil
}

// Inbox lists received messages newest first.
func (s *Store) Inbox(ctx context.Context, f queue.InboxFilter) (queue.InboxPage, error) {
	if err := s.closedErr(); err != nil {
		return queue.InboxPage{}, err
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !f.Since.IsZero() {
		where = append(where, "received_at >= "+arg(f.Since.UnixMilli()))
	}
	if f.From != "" {
		where = append(where, "sender = "+arg(f.From))
	}
	if f.Modem != "" {
		where = append(where, "modem = "+arg(f.Modem))
	}
	if f.Cursor < 0 {
		return queue.InboxPage{}, invalid("cursor", "must not be negative")
	}
	if f.Cursor > 0 {
		where = append(where, "id < "+arg(f.Cursor))
	}
	limit := clampLimit(f.Limit)
	q := `SELECT ` + inboxCols + ` FROM inbox`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + arg(limit+1)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return queue.InboxPage{}, fmt.Errorf("queue: inbox: %w", mapErr(err))
	}
	defer rows.Close()
	var pg queue.InboxPage
	for rows.Next() {
		m, err := scanInbox(rows)
		if err != nil {
			return queue.InboxPage{}, fmt.Errorf("queue: inbox: %w", err)
		}
		pg.Messages = append(pg.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return queue.InboxPage{}, fmt.Errorf("queue: inbox: %w", mapErr(err))
	}
	if len(pg.Messages) > limit {
		pg.Messages = pg.Messages[:limit]
		pg.Next = pg.Messages[limit-1].ID
	}
	return pg, nil
}

// GetInbox returns one received message with its raw parts, read from one
// snapshot.
func (s *Store) GetInbox(ctx context.Context, id int64) (queue.InboxMessage, error) {
	if err := s.closedErr(); err != nil {
		return queue.InboxMessage{}, err
	}
	var m queue.InboxMessage
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		m, err = scanInbox(tx.QueryRow(ctx, `SELECT `+inboxCols+` FROM inbox WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return smsgw.ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT seq, pdu, scts, received_at FROM inbound_parts
			WHERE inbox_id = $1 ORDER BY seq, id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p queue.ReceivedPart
			var ts, rcv int64
			if err := rows.Scan(&p.Seq, &p.PDU, &ts, &rcv); err != nil {
				return err
			}
			p.SentAt, p.ReceivedAt = msTime(ts), msTime(rcv)
			m.Parts = append(m.Parts, p)
		}
		return rows.Err()
	})
	if err != nil {
		return queue.InboxMessage{}, fmt.Errorf("queue: get inbox %d: %w", id, mapErr(err))
	}
	return m, nil
}

// DeleteInbox deletes a received message and its raw parts. The slot rows
// of parts whose delete from the modem is still pending stay (see
// SlotDeleted), so a later sweep cannot store the message again.
func (s *Store) DeleteInbox(ctx context.Context, id int64) error {
	err := s.write(ctx, func(w *txn) error {
		tag, err := w.exec(`DELETE FROM inbox WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return smsgw.ErrNotFound
		}
		_, err = w.exec(`DELETE FROM inbound_parts WHERE inbox_id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: delete inbox %d: %w", id, err)
	}
	return nil
}

// purgeInbound is Purge's inbound and outbox half: it deletes inbox
// messages received before before, with their raw parts, in small
// transactions, then the events no consumer still needs, and reports how
// many into p.
func (s *Store) purgeInbound(ctx context.Context, before time.Time, p *queue.Purged) error {
	cut := before.UnixMilli()
	for {
		var n int64
		err := s.write(ctx, func(w *txn) error {
			n = 0
			ids, err := w.queryIDs(`SELECT id FROM inbox WHERE received_at < $1 ORDER BY id LIMIT $2`, cut, inboxPurgeChunk)
			if err != nil || len(ids) == 0 {
				w.quiet = true
				return err
			}
			if _, err := w.exec(`DELETE FROM inbound_parts WHERE inbox_id = ANY($1)`, ids); err != nil {
				return err
			}
			tag, err := w.exec(`DELETE FROM inbox WHERE id = ANY($1)`, ids)
			n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return fmt.Errorf("queue: purge inbox: %w", err)
		}
		p.Inbox += n
		if n < inboxPurgeChunk {
			break
		}
	}
	n, err := s.PruneEvents(ctx, before)
	p.Events = n
	return err
}

// inboxPurgeChunk bounds the inbox messages one purge transaction deletes,
// so that a large purge never holds its locks for long.
const inboxPurgeChunk = 2000
