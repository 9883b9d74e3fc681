package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"smsgw/queue"
)

// openWalbuf opens path through walbufVFS as the store's writer does, on
// one connection, with no automatic checkpoint (the log keeps every
// commit) and the page cache given in KiB.
func openWalbuf(t *testing.T, path string, cacheKiB int) *sql.DB {
	t.Helper()
	if err := registerWalbuf(); err != nil {
		t.Fatal(err)
	}
	q := url.Values{}
	q.Set("vfs", walbufVFS)
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_cache_size", fmt.Sprint(-cacheKiB))
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		t.Fatal(err)
	}
	return db
}

// snapshot copies the database and its log as the kernel holds them now,
// which is what a crash of the process would leave, and opens the copy
// with SQLite's own VFS.
func snapshot(t *testing.T, path string) *sql.DB {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "copy.db"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(filepath.Join(dir, "copy.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestWalbufCommitIsInTheKernel: every commit, small, larger than the
// buffer, or spilling pages into the log before it ends (which rewrites
// frames in place), is in the kernel's copy of the log when it returns,
// readable by another connection and by SQLite opening a copy of the
// files (a process that died then); a rolled back transaction is not.
func TestWalbufCommitIsInTheKernel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	// 256 KiB of cache: the 400-row transactions spill.
	db := openWalbuf(t, path, 256)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL); CREATE INDEX t_b ON t(b)`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	rng := rand.New(rand.NewSource(1))
	asked0, calls0 := walbufCounts()
	var rows, sum int64
	var asked, calls uint32
	for round, n := range []int{1, 1, 5, 60, 400, 2, 400, 7, 1} {
		if round == 4 {
			asked, calls = walbufCounts()
			asked, calls = asked-asked0, calls-calls0
		}
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		var add int64
		for i := 0; i < n; i++ {
			b := make([]byte, 500+rng.Intn(3000))
			rng.Read(b)
			if _, err := tx.Exec(`INSERT INTO t (b) VALUES (?)`, b); err != nil {
				t.Fatal(err)
			}
			add += int64(len(b))
		}
		if round == 6 {
			// A spilled transaction rolled back leaves nothing.
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			rows, sum = rows+int64(n), sum+add
		}
		seesCommitted(t, round, path, other, rows, sum)
	}
	// The first four commits, which fit in the cache: two writes per
	// page, about 60 pages, in a few kernel writes (a commit of over
	// 128 KiB takes several).
	t.Logf("%d log writes asked for, %d handed on", asked, calls)
	if asked < 100 || calls > asked/10 {
		t.Errorf("%d log writes asked for, %d handed on: the log's writes are not gathered", asked, calls)
	}
}

// TestWalbufStoreWriter: the store's writer goes through walbufVFS, one
// kernel write for a single message's commit, and what it commits is in
// the kernel when Enqueue returns.
func TestWalbufStoreWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	st, _ := testStoreAt(t, path, queue.Options{})
	ctx := context.Background()
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+15550000001"}, Text: "warm"}); err != nil {
		t.Fatal(err)
	}
	asked0, calls0 := walbufCounts()
	const n = 20
	for i := 0; i < n; i++ {
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{fmt.Sprintf("+1555%07d", 100+i)}, Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	asked, calls := walbufCounts()
	asked, calls = asked-asked0, calls-calls0
	if asked < 2*2*n || calls > n+2 {
		t.Errorf("%d commits asked for %d log writes and handed on %d: want at least %d asked, at most %d handed on",
			n, asked, calls, 2*2*n, n+2)
	}
	var count int64
	if err := snapshot(t, path).QueryRow(`SELECT count(*) FROM messages WHERE text = 'hello'`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("a copy of the files holds %d of the %d messages enqueued", count, n)
	}
}

// TestWalbufPaddedCommit: on a device without powersafe overwrite
// (psow=0), a commit under synchronous = FULL repeats its last frame up to
// the next sector boundary, and SQLite splits the frame that crosses it
// around a sync (walWriteToLog). The wal-index then names those frames,
// so the part written after the sync must be in the kernel when the
// commit returns: another connection reads the last copy of the page.
func TestWalbufPaddedCommit(t *testing.T) {
	if err := registerWalbuf(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.db")
	q := url.Values{}
	q.Set("vfs", walbufVFS)
	q.Set("psow", "0")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	if _, err := db.Exec(`PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	rng := rand.New(rand.NewSource(2))
	var rows, sum int64
	for round := 0; round < 40; round++ {
		b := make([]byte, 100+rng.Intn(3000))
		rng.Read(b)
		if _, err := db.Exec(`INSERT INTO t (b) VALUES (?)`, b); err != nil {
			t.Fatal(err)
		}
		rows, sum = rows+1, sum+int64(len(b))
		seesCommitted(t, round, path, other, rows, sum)
	}
}

// TestWalbufRestartAndTruncate: after checkpoints that restart the log
// (SQLite rewrites its header at offset 0, behind frames written before)
// or truncate it, and with journal_size_limit cutting it after the first
// commit of a new log, every commit is still in the kernel's copy of the
// files when it returns, for another connection and for a copy.
func TestWalbufRestartAndTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	db := openWalbuf(t, path, 256)
	if _, err := db.Exec(`PRAGMA journal_size_limit = 65536; CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	rng := rand.New(rand.NewSource(3))
	var rows, sum int64
	for round, step := range []string{"", "RESTART", "", "TRUNCATE", "", "PASSIVE", "RESTART", "", "TRUNCATE"} {
		if step != "" {
			var busy, logFrames, done int
			if err := db.QueryRow(`PRAGMA wal_checkpoint(`+step+`)`).Scan(&busy, &logFrames, &done); err != nil || busy != 0 {
				t.Fatalf("round %d: checkpoint %s: busy %d, %v", round, step, busy, err)
			}
		}
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		n := 1 + rng.Intn(150)
		for i := 0; i < n; i++ {
			b := make([]byte, 500+rng.Intn(3000))
			rng.Read(b)
			if _, err := tx.Exec(`INSERT INTO t (b) VALUES (?)`, b); err != nil {
				t.Fatal(err)
			}
			sum += int64(len(b))
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		rows += int64(n)
		seesCommitted(t, round, path, other, rows, sum)
	}
}

// seesCommitted checks that another connection, and a copy of the files as
// the kernel holds them now, both find exactly rows rows of sum bytes in
// table t, in a database that passes its integrity check.
func seesCommitted(t *testing.T, round int, path string, other *sql.DB, rows, sum int64) {
	t.Helper()
	for name, c := range map[string]*sql.DB{"reader": other, "copy": snapshot(t, path)} {
		var gotRows, gotSum int64
		if err := c.QueryRow(`SELECT count(*), coalesce(sum(length(b)), 0) FROM t`).Scan(&gotRows, &gotSum); err != nil {
			t.Fatalf("round %d, %s: %v", round, name, err)
		}
		if gotRows != rows || gotSum != sum {
			t.Fatalf("round %d, %s: %d rows of %d bytes, want %d of %d", round, name, gotRows, gotSum, rows, sum)
		}
		var ok string
		if err := c.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Fatalf("round %d, %s: integrity_check %q, %v", round, name, ok, err)
		}
	}
}
