package queue

import (
	"context"
	"path/filepath"
	"testing"
)

// A crash between the commit and the delete: after a restart the slot is
// still pending, and reading it again stores nothing.
func TestInboundSlotSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	ctx := context.Background()
	st, err := Open(path, Options{JoinText: joinPlain, Sync: SyncNormal, Logger: quiet, NoHousekeeper: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddInboundPart(ctx, single("YES", &Slot{Storage: "SM", Index: 0})); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st2, _ := testStoreAt(t, path, Options{JoinText: joinPlain})
	res, err := st2.AddInboundPart(ctx, single("YES", &Slot{Storage: "SM", Index: 0}))
	if err != nil || !res.Duplicate {
		t.Fatalf("re-read after restart = %+v, %v", res, err)
	}
	if n := inboxCount(t, st2); n != 1 {
		t.Errorf("inbox has %d messages", n)
	}
}

func single(text string, slot *Slot) InboundPart {
	p := part(1, 1, text)
	p.Slot = slot
	return p
}

func inboxCount(t *testing.T, st *Store) int {
	t.Helper()
	pg, err := st.Inbox(context.Background(), InboxFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(pg.Messages)
}
