package storetest

import (
	"context"
	"testing"

	"smsgw"
	"smsgw/queue"
)

// TestRequeueAfterFailedReport: a long message every part of which went out
// and which a status report then failed is sent again whole when an
// operator requeues it, by the same modem too: there is nothing to
// "continue", and claiming it as a continuation would send nothing.
func testRequeueAfterFailedReport(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	ctx := context.Background()
	id := mustEnqueue(t, st, queue.NewMessage{To: []string{"+4915112345678"}, Report: true})[0].ID
	j := mustClaim(t, st, modemA)
	if err := st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: 9, MR: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 2, Total: 2, Ref: 9, MR: 11}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 11, Recipient: "+4915112345678", Status: queue.ReportFailed, Code: 0x41}); err != nil {
		t.Fatal(err)
	}
	if m, _ := st.Get(ctx, id); m.State != smsgw.StateFailed {
		t.Fatalf("state %s, want failed", m.State)
	}
	m, err := st.Requeue(ctx, id)
	if err != nil || m.State != smsgw.StateQueued || len(m.Parts) != 0 || m.PartsTotal != 0 {
		t.Fatalf("Requeue = %s, %d parts (%d total), %v", m.State, len(m.Parts), m.PartsTotal, err)
	}
	j = mustClaim(t, st, modemA)
	if j.ID != id || j.Resume != nil {
		t.Fatalf("claimed %d as a continuation %+v, want a whole resend", j.ID, j.Resume)
	}

	// A long message cut short keeps its sent parts: the same modem
	// continues it with the missing ones.
	id2 := mustEnqueue(t, st, queue.NewMessage{To: []string{"+4915112345679"}})[0].ID
	if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 12}); err != nil {
		t.Fatal(err)
	}
	j = mustClaim(t, st, modemA)
	if err := st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 3, Ref: 7, MR: 13}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21", Code: 21}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Requeue(ctx, id2); err != nil {
		t.Fatal(err)
	}
	j = mustClaim(t, st, modemA)
	if j.ID != id2 || j.Resume == nil || len(j.Resume.Missing()) != 2 {
		t.Fatalf("claimed %d with %+v, want parts 2 and 3 to go", j.ID, j.Resume)
	}
}
