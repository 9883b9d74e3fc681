package api

import (
	"context"
	"path/filepath"
	"testing"

	"smsgw/modem/pdu"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// openQueue opens a real store for the in-package benchmarks.
func openQueue(t testing.TB) *sqlite.Store {
	t.Helper()
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{JoinText: func(parts [][]byte) (string, string, error) {
		c, err := pdu.JoinPDUs(parts, true)
		if err != nil {
			return "", "", err
		}
		return c.Text, c.Coding.String(), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	return q
}
