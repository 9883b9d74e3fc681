package queue

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"smsgw"
)

// Checked is a send request validated and put in the form every driver
// stores, so that the drivers accept and refuse exactly the same requests.
type Checked struct {
	To        []string // recipients, normalised (smsgw.NormalizeDigits)
	Category  smsgw.Category
	Tags      []string // trimmed and sorted
	Metadata  string   // JSON; "" when none
	SendAfter int64    // Unix ms; 0: now
	ExpiresAt int64    // Unix ms; 0: never
}

var codings = map[string]bool{"": true, "auto": true, "gsm7": true, "ucs2": true, "8bit": true}

// Check validates m against the queue's limits; now is the store's clock
// (an expiry must lie after it).
func Check(m NewMessage, now time.Time) (Checked, error) {
	var c Checked
	if len(m.To) == 0 {
		return c, invalid("to", "at least one recipient is required")
	}
	if len(m.To) > MaxRecipients {
		return c, invalid("to", "%d recipients, at most %d per request", len(m.To), MaxRecipients)
	}
	c.To = make([]string, len(m.To))
	for i, r := range m.To {
		n, err := smsgw.NormalizeDigits(r)
		if err != nil {
			return c, invalid("to", "%q: %v", r, err)
		}
		c.To[i] = n
	}
	if err := CheckBinary(m); err != nil {
		return c, err
	}
	if m.Text == "" && !m.IsData() {
		return c, invalid("text", "must not be empty")
	}
	if len(m.Text) > MaxTextBytes {
		return c, invalid("text", "%d bytes, at most %d", len(m.Text), MaxTextBytes)
	}
	if !utf8.ValidString(m.Text) {
		return c, invalid("text", "not valid UTF-8")
	}
	cat, err := smsgw.ParseCategory(string(m.Category))
	if err != nil {
		return c, invalid("category", "%v", err)
	}
	c.Category = cat
	if !codings[m.Coding] {
		return c, invalid("coding", "%q is not one of auto, gsm7, ucs2, 8bit", m.Coding)
	}
	if m.Priority < -MaxPriority || m.Priority > MaxPriority {
		return c, invalid("priority", "%d is outside -%d..%d", m.Priority, MaxPriority, MaxPriority)
	}
	if !m.SendAfter.IsZero() {
		c.SendAfter = m.SendAfter.UnixMilli()
	}
	if !m.ExpiresAt.IsZero() {
		if !m.ExpiresAt.After(now) {
			return c, invalid("expires_at", "%s is in the past", m.ExpiresAt.UTC().Format(time.RFC3339))
		}
		if !m.SendAfter.IsZero() && !m.ExpiresAt.After(m.SendAfter) {
			return c, invalid("expires_at", "must be after send_after")
		}
		c.ExpiresAt = m.ExpiresAt.UnixMilli()
	}
	if len(m.Modem) > 64 {
		return c, invalid("modem", "longer than 64 bytes")
	}
	if c.Tags, err = NormalizeTags(m.Tags); err != nil {
		return c, err
	}
	if len(m.Metadata) > 0 {
		b, err := json.Marshal(m.Metadata)
		if err != nil {
			return c, invalid("metadata", "%v", err)
		}
		if len(b) > MaxMetadataSize {
			return c, invalid("metadata", "%d bytes encoded, at most %d", len(b), MaxMetadataSize)
		}
		c.Metadata = string(b)
	}
	if len(m.Campaign) > 64 {
		return c, invalid("campaign", "longer than 64 bytes")
	}
	if len(m.IdempotencyKey) > 255 {
		return c, invalid("idempotency_key", "longer than 255 bytes")
	}
	return c, nil
}

// CheckBinary validates what a message carries besides text.
func CheckBinary(m NewMessage) error {
	if (m.Coding == "8bit") != m.IsData() && m.Coding != "" && m.Coding != "auto" {
		return invalid("coding", "%q: 8bit is the coding of data, and data has no other", m.Coding)
	}
	if m.IsData() {
		if m.Text != "" {
			return invalid("data", "give text or data, not both")
		}
		if len(m.Data) == 0 {
			return invalid("data", "must not be empty")
		}
		if len(m.Data) > MaxDataBytes {
			return invalid("data", "%d bytes, at most %d", len(m.Data), MaxDataBytes)
		}
	}
	if len(m.UDH) > 0 {
		if len(m.UDH) > MaxUDHBytes {
			return invalid("udh", "%d bytes, at most %d", len(m.UDH), MaxUDHBytes)
		}
		if int(m.UDH[0]) != len(m.UDH)-1 {
			return invalid("udh", "its length octet says %d, %d octets follow", m.UDH[0], len(m.UDH)-1)
		}
	}
	if p := m.Ports; p != nil && (p.Dst < 0 || p.Dst > 0xFFFF || p.Src < 0 || p.Src > 0xFFFF) {
		return invalid("port", "ports are 0 to 65535")
	}
	if m.Class != nil && (*m.Class < 0 || *m.Class > 3) {
		return invalid("class", "%d is not a message class 0-3", *m.Class)
	}
	if m.PID < 0 || m.PID > 0xFF {
		return invalid("pid", "%d is outside 0-255", m.PID)
	}
	return nil
}

// NormalizeTags validates routing tags (1 to 64 letters, digits, '-',
// '_' or '.') and sorts them.
func NormalizeTags(tags []string) ([]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || len(t) > 64 {
			return nil, invalid("tags", "%q: a tag has 1 to 64 characters", t)
		}
		for _, r := range t {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				return nil, invalid("tags", "%q: letters, digits, '-', '_' and '.' only", t)
			}
		}
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// Check validates a received part as every driver stores it, and
// normalises a single SMS to part 1 of 1 (reference 0 when none).
func (p *InboundPart) Check() error {
	if p.Total <= 1 {
		if p.Seq > 1 {
			return invalid("seq", "part %d of a single SMS", p.Seq)
		}
		p.Total, p.Seq = 1, 1
		if p.Ref < 0 {
			p.Ref = 0
		}
	}
	switch {
	case p.Total > 255:
		return invalid("total", "%d parts, at most 255", p.Total)
	case p.Seq < 1 || p.Seq > p.Total:
		return invalid("seq", "part %d of %d", p.Seq, p.Total)
	case p.Ref < 0 || p.Ref > 0xFFFF:
		return invalid("ref", "%d is outside 0..65535", p.Ref)
	case len(p.PDU) == 0 || len(p.PDU) > MaxPDUBytes:
		return invalid("pdu", "%d bytes, want 1..%d", len(p.PDU), MaxPDUBytes)
	case p.Modem == "" || len(p.Modem) > 64:
		return invalid("modem", "an id has 1 to 64 bytes")
	case len(p.Sender) > 64:
		return invalid("sender", "longer than 64 bytes")
	}
	return p.Slot.Validate()
}
