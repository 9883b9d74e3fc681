package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"smsgw/queue"
)

// TestLogRestartsByItsSize: large commits restart the write-ahead log once
// it grew by checkpointBytes, long before checkpointEvery commits, and
// the log file stays near journal_size_limit. logFrames reads the
// log's length as SQLite keeps it.
func TestLogRestartsByItsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	st := mustOpen(t, path, queue.Options{}, Options{NoHousekeeper: true})
	ctx := context.Background()
	wal := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	to := make([]string, 1000)
	batch := func(i int) {
		for k := range to {
			to[k] = fmt.Sprintf("+49152%04d%04d", i, k)
		}
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: "batch"}); err != nil {
			t.Fatal(err)
		}
	}
	batch(0)
	// The log has not restarted yet: its file holds exactly its frames.
	n := st.logFrames()
	if want := (wal() - 32) / (24 + 4096); n <= 0 || n != want {
		t.Fatalf("logFrames = %d; the log file holds %d frames", n, want)
	}
	limit := int64(2 * checkpointBytes)
	restarted := false
	for i := 1; i < checkpointEvery-10 && !restarted; i++ {
		prev := st.logFrames()
		batch(i)
		restarted = st.logFrames() < prev
		if w := wal(); w > 2*limit {
			t.Fatalf("after %d commits the log file is %d bytes", i+1, w)
		}
	}
	if !restarted {
		t.Fatalf("the log did not start over in %d commits of 1,000 recipients", checkpointEvery-10)
	}
}
