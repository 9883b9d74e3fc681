package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"smsgw/queue"

	"smsgw"
)

func TestPurge(t *testing.T) {
	st, clk := testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	old := mustEnqueue(t, st, queue.NewMessage{To: []string{"+1", "+2", "+3", "+4"}, IdempotencyKey: "old"})
	st.Cancel(ctx, old[0].ID)
	j := mustClaim(t, st, modemA)
	st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 1})
	j2 := mustClaim(t, st, modemA) // stays sending
	oldIn, _ := st.AddInboundPart(ctx, part(1, 1, "old"))
	clk.Advance(48 * time.Hour)
	cut := clk.Now().Add(-time.Hour)
	fresh := mustEnqueue(t, st, queue.NewMessage{To: []string{"+5"}})[0].ID
	st.Cancel(ctx, fresh)
	newIn, _ := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+9", PDU: []byte("1:new")})

	got, err := st.Purge(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if got.Messages != 2 || got.Inbox != 1 {
		t.Errorf("Purge = %+v, want 2 messages and 1 inbox message", got)
	}
	for _, id := range []int64{old[0].ID, j.ID} {
		if _, err := st.Get(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("message %d still there: %v", id, err)
		}
	}
	wantState(t, st, j2.ID, smsgw.StateSending)
	wantState(t, st, old[3].ID, smsgw.StateQueued)
	wantState(t, st, fresh, smsgw.StateCancelled)
	if _, err := st.GetInbox(ctx, oldIn.InboxID); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("old inbox message still there: %v", err)
	}
	if _, err := st.GetInbox(ctx, newIn.InboxID); err != nil {
		t.Errorf("new inbox message: %v", err)
	}
	// The key still covers live messages, so it still guards them.
	if _, err := st.ByKey(ctx, "old"); err != nil {
		t.Errorf("ByKey after partial purge: %v", err)
	}
	var parts, attempts int
	st.rdb.QueryRow(`SELECT (SELECT count(*) FROM parts), (SELECT count(*) FROM attempts)`).Scan(&parts, &attempts)
	if parts != 0 || attempts != 1 {
		t.Errorf("left %d parts and %d attempts, want 0 and 1 (the one sending)", parts, attempts)
	}
}
