package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/queue"
)

func deliveryIDs(ds []queue.Delivery) []int64 {
	var out []int64
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func testOutboxConsumers(t *testing.T, d driver) {
	clk := NewClock()
	opt := queue.Options{Now: clk.Now, JoinText: joinPlain,
		EventRetry: queue.RetryPolicy{MaxAttempts: 3, Backoff: time.Minute, MaxBackoff: time.Hour, Jitter: 0.01},
		EventLease: time.Minute}
	st := d.reopen(t, opt)
	ctx := context.Background()

	// An event before the consumer exists is not delivered to it.
	id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
	st.Cancel(ctx, id)
	if err := st.AddConsumer(ctx, "webhook"); err != nil {
		t.Fatal(err)
	}
	st.AddConsumer(ctx, "script")
	st.AddConsumer(ctx, "webhook") // again: no change
	if names, err := st.Consumers(ctx); err != nil || fmt.Sprint(names) != "[script webhook]" {
		t.Errorf("Consumers = %v, %v", names, err)
	}
	if _, _, err := st.NextEvents(ctx, "nobody", 10); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("unknown consumer err = %v", err)
	}
	wake := st.EventsAvailable()
	sent := mustEnqueue(t, st, queue.NewMessage{})[0].ID
	j := mustClaim(t, st, modemA)
	st.MarkSent(ctx, j.AttemptID)
	select {
	case <-wake:
	default:
		t.Fatal("EventsAvailable not signalled by a new event")
	}
	in, _ := st.AddInboundPart(ctx, part(1, 1, "hi"))

	ds, next, err := st.NextEvents(ctx, "webhook", 10)
	// next: when the lease on these two runs out, unless acknowledged.
	if err != nil || len(ds) != 2 || !next.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("NextEvents = %+v, %v, %v", ds, next, err)
	}
	var me queue.MessageEvent
	if err := json.Unmarshal(ds[0].Data, &me); err != nil || ds[0].Type != queue.EventSent || me.ID != sent || me.State != smsgw.StateSent || me.Modem != "a" {
		t.Errorf("first event = %+v %+v %v", ds[0], me, err)
	}
	var ie queue.InboxEvent
	if err := json.Unmarshal(ds[1].Data, &ie); err != nil || ds[1].Type != queue.EventReceived || ie.ID != in.InboxID || ie.Text != "hi" {
		t.Errorf("second event = %+v %+v %v", ds[1], ie, err)
	}
	// Leased: not handed out again while the lease runs.
	if again, _, _ := st.NextEvents(ctx, "webhook", 10); len(again) != 0 {
		t.Errorf("leased events handed out again: %v", deliveryIDs(again))
	}
	if err := st.AckEvent(ctx, "webhook", ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := st.AckEvent(ctx, "webhook", ds[0].ID); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("second ack err = %v", err)
	}
	retry, err := st.FailEvent(ctx, "webhook", ds[1].ID, "HTTP 503")
	if err != nil || retry.Sub(clk.Now()) > time.Minute || retry.Sub(clk.Now()) < 59*time.Second {
		t.Fatalf("FailEvent = %v, %v", retry, err)
	}
	// The other consumer has its own state: both events still due.
	other, _, _ := st.NextEvents(ctx, "script", 10)
	if diff := cmp.Diff(deliveryIDs(ds), deliveryIDs(other)); diff != "" {
		t.Errorf("script consumer:\n%s", diff)
	}

	// A restart ends leases: the script's unacknowledged events are due
	// again at once, the webhook's retry keeps its schedule.
	st.Close(ctx)
	st = d.reopen(t, opt)
	if again, _, _ := st.NextEvents(ctx, "script", 10); len(again) != 2 {
		t.Errorf("after restart script got %v, want both again", deliveryIDs(again))
	}
	got, next, _ := st.NextEvents(ctx, "webhook", 10)
	if len(got) != 0 || !next.Equal(retry) {
		t.Fatalf("webhook before retry time: %v next %v, want none until %v", deliveryIDs(got), next, retry)
	}
	clk.Advance(time.Minute)
	got, _, _ = st.NextEvents(ctx, "webhook", 10)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "HTTP 503" {
		t.Fatalf("retry = %+v", got)
	}
	st.FailEvent(ctx, "webhook", got[0].ID, "HTTP 503")
	clk.Advance(2 * time.Minute)
	got, _, _ = st.NextEvents(ctx, "webhook", 10)
	retry, err = st.FailEvent(ctx, "webhook", got[0].ID, "HTTP 500")
	if err != nil || !retry.IsZero() {
		t.Fatalf("third failure: %v, %v; want dead (zero retry)", retry, err)
	}
	clk.Advance(24 * time.Hour)
	if got, next, _ := st.NextEvents(ctx, "webhook", 10); len(got) != 0 || !next.IsZero() {
		t.Errorf("dead delivery handed out: %v next %v", deliveryIDs(got), next)
	}

	// Pruning keeps what a consumer still has to deliver.
	n, err := st.PruneEvents(ctx, clk.Now())
	if err != nil || n != 1 {
		t.Errorf("PruneEvents = %d, %v; want only the cancel event gone", n, err)
	}
	st.RemoveConsumer(ctx, "script")
	st.RemoveConsumer(ctx, "webhook")
	if n, _ := st.PruneEvents(ctx, clk.Now()); n != 2 {
		t.Errorf("PruneEvents after removing consumers = %d, want 2", n)
	}
}
