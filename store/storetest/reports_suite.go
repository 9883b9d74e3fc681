package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// sendOne enqueues and sends a single-part message through modem with mr.
func sendOne(t *testing.T, st queue.Storage, modem, to string, mr int) int64 {
	t.Helper()
	id := mustEnqueue(t, st, queue.NewMessage{To: []string{to}, Report: true})[0].ID
	j := mustClaim(t, st, queue.ClaimOptions{Modem: modem})
	if j.ID != id {
		t.Fatalf("claimed %d, want %d", j.ID, id)
	}
	if _, err := st.MarkSent(context.Background(), j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: mr}); err != nil {
		t.Fatal(err)
	}
	return id
}

func testReportMatchingWrapAround(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{ReportWindow: 24 * time.Hour})
	ctx := context.Background()
	// 300 messages to the same number through one modem: MRs 0..255 then
	// wrap to 0..43. Messages 0..43 and 256..299 share their MRs.
	ids := make([]int64, 300)
	for i := range ids {
		ids[i] = sendOne(t, st, "a", "+4915100000001", i%256)
		clk.Advance(time.Second)
	}
	// The report for MR 5 belongs to the latest part with MR 5 still
	// waiting: message 261, not message 5.
	r, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 5, Recipient: "004915100000001", Status: queue.ReportDelivered})
	if err != nil || r.MessageID != ids[261] {
		t.Fatalf("MR 5 matched %+v, %v; want message %d", r, err, ids[261])
	}
	// A second report for MR 5 goes to the older part still waiting.
	r, err = st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 5, Recipient: "+4915100000001", Status: queue.ReportDelivered})
	if err != nil || r.MessageID != ids[5] {
		t.Fatalf("second MR 5 matched %+v, %v; want message %d", r, err, ids[5])
	}
	// A repeated final report is applied to the latest delivered part again.
	r, err = st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 5, Recipient: "+4915100000001", Status: queue.ReportDelivered})
	if err != nil || r.MessageID != ids[261] || r.State != smsgw.StateDelivered {
		t.Fatalf("repeated report matched %+v, %v", r, err)
	}
	// MR values above 255 are taken modulo 256.
	r, err = st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 256 + 43, Recipient: "+4915100000001", Status: queue.ReportDelivered})
	if err != nil || r.MessageID != ids[299] {
		t.Fatalf("MR 299 matched %+v, %v; want %d", r, err, ids[299])
	}
	// Parts sent before the window no longer match: the window now starts
	// 150 s after the first send, so MR 100 (message 100 only) is gone.
	clk.Advance(24*time.Hour - 150*time.Second)
	if _, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 100, Recipient: "+4915100000001", Status: queue.ReportDelivered}); !errors.Is(err, queue.ErrNoMatch) {
		t.Errorf("report outside the window err = %v, want ErrNoMatch", err)
	}
	if _, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 20, Recipient: "+4915100000001", Status: queue.ReportDelivered}); err != nil {
		t.Errorf("report inside the window (message 276): %v", err)
	}
}

func testReportMatchingFilters(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	ctx := context.Background()
	a := sendOne(t, st, "a", "+4915100000001", 9)
	b := sendOne(t, st, "b", "+4915100000002", 9)
	c := sendOne(t, st, "a", "+4915100000003", 9)
	tests := []struct {
		modem, to string
		want      int64
	}{
		{"a", "+4915100000001", a},
		{"a", "015100000001", a},   // national form
		{"a", "4915100000003", c},  // no plus
		{"b", "+4915100000002", b}, // other modem
		{"b", "+4915100000001", 0}, // right number, wrong modem
		{"a", "+4915100000002", 0}, // right modem, wrong number
		{"c", "+4915100000001", 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.modem, tc.to), func(t *testing.T) {
			r, err := st.ApplyReport(ctx, queue.Report{Modem: tc.modem, MR: 9, Recipient: tc.to, Status: queue.ReportPending})
			if tc.want == 0 {
				if !errors.Is(err, queue.ErrNoMatch) {
					t.Errorf("got %+v, %v; want ErrNoMatch", r, err)
				}
				return
			}
			if err != nil || r.MessageID != tc.want || r.State != smsgw.StateSent {
				t.Errorf("got %+v, %v; want message %d", r, err, tc.want)
			}
		})
	}
	if _, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 9, Status: "maybe"}); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("bad status err = %v", err)
	}
}
