package sqlite

import (
	"context"
	"errors"
	"testing"

	"smsgw/queue"

	"smsgw"
)

func TestDropEvent(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
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
	var dead int
	var msg string
	st.rdb.QueryRow(`SELECT dead, error FROM deliveries WHERE consumer = 'hook'`).Scan(&dead, &msg)
	if dead != 1 || msg != "HTTP 410" {
		t.Errorf("delivery dead=%d error=%q", dead, msg)
	}
}

// TestBatchWithFailingRequest: requests that fail inside a shared commit
// (conflicting idempotency keys) change nothing, and the others in the same
// transaction are still committed.
func TestBatchWithFailingRequest(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	ctx := context.Background()
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1"}, Text: "a", IdempotencyKey: "k"}); err != nil {
		t.Fatal(err)
	}
	// Hold the committer in a request of its own until all n requests are
	// waiting, so that they share the next transaction.
	const n = 64
	started, release := make(chan struct{}), make(chan struct{})
	go st.write(ctx, false, func(w *wtx) error { close(started); <-release; return nil })
	<-started
	errs := make(chan error, n)
	ids := make(chan int64, n)
	for i := 0; i < n; i++ {
		go func() {
			m := queue.NewMessage{To: []string{"+2"}, Text: "b"}
			if i%2 == 0 {
				m.IdempotencyKey, m.Text = "k", "conflicting"
			}
			res, err := st.Enqueue(ctx, m)
			if err == nil {
				ids <- res.Messages[0].ID
			}
			errs <- err
		}()
	}
	waitFor(t, func() bool { return len(st.reqs) == n })
	close(release)
	conflicts := 0
	for i := 0; i < n; i++ {
		if err := <-errs; errors.Is(err, smsgw.ErrIdempotencyMismatch) {
			conflicts++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	close(ids)
	if conflicts != n/2 {
		t.Errorf("%d conflicts, want %d", conflicts, n/2)
	}
	for id := range ids {
		if m := mustGet(t, st, id); m.Text != "b" {
			t.Errorf("message %d = %q", id, m.Text)
		}
	}
	c, _ := st.Counts(ctx)
	if c[smsgw.StateQueued] != 1+n/2 {
		t.Errorf("%d queued, want %d", c[smsgw.StateQueued], 1+n/2)
	}
}
