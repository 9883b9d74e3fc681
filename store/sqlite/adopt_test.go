package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"smsgw/queue"
)

// TestAdoptRowsWithoutNode: rows written before modem ids were keyed by
// node (node ”) belong to the gateway that opens the database next: its
// SIM slot is still recognised, a status report still matches its part,
// and its partly-sent message still resumes on its modem.
func TestAdoptRowsWithoutNode(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	st, clk := testStoreAt(t, path, queue.Options{Node: "old"})
	slot := &queue.Slot{Storage: "SM", Index: 3}
	if _, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+4917000000", Total: 1, Seq: 1,
		PDU: []byte("1:x"), Slot: slot}); err != nil {
		t.Fatal(err)
	}
	to := "+4915100000001"
	sent := mustEnqueue(t, st, queue.NewMessage{To: []string{to}})[0].ID
	j := mustClaim(t, st, queue.ClaimOptions{Modem: "m1"})
	if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 9}); err != nil {
		t.Fatal(err)
	}
	partly := mustEnqueue(t, st, queue.NewMessage{To: []string{to}})[0].ID
	j = mustClaim(t, st, queue.ClaimOptions{Modem: "m1"})
	if err := st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: 4, MR: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.ModemFault, Err: "gone"}); err != nil {
		t.Fatal(err)
	}
	// Make it look as written by a build that kept no node.
	for _, q := range []string{`UPDATE attempts SET node = ''`, `UPDATE parts SET node = ''`,
		`UPDATE inbound_parts SET node = ''`, `UPDATE inbound_slots SET node = ''`, `UPDATE messages SET node = ''`} {
		if err := st.write(ctx, false, func(w *wtx) error { _, err := w.exec(q); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}

	st, _ = testStoreAt(t, path, queue.Options{Node: "new", Now: clk.Now})
	if r, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+4917000000", Total: 1, Seq: 1,
		PDU: []byte("1:x"), Slot: slot}); err != nil || !r.Duplicate {
		t.Errorf("slot read before the upgrade, read again = %+v, %v; want Duplicate", r, err)
	}
	if r, err := st.ApplyReport(ctx, queue.Report{Modem: "m1", MR: 9, Recipient: to, Status: queue.ReportDelivered}); err != nil || r.MessageID != sent {
		t.Errorf("report on a part sent before the upgrade = %+v, %v; want message %d", r, err, sent)
	}
	j = mustClaim(t, st, queue.ClaimOptions{Modem: "m1"})
	if j.ID != partly || j.Resume == nil || len(j.Resume.Sent) != 1 {
		t.Errorf("claim after the upgrade = message %d resume %+v; want %d resuming after part 1", j.ID, j.Resume, partly)
	}
}
