package postgres

import (
	"encoding/json"
	"fmt"

	"smsgw"
	"smsgw/queue"
)

// msgCols are the columns scanMessage reads, in its order.
const msgCols = `id, recipient, text, coding, priority, send_after, expires_at, route_modem, route_tags,
	report, metadata, state, reason, attempts, failures, faults, next_at, created_at, updated_at,
	modem, concat_ref, parts_total, error, error_class, error_code, flash, data, udh, dst_port, src_port, class, pid,
	category, auto_reply, campaign`

type scanner interface{ Scan(dest ...any) error }

// scanMessage reads one row of msgCols (without parts and attempts).
func scanMessage(sc scanner) (queue.Message, error) {
	var m queue.Message
	var sendAfter, expires, next, created, updated int64
	var tags []string
	var meta, state, class, category string
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
	if len(tags) > 0 {
		m.RouteTags = tags
	}
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

// binaryCols are the stored forms of queue.Binary: NULL bytea and -1 for
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
