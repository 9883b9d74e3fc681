package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

func testByKeyFlashAndFilters(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{})
	ctx := context.Background()
	res, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1", "+2"}, Text: "x", Flash: true, IdempotencyKey: "sms-gate:7"})
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
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1", "+2"}, Text: "x", IdempotencyKey: "sms-gate:7"}); !errors.Is(err, smsgw.ErrIdempotencyMismatch) {
		t.Errorf("flash changed under the same key err = %v", err)
	}
	clk.Advance(time.Hour)
	mid := clk.Now()
	third := mustEnqueue(t, st, queue.NewMessage{To: []string{"+3"}})[0].ID
	st.Cancel(ctx, third)
	j := mustClaim(t, st, modemA)
	st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Permanent, Err: "no"})

	pg, err := st.List(ctx, queue.Filter{States: []smsgw.State{smsgw.StateFailed, smsgw.StateCancelled}})
	if err != nil || len(pg.Messages) != 2 {
		t.Fatalf("List failed+cancelled = %+v, %v", pg, err)
	}
	pg, _ = st.List(ctx, queue.Filter{Until: mid})
	if len(pg.Messages) != 2 || pg.Messages[0].ID != res.Messages[1].ID {
		t.Errorf("List until = %+v", pg.Messages)
	}
	if _, err := st.List(ctx, queue.Filter{States: []smsgw.State{"sent", "nope"}}); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("bad state in smsgw.States err = %v", err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func testMarkUncertain(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{Recovery: queue.AtMostOnce})
	ctx := context.Background()
	id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
	j := mustClaim(t, st, modemA)
	m, err := st.MarkUncertain(ctx, j.AttemptID, "no answer to AT+CMGS")
	if err != nil || m.State != smsgw.StateUncertain || m.AttemptLog[0].Outcome != "uncertain" {
		t.Fatalf("MarkUncertain = %+v, %v", m, err)
	}
	noClaim(t, st, modemA)
	if evs := eventTypes(t, st, id); len(evs) != 1 || evs[0] != queue.EventUncertain {
		t.Errorf("events = %v", evs)
	}
	if m, err := st.Requeue(ctx, id); err != nil || m.State != smsgw.StateQueued {
		t.Errorf("Requeue uncertain = %+v, %v", m, err)
	}
}

func testCallsAfterClose(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	ctx := context.Background()
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1"}, Text: "x"}); !errors.Is(err, queue.ErrClosed) {
			t.Fatalf("Enqueue after Close err = %v", err)
		}
	}
	if _, err := queue.Claim(ctx, st, modemA); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Claim after Close err = %v", err)
	}
	if err := st.Ping(ctx); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Ping after Close err = %v", err)
	}
}

func testPartResultValidation(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	ctx := context.Background()
	id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
	j := mustClaim(t, st, modemA)
	for _, p := range []queue.PartResult{
		{Seq: 0, Total: 1}, {Seq: 2, Total: 1}, {Seq: 1, Total: 0}, {Seq: 1, Total: 256},
		{Seq: 1, Total: 2, Ref: -1}, {Seq: 1, Total: 2, Ref: 70000}, {Seq: 1, Total: 1, MR: -1},
	} {
		if err := st.MarkPartSent(ctx, j.AttemptID, p); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("MarkPartSent(%+v) err = %v, want ErrInvalid", p, err)
		}
	}
	// A new segmentation replaces the parts of the old one.
	st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 3, Ref: 1, MR: 1})
	st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 2, Total: 3, Ref: 1, MR: 2})
	m, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: 2, MR: 3}, queue.PartResult{Seq: 2, Total: 2, Ref: 2, MR: 4})
	if err != nil || len(m.Parts) != 2 || m.Parts[1].MR != 4 || m.ConcatRef != 2 || m.PartsTotal != 2 {
		t.Fatalf("after resegmentation: %+v, %v", m, err)
	}
	wantState(t, st, id, smsgw.StateSent)
}
