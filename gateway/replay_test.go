package gateway

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/queue"
)

// TestEventsAfter: the outbox replays, after a given id, the events the
// stream and webhooks carry, with the same ids and payloads.
func TestEventsAfter(t *testing.T) {
	r := newRig(t, rigOptions{modems: 2})
	r.waitReady(2)
	ids := r.enqueue(queue.NewMessage{To: []string{r.modems[1].Number()}, Text: "replay me", Modem: "sim0", Report: true})
	r.waitStates([]int64{ids[0].ID}, 30*time.Second, smsgw.StateDelivered)
	var all []smsgw.Event
	r.waitFor("sent, delivered and received in the outbox", 30*time.Second, func() bool {
		evs, _, err := r.g.EventsAfter(t.Context(), "0", 100)
		if err != nil {
			t.Fatal(err)
		}
		all = evs
		kinds := map[string]bool{}
		for _, ev := range evs {
			kinds[ev.Event] = true
		}
		return kinds[smsgw.EventSent] && kinds[smsgw.EventDelivered] && kinds[smsgw.EventReceived]
	})
	var sent smsgw.Event
	for _, ev := range all {
		if ev.Event == smsgw.EventSent {
			sent = ev
		}
	}
	var p hooks.Status
	if err := json.Unmarshal(sent.Payload, &p); err != nil || p.MessageID != strconv.FormatInt(ids[0].ID, 10) || p.SentAt == "" {
		t.Fatalf("sms:sent payload %s", sent.Payload)
	}
	later, next, err := r.g.EventsAfter(t.Context(), sent.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range later {
		if ev.ID == sent.ID || ev.Event == smsgw.EventSent {
			t.Fatalf("event %s replayed after itself", ev.ID)
		}
	}
	if len(later) == 0 || next == sent.ID {
		t.Fatalf("nothing after %s: %v (next %s)", sent.ID, later, next)
	}
	// Paging ends where the outbox does.
	if evs, n, err := r.g.EventsAfter(t.Context(), next, 100); err != nil || n != next || len(evs) != 0 {
		t.Fatalf("past the end: %v %s %v", evs, n, err)
	}
	if _, _, err := r.g.EventsAfter(t.Context(), "ping-1", 10); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("bad id: %v", err)
	}
}
