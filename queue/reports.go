package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"smsgw"
)

// ReportStatus is the class of a status report's TP-Status.
type ReportStatus string

// Status report classes (3GPP TS 23.040 9.2.3.15: 0x00-0x1F completed,
// 0x20-0x3F still trying, 0x40-0x7F permanent or temporary-given-up).
const (
	ReportDelivered ReportStatus = "delivered"
	ReportPending   ReportStatus = "pending"
	ReportFailed    ReportStatus = "failed"
)

// Report is a received SMS-STATUS-REPORT, decoded by the caller.
type Report struct {
	Modem     string // the modem that received it (and sent the part)
	MR        int    // TP-MR of the part it reports on; only the low 8 bits count
	Recipient string // TP-RA, the recipient as the SMSC writes it
	Status    ReportStatus
	Code      int // TP-Status
}

// ReportMatch says which part a report was applied to.
type ReportMatch struct {
	MessageID int64
	Seq       int
	State     smsgw.State // the message state afterwards
}

// ApplyReport matches a status report to a sent part: the same modem and
// message reference, a recipient that is the same number (national and
// international forms match), sent within Options.ReportWindow. References
// wrap at 256, so among several candidates the latest part still awaiting
// a final report wins. It records the part's status; once every part is
// delivered the message is delivered, and a failed part fails the message.
// A report that matches nothing gives ErrNoMatch.
func (s *Store) ApplyReport(ctx context.Context, r Report) (ReportMatch, error) {
	switch r.Status {
	case ReportDelivered, ReportPending, ReportFailed:
	default:
		return ReportMatch{}, invalid("status", "%q is not delivered, pending or failed", r.Status)
	}
	var out ReportMatch
	err := s.write(ctx, true, func(w *wtx) error {
		out = ReportMatch{}
		since := w.now - s.opt.ReportWindow.Milliseconds()
		rows, err := w.query(`SELECT p.message_id, p.seq, p.status, m.recipient FROM parts p
			JOIN messages m ON m.id = p.message_id
			WHERE p.modem = ? AND p.mr = ? AND p.sent_at >= ?
			ORDER BY p.sent_at DESC, p.message_id DESC, p.seq DESC LIMIT 64`, r.Modem, r.MR&0xFF, since)
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
			if !SameNumber(to, r.Recipient) {
				continue
			}
			switch PartStatus(c.status) {
			case PartSent, PartPending:
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
			return ErrNoMatch
		}
		out.MessageID, out.Seq = c.id, c.seq
		st := PartStatus(r.Status)
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
		if errors.Is(err, ErrNoMatch) {
			return ReportMatch{}, fmt.Errorf("queue: report from %s (mr %d): %w", r.Modem, r.MR, err)
		}
		return ReportMatch{}, fmt.Errorf("queue: apply report: %w", err)
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
			error_code = ?, updated_at = ? WHERE id = ?`, ReasonReport,
			fmt.Sprintf("not delivered: the network reported status 0x%02X", code), code, w.now, id); err != nil {
			return err
		}
		return w.messageEvent(EventFailed, id)
	case total > 0 && delivered == total:
		if err := w.setState(id, smsgw.StateDelivered, ReasonReport); err != nil {
			return err
		}
		return w.messageEvent(EventDelivered, id)
	}
	return nil
}

// SameNumber reports whether two phone numbers denote the same subscriber:
// equal digits, or (at 7 digits or more) one is the other without its
// country code or trunk prefix ("+491701234567" and "01701234567").
// An empty number matches anything (some modems omit it in reports).
func SameNumber(a, b string) bool {
	a, b = digitsOnly(a), digitsOnly(b)
	if a == "" || b == "" {
		return true
	}
	if a == b {
		return true
	}
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 7 && strings.HasSuffix(b, a)
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
