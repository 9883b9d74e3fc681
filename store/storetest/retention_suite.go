package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/queue"
)

// DropEvent gives up on a delivery at once: it is never handed out again.
func testDropEvent(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{})
	ctx := context.Background()
	st.AddConsumer(ctx, "hook")
	id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
	st.Cancel(ctx, id)
	ds, _, _ := st.NextEvents(ctx, "hook", 10)
	if len(ds) != 1 {
		t.Fatalf("events = %+v", ds)
	}
	if err := st.DropEvent(ctx, "hook", ds[0].ID, "HTTP 410"); err != nil {
		t.Fatal(err)
	}
	if err := st.DropEvent(ctx, "hook", ds[0].ID, "again"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("second drop err = %v", err)
	}
	clk.Advance(24 * time.Hour)
	if again, next, err := st.NextEvents(ctx, "hook", 10); err != nil || len(again) != 0 || !next.IsZero() {
		t.Errorf("dropped delivery handed out again: %v next %v, %v", deliveryIDs(again), next, err)
	}
}

// Parts join by modem, sender and reference; single messages are all
// kept; the inbox filters, pages and deletes.
func testInboundSeparation(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	// Same reference from two senders, and from the same sender on two
	// modems: four different messages.
	a1, b1, c1 := part(1, 2, "a1"), part(1, 2, "b1"), part(1, 2, "c1")
	b1.Sender, c1.Modem = "+4917111111", "m2"
	a2, b2, c2 := part(2, 2, "a2"), part(2, 2, "b2"), part(2, 2, "c2")
	b2.Sender, c2.Modem = "+4917111111", "m2"
	for _, p := range []queue.InboundPart{a1, b1, c1, a2, b2, c2} {
		if _, err := st.AddInboundPart(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Single SMS with the same sender and time stamp are all kept, the
	// byte-identical ones too: they are different deliveries.
	s1 := queue.InboundPart{Modem: "m1", Sender: "+4917000000", SCTS: a1.SCTS, PDU: []byte("1:one")}
	s2 := s1
	s2.PDU = []byte("1:two")
	for _, p := range []queue.InboundPart{s1, s2, s1} {
		if res, err := st.AddInboundPart(ctx, p); err != nil || res.Duplicate || res.InboxID == 0 {
			t.Fatalf("AddInboundPart(%q) = %+v, %v", p.PDU, res, err)
		}
	}
	pg, _ := st.Inbox(ctx, queue.InboxFilter{})
	var got []string
	for _, m := range pg.Messages {
		got = append(got, m.Modem+" "+m.From+" "+m.Text)
	}
	want := []string{"m1 +4917000000 one", "m1 +4917000000 two", "m1 +4917000000 one", "m2 +4917000000 c1c2",
		"m1 +4917111111 b1b2", "m1 +4917000000 a1a2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inbox (-want +got):\n%s", diff)
	}
	// Filters and pagination.
	byFrom, _ := st.Inbox(ctx, queue.InboxFilter{From: "+4917111111"})
	byModem, _ := st.Inbox(ctx, queue.InboxFilter{Modem: "m2"})
	if len(byFrom.Messages) != 1 || len(byModem.Messages) != 1 || byModem.Messages[0].Text != "c1c2" {
		t.Errorf("filters: %+v %+v", byFrom, byModem)
	}
	p1, _ := st.Inbox(ctx, queue.InboxFilter{Limit: 3})
	p2, _ := st.Inbox(ctx, queue.InboxFilter{Limit: 3, Cursor: p1.Next})
	if len(p1.Messages) != 3 || len(p2.Messages) != 3 || p2.Next != 0 || p2.Messages[0].ID >= p1.Messages[2].ID {
		t.Errorf("pages: %d (next %d), %d (next %d)", len(p1.Messages), p1.Next, len(p2.Messages), p2.Next)
	}
	// Delete removes the message and its raw parts.
	id := pg.Messages[0].ID
	if err := st.DeleteInbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetInbox(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("GetInbox after delete err = %v", err)
	}
	if err := st.DeleteInbox(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("second delete err = %v", err)
	}
}

// Purge removes finished messages and inbox messages older than the cut,
// and keeps what is still live.
func testPurge(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	old := mustEnqueue(t, st, queue.NewMessage{To: []string{"+1", "+2", "+3", "+4"}, IdempotencyKey: "old"})
	st.Cancel(ctx, old[0].ID)
	j := mustClaim(t, st, modemA)
	st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 1})
	j2 := mustClaim(t, st, modemA) // stays sending
	oldIn, _ := st.AddInboundPart(ctx, part(1, 1, "old"))
	clk.Advance(48 * time.Hour)
	cut := clk.Now().Add(-time.Hour)
	fresh := mustEnqueue(t, st, queue.NewMessage{To: []string{"+5"}})[0].ID
	st.Cancel(ctx, fresh)
	newIn, _ := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+9", PDU: []byte("1:new")})

	got, err := st.Purge(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if got.Messages != 2 || got.Inbox != 1 {
		t.Errorf("Purge = %+v, want 2 messages and 1 inbox message", got)
	}
	for _, id := range []int64{old[0].ID, j.ID} {
		if _, err := st.Get(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("message %d still there: %v", id, err)
		}
	}
	wantState(t, st, j2.ID, smsgw.StateSending)
	wantState(t, st, old[3].ID, smsgw.StateQueued)
	wantState(t, st, fresh, smsgw.StateCancelled)
	if _, err := st.GetInbox(ctx, oldIn.InboxID); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("old inbox message still there: %v", err)
	}
	if _, err := st.GetInbox(ctx, newIn.InboxID); err != nil {
		t.Errorf("new inbox message: %v", err)
	}
	// The key still covers live messages, so it still guards them.
	if _, err := st.ByKey(ctx, "old"); err != nil {
		t.Errorf("ByKey after partial purge: %v", err)
	}
	if m := mustGet(t, st, j2.ID); len(m.AttemptLog) != 1 {
		t.Errorf("the sending message has %d attempts, want its 1", len(m.AttemptLog))
	}
}

// PruneDeadDeliveries: a receiver that refuses or fails every event
// leaves dead deliveries behind; past the retention they go, and so do
// their events, while a delivery still being retried keeps its event.
func testPruneDeadDeliveries(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{EventRetry: queue.RetryPolicy{MaxAttempts: 2, Backoff: time.Second, MaxBackoff: time.Second}})
	ctx := context.Background()
	for _, c := range []string{"broken", "slow"} {
		if err := st.AddConsumer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
		if _, err := st.Cancel(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// "broken" refuses the first two for good and fails the rest twice.
	got, _, err := st.NextEvents(ctx, "broken", 10)
	if err != nil || len(got) != 5 {
		t.Fatalf("NextEvents = %d, %v", len(got), err)
	}
	for i, d := range got {
		if i < 2 {
			if err := st.DropEvent(ctx, "broken", d.ID, "HTTP 410"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		st.FailEvent(ctx, "broken", d.ID, "HTTP 500")
	}
	clk.Advance(time.Minute)
	again, _, _ := st.NextEvents(ctx, "broken", 10)
	for _, d := range again {
		if at, err := st.FailEvent(ctx, "broken", d.ID, "HTTP 500"); err != nil || !at.IsZero() {
			t.Fatalf("second failure: %v %v", at, err)
		}
	}
	// "slow" acknowledges all but the last, which it keeps retrying.
	slow, _, _ := st.NextEvents(ctx, "slow", 10)
	for _, d := range slow[:4] {
		if err := st.AckEvent(ctx, "slow", d.ID); err != nil {
			t.Fatal(err)
		}
	}
	st.FailEvent(ctx, "slow", slow[4].ID, "timeout")

	// Within the retention everything is kept, dead deliveries included.
	if n, err := st.PruneEvents(ctx, clk.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("PruneEvents within retention = %d, %v", n, err)
	}
	if got, next, err := st.NextEvents(ctx, "broken", 10); err != nil || len(got) != 0 || !next.IsZero() {
		t.Fatalf("dead deliveries handed out: %v next %v, %v", deliveryIDs(got), next, err)
	}
	clk.Advance(8 * 24 * time.Hour)
	n, err := st.PruneEvents(ctx, clk.Now().Add(-7*24*time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("PruneEvents = %d, %v; want the 4 events only dead deliveries held", n, err)
	}
	if got, _, err := st.NextEvents(ctx, "slow", 10); err != nil || len(got) != 1 || got[0].ID != slow[4].ID {
		t.Fatalf("the pending delivery: %v, %v; want %d", deliveryIDs(got), err, slow[4].ID)
	}
	if evs, err := st.Events(ctx, 0, 100); err != nil || len(evs) != 1 || evs[0].ID != slow[4].ID {
		t.Fatalf("events left = %+v, %v; want the one still pending", evs, err)
	}
}
