package gateway

import (
	"context"
	"encoding/json"
	"time"

	"smsgw"
	"smsgw/consent"
	"smsgw/queue"
)

// ConsentHandler is the inbound chain's first step: a received opt-out,
// opt-in, HELP or double opt-in YES is recorded (an opt-out cancels the
// number's queued messages in the same commit) and answered through the
// receiving modem, and ends the chain, so no rule answers it too.
func ConsentHandler(svc *consent.Service) InboundHandler {
	return InboundHandler{Name: "consent", Handle: func(ctx context.Context, in *Inbound) (bool, error) {
		out, err := svc.Inbound(ctx, consent.Received{InboxID: in.ID, Modem: in.Modem, From: in.From, Text: in.Text})
		if err != nil || !out.Keyword {
			return false, err
		}
		in.g.log.Info("consent keyword", "from", redactNumber(in.From), "inbox", in.ID, "action", out.Applied.Record.Action,
			"recorded", out.Applied.Changed, "cancelled", out.Applied.Cancelled)
		if out.Reply != "" {
			if _, err := in.Reply(ctx, out.Reply); err != nil {
				return false, err
			}
		}
		return true, nil
	}}
}

// ConsentPayload is the payload of smsgw.EventOptOut and EventOptIn: the
// ledger record that changed the number's standing.
type ConsentPayload struct {
	// PhoneNumber mirrors the other events' payloads.
	PhoneNumber string `json:"phoneNumber"`
	Number      string `json:"number"`
	Action      string `json:"action"`
	At          string `json:"at"` // RFC 3339, UTC
	Source      string `json:"source"`
	Modem       string `json:"modem,omitempty"`
	InboxID     int64  `json:"inboxId,omitempty"`
	Token       string `json:"token,omitempty"`
	Seq         int64  `json:"seq"`
	Hash        string `json:"hash"`
}

// consentEvent turns a consent outbox entry into the event hooks get.
func consentEvent(ev smsgw.Event, d queue.Delivery) (smsgw.Event, bool, error) {
	var r consent.Record
	if err := json.Unmarshal(d.Data, &r); err != nil {
		return ev, false, nil
	}
	ev.Event = smsgw.EventOptIn
	if d.Type == queue.EventOptOut {
		ev.Event = smsgw.EventOptOut
	}
	b, err := json.Marshal(ConsentPayload{PhoneNumber: r.Number, Number: r.Number, Action: string(r.Action),
		At: r.At.UTC().Format(time.RFC3339Nano), Source: r.Source, Modem: r.Modem, InboxID: r.InboxID, Token: r.Token,
		Seq: r.Seq, Hash: r.Hash})
	if err != nil {
		return ev, false, err
	}
	ev.DeviceID, ev.Payload = r.Modem, b
	return ev, true, nil
}
