package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"smsgw/queue"

	"smsgw"
)

// TestHousekeeperDeadlines: with the real clock and the background
// goroutine, an expiry and an inbound join timeout happen on their own,
// driven by timers armed from the data (no polling, no Sweep call).
func TestHousekeeperDeadlines(t *testing.T) {
	st := mustOpen(t, filepath.Join(t.TempDir(), "q.db"),
		queue.Options{Logger: quiet, JoinTimeout: 200 * time.Millisecond, JoinText: joinPlain}, Options{Sync: SyncNormal})
	ctx := context.Background()
	id := mustEnqueue(t, st, queue.NewMessage{ExpiresAt: time.Now().Add(150 * time.Millisecond)})[0].ID
	st.AddInboundPart(ctx, part(1, 2, "half"))
	deadline := time.After(10 * time.Second)
	for {
		changed := st.Changed()
		m := mustGet(t, st, id)
		pg, _ := st.Inbox(ctx, queue.InboxFilter{})
		if m.State == smsgw.StateExpired && len(pg.Messages) == 1 {
			if pg.Messages[0].Complete || pg.Messages[0].Text != "half" {
				t.Errorf("timed-out join = %+v", pg.Messages[0])
			}
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("after 10s: message %s, inbox %d", m.State, len(pg.Messages))
		}
	}
}
