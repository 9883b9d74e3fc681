package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"smsgw"
)

func TestByKeyFlashAndFilters(t *testing.T) {
	st, clk := testStore(t, Options{})
	ctx := context.Background()
	res, err := st.Enqueue(ctx, NewMessage{To: []string{"+1", "+2"}, Text: "x", Flash: true, IdempotencyKey: "sms-gate:7"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.ByKey(ctx, "sms-gate:7")
	if err != nil || len(got) != 2 || got[0].ID != res.Messages[0].ID || !got[0].Flash || !got[1].Flash {
		t.Fatalf("ByKey = %+v, %v", got, err)
	}
	if _, err := st.ByKey(ctx, "nope"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("ByKey unknown err = %v", err)
	}
	// Flash is part of the request: the same key without it conflicts.
	if _, err := st.Enqueue(ctx, NewMessage{To: []string{"+1", "+2"}, Text: "x", IdempotencyKey: "sms-gate:7"}); !errors.Is(err, smsgw.ErrIdempotencyMismatch) {
		t.Errorf("flash changed under the same key err = %v", err)
	}
	clk.Advance(time.Hour)
	mid := clk.Now()
	third := mustEnqueue(t, st, NewMessage{To: []string{"+3"}})[0].ID
	st.Cancel(ctx, third)
	j := mustClaim(t, st, modemA)
	st.MarkFailed(ctx, j.AttemptID, Failure{Class: Permanent, Err: "no"})

	pg, err := st.List(ctx, Filter{States: []smsgw.State{smsgw.StateFailed, smsgw.StateCancelled}})
	if err != nil || len(pg.Messages) != 2 {
		t.Fatalf("List failed+cancelled = %+v, %v", pg, err)
	}
	pg, _ = st.List(ctx, Filter{Until: mid})
	if len(pg.Messages) != 2 || pg.Messages[0].ID != res.Messages[1].ID {
		t.Errorf("List until = %+v", pg.Messages)
	}
	if _, err := st.List(ctx, Filter{States: []smsgw.State{"sent", "nope"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad state in smsgw.States err = %v", err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestMarkUncertain(t *testing.T) {
	st, _ := testStore(t, Options{Recovery: AtMostOnce})
	ctx := context.Background()
	id := mustEnqueue(t, st, NewMessage{})[0].ID
	j := mustClaim(t, st, modemA)
	m, err := st.MarkUncertain(ctx, j.AttemptID, "no answer to AT+CMGS")
	if err != nil || m.State != smsgw.StateUncertain || m.AttemptLog[0].Outcome != "uncertain" {
		t.Fatalf("MarkUncertain = %+v, %v", m, err)
	}
	noClaim(t, st, modemA)
	if evs := eventTypes(t, st, id); len(evs) != 1 || evs[0] != EventUncertain {
		t.Errorf("events = %v", evs)
	}
	if m, err := st.Requeue(ctx, id); err != nil || m.State != smsgw.StateQueued {
		t.Errorf("Requeue uncertain = %+v, %v", m, err)
	}
}

func TestDropEvent(t *testing.T) {
	st, _ := testStore(t, Options{})
	ctx := context.Background()
	st.AddConsumer(ctx, "hook")
	id := mustEnqueue(t, st, NewMessage{})[0].ID
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

func TestCallsAfterClose(t *testing.T) {
	st, _ := testStore(t, Options{})
	ctx := context.Background()
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if _, err := st.Enqueue(ctx, NewMessage{To: []string{"+1"}, Text: "x"}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Enqueue after Close err = %v", err)
		}
	}
	if _, err := st.Claim(ctx, modemA); !errors.Is(err, ErrClosed) {
		t.Errorf("Claim after Close err = %v", err)
	}
	if err := st.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Close err = %v", err)
	}
}

// TestBatchWithFailingRequest: requests that fail inside a shared commit
// (conflicting idempotency keys) change nothing, and the others in the same
// transaction are still committed.
func TestBatchWithFailingRequest(t *testing.T) {
	st, _ := testStore(t, Options{})
	ctx := context.Background()
	if _, err := st.Enqueue(ctx, NewMessage{To: []string{"+1"}, Text: "a", IdempotencyKey: "k"}); err != nil {
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
			m := NewMessage{To: []string{"+2"}, Text: "b"}
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

func TestPartResultValidation(t *testing.T) {
	st, _ := testStore(t, Options{})
	ctx := context.Background()
	id := mustEnqueue(t, st, NewMessage{})[0].ID
	j := mustClaim(t, st, modemA)
	for _, p := range []PartResult{
		{Seq: 0, Total: 1}, {Seq: 2, Total: 1}, {Seq: 1, Total: 0}, {Seq: 1, Total: 256},
		{Seq: 1, Total: 2, Ref: -1}, {Seq: 1, Total: 2, Ref: 70000}, {Seq: 1, Total: 1, MR: -1},
	} {
		if err := st.MarkPartSent(ctx, j.AttemptID, p); !errors.Is(err, ErrInvalid) {
			t.Errorf("MarkPartSent(%+v) err = %v, want ErrInvalid", p, err)
		}
	}
	// A new segmentation replaces the parts of the old one.
	st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 3, Ref: 1, MR: 1})
	st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: 2, Total: 3, Ref: 1, MR: 2})
	m, err := st.MarkSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 2, Ref: 2, MR: 3}, PartResult{Seq: 2, Total: 2, Ref: 2, MR: 4})
	if err != nil || len(m.Parts) != 2 || m.Parts[1].MR != 4 || m.ConcatRef != 2 || m.PartsTotal != 2 {
		t.Fatalf("after resegmentation: %+v, %v", m, err)
	}
	wantState(t, st, id, smsgw.StateSent)
}
