package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/queue"
)

// testSameModemTwoNodes: two gateways on one database both have a modem
// "m1". Each keeps its own SIM slots, received parts, status reports, rate
// limit and partly-sent messages: nothing one does is taken for the
// other's.
func testSameModemTwoNodes(t *testing.T, d driver) {
	ctx := context.Background()
	a, clk := d.testStore(t, queue.Options{Node: "a", JoinText: joinPlain})
	b := d.reopen(t, queue.Options{Node: "b", JoinText: joinPlain, Now: clk.Now})
	m1 := queue.ClaimOptions{Modem: "m1"}

	t.Run("slots", func(t *testing.T) {
		slot := &queue.Slot{Storage: "SM", Index: 1}
		p := part(1, 1, "same slot, other SIM")
		p.Slot = slot
		if r, err := a.AddInboundPart(ctx, p); err != nil || r.Duplicate || r.InboxID == 0 {
			t.Fatalf("A's part = %+v, %v", r, err)
		}
		// B's SIM has its own slot SM/1, even with the same content.
		if r, err := b.AddInboundPart(ctx, p); err != nil || r.Duplicate || r.InboxID == 0 {
			t.Fatalf("B's part in its own slot = %+v, %v; want a new message", r, err)
		}
		// B emptying and reconciling its slots leaves A's record alone.
		if err := b.SlotDeleted(ctx, "m1", *slot); err != nil {
			t.Fatal(err)
		}
		if n, err := b.SlotsSeen(ctx, "m1", "SM", nil); err != nil || n != 0 {
			t.Fatalf("B's SlotsSeen = %d, %v; want 0 (its slot was already deleted)", n, err)
		}
		if r, err := a.AddInboundPart(ctx, p); err != nil || !r.Duplicate {
			t.Fatalf("A re-reading its slot = %+v, %v; want Duplicate", r, err)
		}
	})

	t.Run("parts", func(t *testing.T) {
		// Part 1 reaches A's m1, part 2 B's m1: neither has a whole message.
		p1, p2 := part(1, 2, "first "), part(2, 2, "second")
		p1.Ref, p2.Ref = 99, 99
		if r, err := a.AddInboundPart(ctx, p1); err != nil || r.InboxID != 0 {
			t.Fatalf("A's part 1 = %+v, %v; want it waiting", r, err)
		}
		if r, err := b.AddInboundPart(ctx, p2); err != nil || r.InboxID != 0 {
			t.Fatalf("B's part 2 = %+v, %v; want it waiting for B's own part 1", r, err)
		}
		r, err := a.AddInboundPart(ctx, p2)
		if err != nil || r.InboxID == 0 {
			t.Fatalf("A's part 2 = %+v, %v; want A's message joined", r, err)
		}
		m, err := a.GetInbox(ctx, r.InboxID)
		if err != nil || m.Text != "first second" || m.Modem != "m1" {
			t.Fatalf("A's joined message = %+v, %v", m, err)
		}
	})

	t.Run("reports", func(t *testing.T) {
		to := []string{"+4915100000077"}
		// B's m1 sends first, A's m1 later, both with reference 5.
		idB := mustEnqueue(t, b, queue.NewMessage{To: to})[0].ID
		jb := mustClaim(t, b, m1)
		if jb.ID != idB {
			t.Fatalf("B claimed %d, want %d", jb.ID, idB)
		}
		if _, err := b.MarkSent(ctx, jb.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 5}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
		idA := mustEnqueue(t, a, queue.NewMessage{To: to})[0].ID
		ja := mustClaim(t, a, m1)
		if ja.ID != idA {
			t.Fatalf("A claimed %d, want %d", ja.ID, idA)
		}
		if _, err := a.MarkSent(ctx, ja.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 5}); err != nil {
			t.Fatal(err)
		}
		// The report B's modem hears is about B's part, though A's is newer.
		r, err := b.ApplyReport(ctx, queue.Report{Modem: "m1", MR: 5, Recipient: to[0], Status: queue.ReportDelivered})
		if err != nil || r.MessageID != idB {
			t.Fatalf("B's report matched %+v, %v; want message %d", r, err, idB)
		}
		wantState(t, a, idA, smsgw.StateSent)
	})

	t.Run("rate limit", func(t *testing.T) {
		clk.Advance(time.Hour)
		lim := queue.ClaimOptions{Modem: "m1", Limits: []queue.RateLimit{{N: 1, Per: time.Hour}}}
		mustEnqueue(t, a, queue.NewMessage{To: []string{"+4915100000078"}})
		mustEnqueue(t, a, queue.NewMessage{To: []string{"+4915100000079"}})
		ja := mustClaim(t, a, lim)
		if _, err := a.MarkSent(ctx, ja.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 6}); err != nil {
			t.Fatal(err)
		}
		noClaim(t, a, lim) // A's m1 has used its hour
		jb := mustClaim(t, b, lim)
		if _, err := b.MarkSent(ctx, jb.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 6}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("resume", func(t *testing.T) {
		id := mustEnqueue(t, a, queue.NewMessage{Text: "long"})[0].ID
		j := mustClaim(t, a, m1)
		if j.ID != id {
			t.Fatalf("A claimed %d, want %d", j.ID, id)
		}
		if err := a.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: 7, MR: 8}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.ModemFault, Err: "gone"}); err != nil {
			t.Fatal(err)
		}
		// B's m1 is another phone line: the message waits for A's.
		noClaim(t, b, m1)
		j = mustClaim(t, a, m1)
		if diff := cmp.Diff(&queue.Resume{Ref: 7, Total: 2, Sent: []int{1}}, j.Resume); diff != "" {
			t.Fatalf("A's Resume (-want +got):\n%s", diff)
		}
	})
}
