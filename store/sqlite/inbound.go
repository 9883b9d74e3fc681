package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/queue"
	"smsgw/store/internal/stored"

	"smsgw"
)

// AddInboundPart stores a received part durably (delete it from the SIM
// only after this returns nil, then call SlotDeleted) and joins the
// message when all its parts are in. A part read again from a slot that
// was committed with the same bytes and whose delete is not confirmed yet
// (a crash between commit and AT+CMGD, a sweep re-reading it) is reported
// as Duplicate and changes nothing. Nothing else is ever a duplicate:
// identical messages from one sender in one second are each stored.
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
	err := s.write(ctx, true, func(w *wtx) error {
		out = queue.InboundResult{}
		dup, err := w.claimSlot(p.Modem, p.Slot, digest)
		if err != nil || dup {
			out.Duplicate = dup
			return err
		}
		if _, err := w.exec(`INSERT INTO inbound_parts (node, modem, sender, ref, total, seq, scts, digest, received_at, pdu, defects)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.opt.Node, p.Modem, p.Sender, p.Ref, p.Total, p.Seq, scts, digest, w.now, p.PDU, defects); err != nil {
			return fmt.Errorf("store part: %w", err)
		}
		g := group{s.opt.Node, p.Modem, p.Sender, p.Ref, p.Total}
		var have int
		if err := w.queryRow(`SELECT count(DISTINCT seq) FROM inbound_parts
			WHERE inbox_id IS NULL AND node = ? AND modem = ? AND sender = ? AND ref = ? AND total = ?`,
			g.node, g.modem, g.sender, g.ref, g.total).Scan(&have); err != nil {
			return err
		}
		if have < g.total {
			w.s.hint(w.now + s.opt.JoinTimeout.Milliseconds())
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

// join turns the waiting parts of a group into an inbox message.
func (w *wtx) join(g group, incomplete bool) (int64, error) {
	rows, err := w.query(`SELECT seq, pdu, scts, received_at, defects FROM inbound_parts
		WHERE inbox_id IS NULL AND node = ? AND modem = ? AND sender = ? AND ref = ? AND total = ? ORDER BY seq, id`,
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
	data, _, dst, src, class := binaryCols(queue.Binary{Data: j.Data, Ports: j.Ports, Class: j.Class})
	res, err := w.exec(`INSERT INTO inbox (modem, sender, text, coding, ref, parts_total, parts_have, incomplete, error, scts, received_at, defects,
		data, dst_port, src_port, class)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.modem, g.sender, text, coding, g.ref, g.total, len(pdus), incomplete, errText, scts, received, stored.JoinDefects(defects),
		data, dst, src, class)
	if err != nil {
		return 0, fmt.Errorf("insert inbox message: %w", err)
	}
	id, _ := res.LastInsertId()
	if _, err := w.exec(`UPDATE inbound_parts SET inbox_id = ?
		WHERE inbox_id IS NULL AND node = ? AND modem = ? AND sender = ? AND ref = ? AND total = ?`,
		id, g.node, g.modem, g.sender, g.ref, g.total); err != nil {
		return 0, err
	}
	return id, w.appendEvent(queue.EventReceived, id, queue.InboxEvent{
		ID: id, From: g.sender, Modem: g.modem, Text: text, Coding: coding, Complete: !incomplete,
		PartsTotal: g.total, PartsReceived: len(pdus), Error: errText, SentAt: msTime(scts), ReceivedAt: msTime(received),
		Defects: defects, Data: j.Data, Ports: j.Ports, Class: j.Class,
	})
}

// joinText calls Options.Join (or JoinText), turning a panic into an
// error: a codec bug must not take the committer (and every caller) down.
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

// Sweep does the time-driven work that is due: it expires queued messages
// past their expiry and joins inbound parts that waited JoinTimeout for
// their siblings (as incomplete messages). It returns when the next such
// deadline falls (zero if none). The store runs it by itself; it is
// exported for tests with an injected clock and for an explicit nudge.
func (s *Store) Sweep(ctx context.Context) (time.Time, error) {
	timeout := s.opt.JoinTimeout.Milliseconds()
	next, due, err := s.deadlines(ctx, timeout)
	if err != nil || !due {
		return next, err
	}
	err = s.write(ctx, false, func(w *wtx) error {
		if err := w.expireDue(); err != nil {
			return err
		}
		rows, err := w.query(`SELECT DISTINCT node, modem, sender, ref, total FROM inbound_parts INDEXED BY inbound_parts_age
			WHERE inbox_id IS NULL AND received_at <= ?`, w.now-timeout)
		if err != nil {
			return err
		}
		var gs []group
		for rows.Next() {
			var g group
			if err := rows.Scan(&g.node, &g.modem, &g.sender, &g.ref, &g.total); err != nil {
				rows.Close()
				return err
			}
			gs = append(gs, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range gs {
			if _, err := w.join(g, true); err != nil {
				return fmt.Errorf("join timed-out parts: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: sweep: %w", err)
	}
	next, _, err = s.deadlines(ctx, timeout)
	return next, err
}

// deadlines reads (without taking the writer) the next expiry and join
// deadline, and whether one has passed.
func (s *Store) deadlines(ctx context.Context, timeout int64) (next time.Time, due bool, err error) {
	var exp, oldest sql.NullInt64
	err = s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT min(expires_at) FROM messages WHERE state = 'queued' AND expires_at > 0),
		(SELECT min(received_at) FROM inbound_parts WHERE inbox_id IS NULL)`).Scan(&exp, &oldest)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("queue: read deadlines: %w", err)
	}
	var n int64
	if exp.Valid {
		n = exp.Int64
	}
	if oldest.Valid && (n == 0 || oldest.Int64+timeout < n) {
		n = oldest.Int64 + timeout
	}
	if n == 0 {
		return time.Time{}, false, nil
	}
	return msTime(n), n <= s.nowMs(), nil
}

const inboxCols = `id, modem, sender, text, coding, ref, parts_total, parts_have, incomplete, error, scts, received_at,
	defects, undecodable, pdu, storage, slot, data, dst_port, src_port, class`

func scanInbox(sc scanner) (queue.InboxMessage, error) {
	var m queue.InboxMessage
	var incomplete bool
	var scts, rcv int64
	var defects string
	var data []byte
	var dst, src, class int
	err := sc.Scan(&m.ID, &m.Modem, &m.From, &m.Text, &m.Coding, &m.Ref, &m.PartsTotal, &m.PartsReceived,
		&incomplete, &m.Error, &scts, &rcv, &defects, &m.Undecodable, &m.PDU, &m.Storage, &m.Slot,
		&data, &dst, &src, &class)
	b := scanBinary(data, nil, dst, src, class, 0)
	m.Data, m.Ports, m.Class = b.Data, b.Ports, b.Class
	m.Complete, m.SentAt, m.ReceivedAt = !incomplete, msTime(scts), msTime(rcv)
	m.Defects = stored.SplitDefects(defects)
	return m, err
}

// Inbox lists received messages newest first.
func (s *Store) Inbox(ctx context.Context, f queue.InboxFilter) (queue.InboxPage, error) {
	var where []string
	var args []any
	if !f.Since.IsZero() {
		where = append(where, "received_at >= ?")
		args = append(args, f.Since.UnixMilli())
	}
	if f.From != "" {
		where = append(where, "sender = ?")
		args = append(args, f.From)
	}
	if f.Modem != "" {
		where = append(where, "modem = ?")
		args = append(args, f.Modem)
	}
	if f.Cursor < 0 {
		return queue.InboxPage{}, invalid("cursor", "must not be negative")
	}
	if f.Cursor > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q := `SELECT ` + inboxCols + ` FROM inbox`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return queue.InboxPage{}, fmt.Errorf("queue: inbox: %w", err)
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
		return queue.InboxPage{}, fmt.Errorf("queue: inbox: %w", err)
	}
	if len(pg.Messages) > limit {
		pg.Messages = pg.Messages[:limit]
		pg.Next = pg.Messages[limit-1].ID
	}
	return pg, nil
}

// GetInbox returns one received message with its raw parts.
func (s *Store) GetInbox(ctx context.Context, id int64) (queue.InboxMessage, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return queue.InboxMessage{}, fmt.Errorf("queue: get inbox %d: %w", id, err)
	}
	defer tx.Rollback()
	m, err := scanInbox(tx.QueryRowContext(ctx, `SELECT `+inboxCols+` FROM inbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return queue.InboxMessage{}, fmt.Errorf("queue: get inbox %d: %w", id, smsgw.ErrNotFound)
	}
	if err != nil {
		return queue.InboxMessage{}, fmt.Errorf("queue: get inbox %d: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, pdu, scts, received_at FROM inbound_parts
		WHERE inbox_id = ? ORDER BY seq, id`, id)
	if err != nil {
		return queue.InboxMessage{}, fmt.Errorf("queue: get inbox %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p queue.ReceivedPart
		var ts, rcv int64
		if err := rows.Scan(&p.Seq, &p.PDU, &ts, &rcv); err != nil {
			return queue.InboxMessage{}, fmt.Errorf("queue: get inbox %d: %w", id, err)
		}
		p.SentAt, p.ReceivedAt = msTime(ts), msTime(rcv)
		m.Parts = append(m.Parts, p)
	}
	if err := rows.Err(); err != nil {
		return queue.InboxMessage{}, fmt.Errorf("queue: get inbox %d: %w", id, err)
	}
	return m, nil
}

// DeleteInbox deletes a received message and its raw parts. The slot rows
// of parts whose delete from the modem is still pending stay (see
// SlotDeleted), so a later sweep cannot store the message again.
func (s *Store) DeleteInbox(ctx context.Context, id int64) error {
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM inbox WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return smsgw.ErrNotFound
		}
		_, err = w.exec(`DELETE FROM inbound_parts WHERE inbox_id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: delete inbox %d: %w", id, err)
	}
	return nil
}
