package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"smsgw/queue"
)

// TestDurableAnswerWaitsForLogSync: under full sync a durable write is
// answered by the fsync of the log that follows its commit, so a failing
// fsync reaches the caller; a write that is not durable, and every write
// under normal sync, never waits for it.
func TestDurableAnswerWaitsForLogSync(t *testing.T) {
	ctx := context.Background()
	diskGone := errors.New("disk gone")
	fail := func() error { return diskGone }

	full := mustOpen(t, filepath.Join(t.TempDir(), "full.db"), queue.Options{Logger: quiet}, Options{Sync: SyncFull, NoHousekeeper: true})
	if _, err := full.Enqueue(ctx, queue.NewMessage{To: []string{"+4915100000001"}, Text: "synced"}); err != nil {
		t.Fatalf("enqueue with a working log sync: %v", err)
	}
	// Set before the write that reads it: the channels between this
	// goroutine and the syncer order the two.
	full.syncHook = fail
	if _, err := full.Enqueue(ctx, queue.NewMessage{To: []string{"+4915100000002"}, Text: "not synced"}); !errors.Is(err, diskGone) {
		t.Fatalf("enqueue whose log sync failed: err = %v, want %v", err, diskGone)
	}
	if _, err := full.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"}); err != nil {
		t.Fatalf("a claim (not durable under at-least-once) waited for the failing sync: %v", err)
	}

	normal := mustOpen(t, filepath.Join(t.TempDir(), "normal.db"), queue.Options{Logger: quiet}, Options{Sync: SyncNormal, NoHousekeeper: true})
	normal.syncHook = fail
	if _, err := normal.Enqueue(ctx, queue.NewMessage{To: []string{"+4915100000003"}, Text: "normal"}); err != nil {
		t.Fatalf("enqueue under normal sync waited for a log sync: %v", err)
	}
}
