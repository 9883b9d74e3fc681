package kannel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"smsgw"
	"smsgw/api"
)

// DLRTarget returns how to find the dlr-url a delivery-report event asks
// to be called, escapes expanded, from the messages in store: "" when ev
// is no delivery report for a message sent through /cgi-bin/sendsms with a
// dlr-url and a dlr-mask asking for this type. The daemon gives it to the
// dlr-url consumer (hooks.KannelDLR), which makes the calls from the
// durable outbox.
func DLRTarget(store api.Store) func(ctx context.Context, ev smsgw.Event) (string, error) {
	return func(ctx context.Context, ev smsgw.Event) (string, error) { return target(ctx, store, ev) }
}

// target returns the dlr-url to call for ev, with its escapes expanded,
// or "" when ev is no delivery report for a Kannel message that asked for
// one of this type.
func target(ctx context.Context, store api.Store, ev smsgw.Event) (string, error) {
	var typ int
	switch ev.Event {
	case smsgw.EventSent:
		typ = dlrSMSCAccepted
	case smsgw.EventDelivered:
		typ = dlrDelivered
	case smsgw.EventFailed:
		typ = dlrUndelivered // refined to 16 below when it never left
	default:
		return "", nil
	}
	var p api.EventPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.MessageID == "" {
		return "", nil
	}
	m, err := store.Message(ctx, p.MessageID)
	if errors.Is(err, smsgw.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("kannel: dlr-url: message %s: %w", p.MessageID, err)
	}
	raw := m.Metadata[metaDLRURL]
	if raw == "" {
		return "", nil
	}
	mask, _ := strconv.Atoi(m.Metadata[metaDLRMask])
	if typ == dlrUndelivered && !wasSent(m) {
		typ = dlrSMSCRejected
	}
	if mask&typ == 0 {
		return "", nil
	}
	return expandDLR(raw, typ, m, p, ev), nil
}

func wasSent(m api.Message) bool {
	if m.SentAt != nil {
		return true
	}
	for _, p := range m.Parts {
		if p.MR != nil {
			return true
		}
	}
	return false
}

// expandDLR replaces Kannel's escapes in a dlr-url; every value is
// URL-escaped, as Kannel does.
func expandDLR(tmpl string, typ int, m api.Message, p api.EventPayload, ev smsgw.Event) string {
	at := time.Now()
	for _, s := range []string{p.DeliveredAt, p.FailedAt, p.SentAt} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			at = t
			break
		}
	}
	reply := map[int]string{dlrDelivered: "Delivered", dlrUndelivered: "Undelivered", dlrSMSCAccepted: "ACK/", dlrSMSCRejected: "NACK/"}[typ]
	if p.Reason != "" && typ != dlrDelivered && typ != dlrSMSCAccepted {
		reply += " " + p.Reason
	}
	mr := ""
	if len(m.Parts) > 0 && m.Parts[0].MR != nil {
		mr = strconv.Itoa(*m.Parts[0].MR)
	}
	coding, charset := "0", "UTF-8"
	if m.Coding == api.EncodingUCS2 {
		coding, charset = "2", "UTF-16BE"
	}
	modem := m.SentBy
	if modem == "" {
		modem = ev.DeviceID
	}
	keyword := ""
	if f := strings.Fields(m.Text); len(f) > 0 {
		keyword = strings.ToLower(f[0])
	}
	from := m.Metadata[metaFrom]
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '%' || i+1 == len(tmpl) {
			b.WriteByte(c)
			continue
		}
		i++
		var v string
		switch tmpl[i] {
		case 'd':
			v = strconv.Itoa(typ)
		case 'A':
			v = reply
		case 'F':
			v = mr
		case 'I':
			v = m.ID
		case 'p', 'q':
			v = m.To
		case 'P', 'Q':
			v = from
			if tmpl[i] == 'Q' && strings.HasPrefix(v, "00") {
				v = "+" + v[2:]
			}
		case 'a', 'b':
			v = m.Text
		case 't':
			v = at.UTC().Format("2006-01-02 15:04:05")
		case 'T':
			v = strconv.FormatInt(at.Unix(), 10)
		case 'i':
			v = modem
		case 'c':
			v = coding
		case 'C':
			v = charset
		case 'k':
			v = keyword
		case 'u', 'f', 'n', 'o', 'B', 'D':
			v = ""
		case '%':
			b.WriteByte('%')
			continue
		default:
			b.WriteByte('%')
			b.WriteByte(tmpl[i])
			continue
		}
		b.WriteString(url.QueryEscape(v))
	}
	return b.String()
}
