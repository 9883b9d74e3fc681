package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"smsgw/queue"
	"smsgw/store/sqlite"
	"smsgw/store/storetest"
)

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	storetest.Run(t, func(t testing.TB, name string, opt queue.Options) queue.Storage {
		t.Helper()
		path := filepath.Join(dir, name+".db")
		// Registered first, so it runs last, once the store is closed:
		// whatever the test did, the counts the triggers kept equal a
		// fresh count of the rows.
		t.Cleanup(func() { checkStateCounts(t, path) })
		// Power-cut durability is not what the suite is about, and an
		// fsync per commit makes it slow on a busy machine; the suite
		// calls Sweep itself.
		st, err := sqlite.Open(path, opt, sqlite.Options{Sync: sqlite.SyncNormal, NoHousekeeper: true})
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

// checkStateCounts compares the kept per-state counts of the database at
// path with COUNT(*) GROUP BY state over its messages.
func checkStateCounts(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	read := func(q string) map[string]int64 {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var s string
			var n int64
			if err := rows.Scan(&s, &n); err != nil {
				t.Fatal(err)
			}
			out[s] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	kept := read(`SELECT state, n FROM state_counts WHERE n != 0`)
	fresh := read(`SELECT state, count(*) FROM messages GROUP BY state`)
	if diff := cmp.Diff(fresh, kept); diff != "" {
		t.Errorf("state_counts differ from the rows (-rows +state_counts):\n%s", diff)
	}
}
