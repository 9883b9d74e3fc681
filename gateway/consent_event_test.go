package gateway

import (
	"encoding/json"
	"testing"
	"time"

	"smsgw"
	"smsgw/consent"
	"smsgw/queue"
)

// A consent outbox entry becomes the sms:optout or sms:optin event hooks
// and the event stream get.
func TestConsentEventPayload(t *testing.T) {
	rec := consent.Record{Seq: 7, Number: "+4915112345678", Action: consent.ActionOptOut, Source: consent.SourceSMS,
		At: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), InboxID: 42, Modem: "office", Hash: "abc"}
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ  queue.EventType
		want string
	}{{queue.EventOptOut, smsgw.EventOptOut}, {queue.EventOptIn, smsgw.EventOptIn}} {
		ev, ok, err := consentEvent(smsgw.Event{ID: "9"}, queue.Delivery{Event: queue.Event{ID: 9, Type: c.typ, Data: data}})
		if err != nil || !ok || ev.Event != c.want || ev.DeviceID != "office" {
			t.Fatalf("%s: %+v %v %v", c.typ, ev, ok, err)
		}
		var p ConsentPayload
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.PhoneNumber != rec.Number || p.Action != "opt_out" || p.InboxID != 42 || p.Seq != 7 || p.Hash != "abc" || p.At != "2026-05-01T12:00:00Z" {
			t.Errorf("payload %+v", p)
		}
	}
	if _, ok, _ := consentEvent(smsgw.Event{}, queue.Delivery{Event: queue.Event{Type: queue.EventOptOut, Data: []byte("{")}}); ok {
		t.Error("a malformed entry became an event")
	}
}
