package sqlite

import (
	"context"
	"testing"
	"time"

	"smsgw/queue"
)

// TestPruneDeadDeliveries: a receiver that refuses or fails every event
// leaves dead deliveries behind; past the retention they go, and so do
// their events, while a delivery still being retried keeps its event.
func TestPruneDeadDeliveries(t *testing.T) {
	st, clk := testStore(t, queue.Options{EventRetry: queue.RetryPolicy{MaxAttempts: 2, Backoff: time.Second, MaxBackoff: time.Second}})
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
	if n := countRows(t, st, `SELECT count(*) FROM deliveries WHERE dead = 1`); n != 5 {
		t.Fatalf("dead deliveries = %d, want 5", n)
	}
	clk.Advance(8 * 24 * time.Hour)
	n, err := st.PruneEvents(ctx, clk.Now().Add(-7*24*time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("PruneEvents = %d, %v; want the 4 events only dead deliveries held", n, err)
	}
	if n := countRows(t, st, `SELECT count(*) FROM deliveries WHERE dead = 1`); n != 0 {
		t.Fatalf("dead deliveries left: %d", n)
	}
	if n := countRows(t, st, `SELECT count(*) FROM deliveries WHERE consumer = 'slow'`); n != 1 {
		t.Fatalf("the pending delivery went: %d left", n)
	}
	if n := countRows(t, st, `SELECT count(*) FROM events`); n != 1 {
		t.Fatalf("events left = %d, want the one still pending", n)
	}
}

func countRows(t *testing.T, st *Store, q string) int {
	t.Helper()
	var n int
	if err := st.rdb.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
