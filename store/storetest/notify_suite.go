package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"smsgw/queue"
)

// notifyWait bounds how long the suite waits for a notification that must
// come: generous, since a networked driver relays it through the database.
const notifyWait = 30 * time.Second

func mustFire(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(notifyWait):
		t.Fatalf("%s: no notification within %v", what, notifyWait)
	}
}

// testNotifier: a commit through one handle wakes the waiters of another
// on the same database (Claimable, EventsAvailable, Changed), a waiter that
// takes the channel, finds nothing, and then waits is woken by a commit
// made in between, and closing a handle closes the channels it handed out.
func testNotifier(t *testing.T, d driver) {
	ctx := context.Background()
	a, clk := d.testStore(t, queue.Options{Node: "a"})
	b := d.reopen(t, queue.Options{Node: "b", Now: clk.Now})

	// Check, commit elsewhere, then wait: the commit between the check and
	// the wait is not lost.
	claimable, changed := b.Claimable(), b.Changed()
	noClaim(t, b, modemB)
	id := mustEnqueue(t, a, queue.NewMessage{})[0].ID
	mustFire(t, claimable, "Claimable after an enqueue by another handle")
	mustFire(t, changed, "Changed after an enqueue by another handle")
	if j := mustClaim(t, b, modemB); j.ID != id {
		t.Fatalf("claimed %d, want %d", j.ID, id)
	}

	events := b.EventsAvailable()
	id = mustEnqueue(t, a, queue.NewMessage{})[0].ID
	if _, err := a.Cancel(ctx, id); err != nil { // appends message.cancelled
		t.Fatal(err)
	}
	mustFire(t, events, "EventsAvailable after an event appended by another handle")

	// Claim waits on the notifier alone: every message one handle enqueues
	// while the other's claimer waits is claimed, none waits for a timer.
	const n = 20
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			cctx, cancel := context.WithTimeout(ctx, notifyWait)
			j, err := queue.Claim(cctx, b, modemB)
			cancel()
			if err != nil {
				errc <- fmt.Errorf("claim %d: %w", i, err)
				return
			}
			if _, err := b.MarkSent(ctx, j.AttemptID); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < n; i++ {
		mustEnqueue(t, a, queue.NewMessage{})
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}

	// Closing b wakes its waiters, and a claim on it ends with ErrClosed.
	held := b.Claimable()
	done := make(chan error, 1)
	go func() { _, err := queue.Claim(ctx, b, modemB); done <- err }()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mustFire(t, held, "Claimable of a closed handle")
	select {
	case err := <-done:
		if !errors.Is(err, queue.ErrClosed) {
			t.Fatalf("Claim on a closing handle = %v, want ErrClosed", err)
		}
	case <-time.After(notifyWait):
		t.Fatal("Claim still waiting on a closed handle")
	}
}
