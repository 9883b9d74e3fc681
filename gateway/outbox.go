package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/modem/pdu"
	"smsgw/queue"
	"smsgw/rules"
)

// queueOutbox lets the hooks dispatcher run on the queue's durable event
// outbox: each consumer keeps its cursor and retry state in the database,
// so a restart resumes deliveries where they were.
type queueOutbox struct {
	g    *Gateway
	mu   sync.Mutex
	next map[string]time.Time
}

func newQueueOutbox(g *Gateway) *queueOutbox {
	return &queueOutbox{g: g, next: map[string]time.Time{}}
}

// EventsAvailable implements hooks.Notifier with the store's notifier,
// which the driver fires after each commit that appends events.
func (o *queueOutbox) EventsAvailable() <-chan struct{} { return o.g.store.EventsAvailable() }

// Claim implements hooks.Outbox. Events a consumer does not care about
// (cancellations, uncertain sends) are acknowledged on the spot.
func (o *queueOutbox) Claim(ctx context.Context, consumer string, n int) ([]smsgw.Event, error) {
	var out []smsgw.Event
	for len(out) == 0 {
		ds, next, err := o.g.store.NextEvents(ctx, consumer, n)
		if err != nil {
			return out, err
		}
		o.mu.Lock()
		o.next[consumer] = next
		o.mu.Unlock()
		for _, d := range ds {
			ev, ok, err := o.g.hookEvent(ctx, d)
			if err != nil {
				return out, err
			}
			if !ok {
				if err := o.g.store.AckEvent(ctx, consumer, d.ID); err != nil {
					return out, err
				}
				continue
			}
			out = append(out, ev)
		}
		if len(ds) < n {
			break
		}
	}
	return out, nil
}

func eventID(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// Done implements hooks.Outbox.
func (o *queueOutbox) Done(ctx context.Context, consumer, id string) error {
	err := o.g.store.AckEvent(ctx, consumer, eventID(id))
	if errors.Is(err, smsgw.ErrNotFound) {
		return nil // delivered twice after a lease ran out: fine
	}
	return err
}

// Retry implements hooks.Outbox: the queue's EventRetry policy picks the
// time, stores it and returns it for the dispatcher to log.
func (o *queueOutbox) Retry(ctx context.Context, consumer, id, reason string) (time.Time, error) {
	at, err := o.g.store.FailEvent(ctx, consumer, eventID(id), reason)
	if err == nil && !at.IsZero() {
		o.mu.Lock()
		if cur := o.next[consumer]; cur.IsZero() || at.Before(cur) {
			o.next[consumer] = at
		}
		o.mu.Unlock()
	}
	return at, err
}

// Drop implements hooks.Outbox: the delivery is kept as dead, with its
// reason, and never retried.
func (o *queueOutbox) Drop(ctx context.Context, consumer, id, reason string) error {
	err := o.g.store.DropEvent(ctx, consumer, eventID(id), reason)
	if errors.Is(err, smsgw.ErrNotFound) {
		return nil
	}
	return err
}

// NextDue implements hooks.Outbox.
func (o *queueOutbox) NextDue(_ context.Context, consumer string) (time.Time, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.next[consumer]
	return t, !t.IsZero(), nil
}

// hookEvent turns a queue outbox entry into the event scripts and webhooks
// get; ok is false for entries no hook is interested in.
func (g *Gateway) hookEvent(ctx context.Context, d queue.Delivery) (smsgw.Event, bool, error) {
	ev := smsgw.Event{ID: strconv.FormatInt(d.ID, 10), Created: d.At, Attempt: d.Attempts + 1}
	switch d.Type {
	case queue.EventReceived:
		var ie queue.InboxEvent
		if err := json.Unmarshal(d.Data, &ie); err != nil {
			return ev, false, nil
		}
		r := g.received(ctx, ie)
		b, err := json.Marshal(r)
		if err != nil {
			return ev, false, err
		}
		ev.Event, ev.DeviceID, ev.Payload = smsgw.EventReceived, ie.Modem, b
		if ie.Data != nil {
			ev.Event = smsgw.EventDataReceived
		}
		return ev, true, nil
	case queue.EventType(rules.OutboxEvent):
		// Stored as the payload webhooks get (secrets already left out).
		var fe rules.FiredEvent
		if err := json.Unmarshal(d.Data, &fe); err != nil {
			return ev, false, nil
		}
		ev.Event, ev.DeviceID, ev.Payload = smsgw.EventRuleFired, fe.Modem, d.Data
		return ev, true, nil
	case queue.EventOptOut, queue.EventOptIn:
		return consentEvent(ev, d)
	case queue.EventBudgetPaused, queue.EventBudgetResumed:
		// Stored as the payload hooks get; the modem is the device.
		var be struct {
			Modem string `json:"modem"`
		}
		if err := json.Unmarshal(d.Data, &be); err != nil {
			return ev, false, nil
		}
		ev.Event, ev.DeviceID, ev.Payload = smsgw.EventBudgetPaused, be.Modem, d.Data
		if d.Type == queue.EventBudgetResumed {
			ev.Event = smsgw.EventBudgetResumed
		}
		return ev, true, nil
	case queue.EventCampaignFinished:
		// Stored as the payload webhooks get.
		ev.Event, ev.Payload = smsgw.EventCampaignFinished, d.Data
		return ev, true, nil
	case queue.EventSent, queue.EventDelivered, queue.EventFailed, queue.EventExpired:
		var me queue.MessageEvent
		if err := json.Unmarshal(d.Data, &me); err != nil {
			return ev, false, nil
		}
		id := strconv.FormatInt(me.ID, 10)
		st := hooks.Status{MessageID: id, PhoneNumber: me.To, Recipient: me.To, SimNumber: 1, Modem: me.Modem,
			State: string(me.State), PartsCount: me.Parts, Sender: g.ownNumber(me.Modem), Campaign: me.Campaign}
		at := me.At.UTC().Format(time.RFC3339)
		switch d.Type {
		case queue.EventSent:
			ev.Event, st.SentAt = smsgw.EventSent, at
		case queue.EventDelivered:
			ev.Event, st.DeliveredAt = smsgw.EventDelivered, at
		default:
			ev.Event, st.FailedAt, st.Reason = smsgw.EventFailed, at, me.Error
			if d.Type == queue.EventExpired {
				st.Reason = "expired"
			}
		}
		b, err := json.Marshal(st)
		if err != nil {
			return ev, false, err
		}
		ev.DeviceID, ev.Payload = me.Modem, b
		return ev, true, nil
	}
	return ev, false, nil
}

// received builds the full inbound message: the joined text, and each
// physical part decoded on its own for the gammu-style SMS_n_* variables.
func (g *Gateway) received(ctx context.Context, ie queue.InboxEvent) hooks.Received {
	id := strconv.FormatInt(ie.ID, 10)
	r := hooks.Received{
		ID: id, MessageID: id, PhoneNumber: ie.From, Message: ie.Text,
		ReceivedAt: ie.ReceivedAt.UTC().Format(time.RFC3339), SimNumber: 1, Sender: ie.From,
		Recipient: g.ownNumber(ie.Modem), Modem: ie.Modem, From: ie.From, To: g.ownNumber(ie.Modem),
		Text: ie.Text, Incomplete: !ie.Complete, Defects: ie.Defects, Class: ie.Class,
	}
	if ie.Data != nil {
		r.Data = base64.StdEncoding.EncodeToString(ie.Data)
	}
	if ie.Ports != nil {
		dst, src := ie.Ports.Dst, ie.Ports.Src
		r.Port, r.SourcePort = &dst, &src
	}
	if ie.Undecodable {
		r.Undecodable, r.PDU, r.Error = true, ie.PDU, ie.Error
		r.Parts = []hooks.ReceivedPart{{Seq: 1, PDU: ie.PDU}}
		return r
	}
	if !ie.SentAt.IsZero() {
		r.SentAt = ie.SentAt.Format(time.RFC3339)
	}
	full, err := g.store.GetInbox(ctx, ie.ID)
	if err != nil {
		g.log.Warn("inbox message for hooks", "id", ie.ID, "err", err)
		return r
	}
	for _, p := range full.Parts {
		rp := hooks.ReceivedPart{Seq: p.Seq, PDU: hexUpper(p.PDU)}
		if m, err := pdu.Decode(p.PDU); err == nil {
			if d, ok := m.(*pdu.Deliver); ok {
				if c, err := d.Content(); err == nil {
					rp.Text = c.Text
				}
				if cl, ok := d.DCS.Class(); ok && r.Class == nil {
					r.Class = &cl
				}
			}
			if c, ok := pdu.ConcatOf(m); ok {
				rp.Reference = int(c.Ref)
			}
		}
		r.Parts = append(r.Parts, rp)
	}
	return r
}

func hexUpper(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// Join is the queue's Options.Join: JoinText with the 8-bit data, the
// application port and the message class of the first part.
func Join(parts [][]byte) (queue.Joined, error) {
	c, err := pdu.JoinPDUs(parts, true)
	if err != nil {
		return queue.Joined{}, err
	}
	j := queue.Joined{Text: c.Text, Coding: c.Coding.String(), Data: c.Data}
	if c.Coding == pdu.Coding8Bit && j.Data == nil {
		j.Data = []byte{}
	}
	// A text addressed to an application port is data for that
	// application: its characters, as UTF-8.
	if m, err := pdu.Decode(parts[0]); err == nil {
		if d, ok := m.(*pdu.Deliver); ok {
			if h, err := d.UD.Header(); err == nil {
				if p, ok := h.Ports(); ok {
					j.Ports = &queue.Ports{Dst: p.Dst, Src: p.Src}
					if j.Data == nil {
						j.Data = []byte(j.Text)
					}
				}
			}
			if cl, ok := d.DCS.Class(); ok {
				j.Class = &cl
			}
		}
	}
	return j, nil
}

// JoinText is the queue's Options.JoinText: it decodes the stored parts
// (the +CMGR form, with the SMSC field) after joining their payloads, so a
// character split across parts comes out whole.
func JoinText(parts [][]byte) (string, string, error) {
	c, err := pdu.JoinPDUs(parts, true)
	if err != nil {
		return "", "", err
	}
	return c.Text, c.Coding.String(), nil
}
