package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"smsgw"
	"smsgw/queue"
)

// ApplyReport matches a status report to a sent part: the same modem of
// this node (a modem id is its gateway's own name) and message reference,
// a recipient that is the same number (national and international forms
// match), sent within Options.ReportWindow. References wrap at 256, so
// among several candidates the latest part still awaiting a final report
// wins. It records the part's status; once every part is delivered the
// message is delivered, and a failed part fails the message. A report
// that matches nothing gives ErrNoMatch.
//
// Reports with the same reference on the same modem are matched one at a
// time (two of them at once must not both take the latest open part), and
// the message row is locked before its parts are counted (two parts'
// reports at once must not each miss the other's).
func (s *Store) ApplyReport(ctx context.Context, r queue.Report) (queue.ReportMatch, error) {
	switch r.Status {
	case queue.ReportDelivered, queue.ReportPending, queue.ReportFailed:
	default:
		return queue.ReportMatch{}, invalid("status", "%q is not delivered, pending or failed", r.Status)
	}
	mr := r.MR & 0xFF
	var out queue.ReportMatch
	err := s.write(ctx, func(w *txn) error {
		out = queue.ReportMatch{}
		if _, err := w.exec(`SELECT pg_advisory_xact_lock($1)`, reportLockKey(s.opt.Node, r.Modem, mr)); err != nil {
			return fmt.Errorf("lock reference: %w", err)
		}
		since := w.now - s.opt.ReportWindow.Milliseconds()
		rows, err := w.query(`SELECT p.message_id, p.seq, p.status, m.recipient FROM parts p
			JOIN messages m ON m.id = p.message_id
			WHERE p.node = $1 AND p.modem = $2 AND p.mr = $3 AND p.sent_at >= $4
			ORDER BY p.sent_at DESC, p.message_id DESC, p.seq DESC LIMIT 64`, s.opt.Node, r.Modem, mr, since)
		if err != nil {
			return err
		}
		type cand struct {
			id     int64
			seq    int
			status string
		}
		var open, closed *cand
		for rows.Next() {
			var c cand
			var to string
			if err := rows.Scan(&c.id, &c.seq, &c.status, &to); err != nil {
				rows.Close()
				return err
			}
			if !queue.SameNumber(to, r.Recipient) {
				continue
			}
			switch queue.PartStatus(c.status) {
			case queue.PartSent, queue.PartPending:
				if open == nil {
					open = &c
				}
			default:
				if closed == nil {
					closed = &c
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		c := open
		if c == nil {
			c = closed // a repeated final report: apply again, harmlessly
		}
		if c == nil {
			return queue.ErrNoMatch
		}
		out.MessageID, out.Seq = c.id, c.seq
		var one int
		err = w.queryRow(`SELECT 1 FROM messages WHERE id = $1 FOR UPDATE`, c.id).Scan(&one)
		if errNoRows(err) {
			return queue.ErrNoMatch // purged while the report waited for it
		}
		if err != nil {
			return fmt.Errorf("lock message %d: %w", c.id, err)
		}
		if _, err := w.exec(`UPDATE parts SET status = $1, status_code = $2, status_at = $3 WHERE message_id = $4 AND seq = $5`,
			string(r.Status), r.Code, w.now, c.id, c.seq); err != nil {
			return err
		}
		out.State, err = w.settleReports(c.id)
		return err
	})
	if err != nil {
		if errors.Is(err, queue.ErrNoMatch) {
			return queue.ReportMatch{}, fmt.Errorf("queue: report from %s (mr %d): %w", r.Modem, r.MR, err)
		}
		return queue.ReportMatch{}, fmt.Errorf("queue: apply report: %w", err)
	}
	return out, nil
}

// reportLockKey is the advisory lock key of one reference on one modem.
func reportLockKey(node, modem string, mr int) int64 {
	h := fnv.New64a()
	for _, s := range []string{"report", node, modem, strconv.Itoa(mr)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// settleReports moves a sent message to delivered when every part is, or
// to failed when a part failed, and returns the message's state. The
// caller holds the message row's lock.
func (w *txn) settleReports(id int64) (smsgw.State, error) {
	var state string
	var total, delivered, failed, code int
	err := w.queryRow(`SELECT m.state, m.parts_total,
		(SELECT count(*) FROM parts WHERE message_id = m.id AND status = 'delivered'),
		(SELECT count(*) FROM parts WHERE message_id = m.id AND status = 'failed'),
		coalesce((SELECT status_code FROM parts WHERE message_id = m.id AND status = 'failed' ORDER BY seq LIMIT 1), 0)
		FROM messages m WHERE m.id = $1`, id).Scan(&state, &total, &delivered, &failed, &code)
	if err != nil {
		return "", err
	}
	if smsgw.State(state) != smsgw.StateSent {
		return smsgw.State(state), nil
	}
	switch {
	case failed > 0:
		if _, err := w.exec(`UPDATE messages SET state = 'failed', reason = $1, error = $2, error_class = 'permanent',
			error_code = $3, updated_at = $4 WHERE id = $5`, queue.ReasonReport,
			fmt.Sprintf("not delivered: the network reported status 0x%02X", code), code, w.now, id); err != nil {
			return "", err
		}
		return smsgw.StateFailed, w.messageEvent(queue.EventFailed, id)
	case total > 0 && delivered == total:
		if _, err := w.exec(`UPDATE messages SET state = 'delivered', reason = $1, updated_at = $2 WHERE id = $3`,
			queue.ReasonReport, w.now, id); err != nil {
			return "", err
		}
		return smsgw.StateDelivered, w.messageEvent(queue.EventDelivered, id)
	}
	return smsgw.StateSent, nil
}
