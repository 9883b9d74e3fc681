package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"smsgw/queue"
	"smsgw/store/sqlite"
	"smsgw/store/storetest"
)

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	storetest.Run(t, func(t testing.TB, name string, opt queue.Options) queue.Storage {
		t.Helper()
		if opt.Sync == "" {
			// Power-cut durability is not what the suite is about, and an
			// fsync per commit makes it slow on a busy machine.
			opt.Sync = queue.SyncNormal
		}
		st, err := sqlite.Open(filepath.Join(dir, name+".db"), opt)
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
