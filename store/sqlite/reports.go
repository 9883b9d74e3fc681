package sqlite

import (
	"context"
	"errors"
	"fmt"

	"smsgw/queue"

	"smsgw"
)

// ApplyReport matches a status report to a sent part: the same modem of
// this node (a modem id is its gateway's own name) and
// message reference, a recipient that is the same number (national and
// international forms match), sent within Options.ReportWindow. References
// wrap at 256, so among several candidates the latest part still awaiting
// a final report wins. It records the part's status; once every part is
// delivered the message is delivered, and a failed part fails the message.
// A report that matches nothing gives ErrNoMatch.
func (s *Store) ApplyReport(ctx context.Context, r queue.Report) (queue.ReportMatch, error) {
	switch r.Status {
	case queue.ReportDelivered, queue.ReportPending, queue.ReportFailed:
	default:
		return queue.ReportMatch{}, invalid("status", "%q is not delivered, pending or failed", r.Status)
	}
	var out queue.ReportMatch
	err := s.write(ctx, true, func(w *wtx) error {
		out = queue.ReportMatch{}
		since := w.now - s.opt.ReportWindow.Milliseconds()
		rows, err := w.query(`SELECT p.message_id, p.seq, p.status, m.recipient FROM parts p
			JOIN messages m ON m.id = p.message_id
			WHERE p.node = ? AND p.modem = ? AND p.mr = ? AND p.sent_at >= ?
			ORDER BY p.sent_at DESC, p.message_id DESC, p.seq DESC LIMIT 64`, s.opt.Node, r.Modem, r.MR&0xFF, since)
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
		st := queue.PartStatus(r.Status)
		if _, err := w.exec(`UPDATE parts SET status = ?, status_code = ?, status_at = ? WHERE message_id = ? AND seq = ?`,
			string(st), r.Code, w.now, c.id, c.seq); err != nil {
			return err
		}
		if err := w.settleReports(c.id); err != nil {
			return err
		}
		out.State, err = w.messageState(c.id)
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

// settleReports moves a sent message to delivered when every part is, or
// to failed when a part failed.
func (w *wtx) settleReports(id int64) error {
	var state string
	var total, delivered, failed, code int
	err := w.queryRow(`SELECT m.state, m.parts_total,
		(SELECT count(*) FROM parts WHERE message_id = m.id AND status = 'delivered'),
		(SELECT count(*) FROM parts WHERE message_id = m.id AND status = 'failed'),
		coalesce((SELECT status_code FROM parts WHERE message_id = m.id AND status = 'failed' LIMIT 1), 0)
		FROM messages m WHERE m.id = ?`, id).Scan(&state, &total, &delivered, &failed, &code)
	if err != nil {
		return err
	}
	if smsgw.State(state) != smsgw.StateSent {
		return nil
	}
	switch {
	case failed > 0:
		if _, err := w.exec(`UPDATE messages SET state = 'failed', reason = ?, error = ?, error_class = 'permanent',
			error_code = ?, updated_at = ? WHERE id = ?`, queue.ReasonReport,
			fmt.Sprintf("not delivered: the network reported status 0x%02X", code), code, w.now, id); err != nil {
			return err
		}
		return w.messageEvent(queue.EventFailed, id)
	case total > 0 && delivered == total:
		if err := w.setState(id, smsgw.StateDelivered, queue.ReasonReport); err != nil {
			return err
		}
		return w.messageEvent(queue.EventDelivered, id)
	}
	return nil
}
