package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"smsgw/queue"
)

// TestDatabaseCreatedPrivate: with a umask of 000, the database, its WAL
// and shared-memory files and the directory created for them are still
// readable by their owner only; an existing file keeps its mode.
func TestDatabaseCreatedPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state", "smsgw")
	path := filepath.Join(dir, "smsgw.db")
	st, _ := testStoreAt(t, path, queue.Options{})
	mustEnqueue(t, st, queue.NewMessage{}) // the WAL and SHM files exist once written
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode(), want)
		}
	}
	// An administrator's choice (group-readable for a backup user) stays.
	other := filepath.Join(t.TempDir(), "shared.db")
	if err := os.WriteFile(other, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	testStoreAt(t, other, queue.Options{})
	if fi, err := os.Stat(other); err != nil || fi.Mode() != 0o640 {
		t.Errorf("existing file: %v %v", fi.Mode(), err)
	}
}
