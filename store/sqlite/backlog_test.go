package sqlite

import (
	"context"
	"testing"

	"smsgw/queue"
)

// TestBacklog counts, per consumer, the events not yet acknowledged:
// those past its cursor and those taken but waiting; an acknowledged or
// dropped event no longer counts.
func TestBacklog(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	ctx := context.Background()
	for _, c := range []string{"webhook:a", "exec"} {
		if err := st.AddConsumer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := st.Backlog(ctx); err != nil || len(b) != 2 || b["exec"] != 0 || b["webhook:a"] != 0 {
		t.Fatalf("empty: %v %v", b, err)
	}
	for range 3 {
		id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
		if _, err := st.Cancel(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := st.NextEvents(ctx, "exec", 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("NextEvents = %d, %v", len(got), err)
	}
	if err := st.AckEvent(ctx, "exec", got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DropEvent(ctx, "exec", got[1].ID, "HTTP 410"); err != nil {
		t.Fatal(err)
	}
	b, err := st.Backlog(ctx)
	if err != nil || b["exec"] != 1 || b["webhook:a"] != 3 {
		t.Fatalf("backlog %v, %v; want exec 1 (one leased), webhook:a 3 (never read)", b, err)
	}
}
