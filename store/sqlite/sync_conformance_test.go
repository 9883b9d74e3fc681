package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"smsgw/queue"
	"smsgw/store/sqlite"
	"smsgw/store/storetest"
)

// TestConformanceSyncFull runs the suite again with the default SyncFull,
// where durable writes wait for the syncer's fsync behind the committer
// and claims and event hand-outs wait for the durable commits before them:
// the contract must not notice.
func TestConformanceSyncFull(t *testing.T) {
	if testing.Short() {
		t.Skip("the suite runs under SyncNormal in TestConformance")
	}
	dir := t.TempDir()
	storetest.Run(t, func(t testing.TB, name string, opt queue.Options) queue.Storage {
		t.Helper()
		path := filepath.Join(dir, name+".db")
		t.Cleanup(func() { checkStateCounts(t, path) })
		st, err := sqlite.Open(path, opt, sqlite.Options{Sync: sqlite.SyncFull, NoHousekeeper: true})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			if err := st.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return st
	})
}
