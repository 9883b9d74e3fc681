package storetest

import (
	"context"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// testLeases: two nodes on one database. The second does not take the
// first's in-flight message while its lease is live (at open or later),
// a renewal keeps it live, and once the first stops renewing the second
// recovers it by the recovery policy, once.
func testLeases(t *testing.T, d driver) {
	for _, pol := range []queue.Recovery{queue.AtLeastOnce, queue.AtMostOnce} {
		t.Run(string(pol), func(t *testing.T) {
			ctx := context.Background()
			lease := 30 * time.Second
			a, clk := d.testStore(t, queue.Options{Node: "a", Lease: lease, Recovery: pol})
			id := mustEnqueue(t, a, queue.NewMessage{})[0].ID
			j := mustClaim(t, a, modemA)
			if j.ID != id {
				t.Fatalf("claimed %d, want %d", j.ID, id)
			}
			b := d.reopen(t, queue.Options{Node: "b", Lease: lease, Recovery: pol, Now: clk.Now})
			wantState(t, b, id, smsgw.StateSending)

			// A renews at 20s: its lease now runs to 50s.
			clk.Advance(20 * time.Second)
			if err := a.RenewLeases(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(20 * time.Second)
			if n, err := b.RecoverExpired(ctx); err != nil || n != 0 {
				t.Fatalf("RecoverExpired with a live lease = %d, %v; want 0", n, err)
			}
			wantState(t, b, id, smsgw.StateSending)
			// A node never takes back its own attempts while it runs.
			clk.Advance(time.Hour)
			if n, err := a.RecoverExpired(ctx); err != nil || n != 0 {
				t.Fatalf("owner's RecoverExpired = %d, %v; want 0", n, err)
			}

			// A stopped renewing long ago: B takes the message back.
			n, err := b.RecoverExpired(ctx)
			if err != nil || n != 1 {
				t.Fatalf("RecoverExpired after the lease ran out = %d, %v; want 1", n, err)
			}
			if pol == queue.AtMostOnce {
				m := wantState(t, b, id, smsgw.StateUncertain)
				if m.Reason != queue.ReasonInterrupted {
					t.Fatalf("reason %q, want %q", m.Reason, queue.ReasonInterrupted)
				}
				noClaim(t, b, modemB)
			} else {
				m := wantState(t, b, id, smsgw.StateQueued)
				if m.Reason != queue.ReasonRecovered {
					t.Fatalf("reason %q, want %q", m.Reason, queue.ReasonRecovered)
				}
				if j := mustClaim(t, b, modemB); j.ID != id {
					t.Fatalf("B claimed %d, want %d", j.ID, id)
				}
			}
			if n, err := b.RecoverExpired(ctx); err != nil || n != 0 {
				t.Fatalf("second RecoverExpired = %d, %v; want 0", n, err)
			}
			// The interrupted attempt is closed, not left open.
			m := mustGet(t, b, id)
			if len(m.AttemptLog) == 0 || m.AttemptLog[0].Outcome != "interrupted" {
				t.Fatalf("attempts %+v, want the first interrupted", m.AttemptLog)
			}
		})
	}
}

// testLeasesAtOpen: a node opening the database takes back its own
// in-flight attempts at once (its previous process died) but not those of
// another node whose lease is live; an expired one it does take.
func testLeasesAtOpen(t *testing.T, d driver) {
	ctx := context.Background()
	lease := 30 * time.Second
	a, clk := d.testStore(t, queue.Options{Node: "a", Lease: lease})
	b := d.reopen(t, queue.Options{Node: "b", Lease: lease, Now: clk.Now})
	ida := mustEnqueue(t, a, queue.NewMessage{To: []string{"+4915112345601"}})[0].ID
	mustClaim(t, a, modemA)
	idb := mustEnqueue(t, b, queue.NewMessage{To: []string{"+4915112345602"}})[0].ID
	mustClaim(t, b, modemB)
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// B restarts at once: its own message comes back, A's stays with A.
	b = d.reopen(t, queue.Options{Node: "b", Lease: lease, Now: clk.Now})
	wantState(t, b, idb, smsgw.StateQueued)
	wantState(t, b, ida, smsgw.StateSending)
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// A's lease has run out when B opens again.
	clk.Advance(lease + time.Second)
	b = d.reopen(t, queue.Options{Node: "b", Lease: lease, Now: clk.Now})
	wantState(t, b, ida, smsgw.StateQueued)
}

// testEventLeases: two nodes on one database run the same hook consumer.
// A delivery one node holds is not handed to the other while its lease is
// live, not even when the other opens the database, and the holder's
// renewals keep it; once the holder stops renewing, the other gets it. A
// node that restarts gets its own leased deliveries back at once.
func testEventLeases(t *testing.T, d driver) {
	ctx := context.Background()
	lease, eventLease := 30*time.Second, time.Minute
	opt := func(node string, now func() time.Time) queue.Options {
		return queue.Options{Node: node, Lease: lease, EventLease: eventLease, Now: now}
	}
	a, clk := d.testStore(t, opt("a", nil))
	if err := a.AddConsumer(ctx, "exec"); err != nil {
		t.Fatal(err)
	}
	id := mustEnqueue(t, a, queue.NewMessage{})[0].ID
	if _, err := a.Cancel(ctx, id); err != nil { // appends an event
		t.Fatal(err)
	}
	ds, _, err := a.NextEvents(ctx, "exec", 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("A's NextEvents = %+v, %v; want one delivery", ds, err)
	}
	ev := ds[0].ID

	b := d.reopen(t, opt("b", clk.Now))
	noEvents := func(st queue.Storage, who string) {
		t.Helper()
		if ds, _, err := st.NextEvents(ctx, "exec", 10); err != nil || len(ds) != 0 {
			t.Fatalf("%s: NextEvents = %v, %v; want nothing while A's lease is live", who, deliveryIDs(ds), err)
		}
	}
	noEvents(b, "B after opening")

	// A renews at 50s: the delivery stays with it past its EventLease.
	clk.Advance(50 * time.Second)
	if err := a.RenewLeases(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(20 * time.Second)
	noEvents(b, "B at 70s")

	// A stopped renewing: B gets the delivery once the lease ran out.
	clk.Advance(20 * time.Second)
	ds, _, err = b.NextEvents(ctx, "exec", 10)
	if err != nil || len(ds) != 1 || ds[0].ID != ev {
		t.Fatalf("B's NextEvents after A's lease ran out = %v, %v; want [%d]", deliveryIDs(ds), err, ev)
	}
	noEvents(a, "A while B holds it")

	// A restarts: B's live lease stays with B.
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	a = d.reopen(t, opt("a", clk.Now))
	noEvents(a, "A after restarting")

	// B restarts: its own delivery comes back at once, to B.
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b = d.reopen(t, opt("b", clk.Now))
	ds, _, err = b.NextEvents(ctx, "exec", 10)
	if err != nil || len(ds) != 1 || ds[0].ID != ev {
		t.Fatalf("B's NextEvents after its restart = %v, %v; want [%d]", deliveryIDs(ds), err, ev)
	}
	if err := b.AckEvent(ctx, "exec", ev); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	noEvents(a, "A after B acknowledged")
}
