package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// syncGate replaces the syncer's fsync: each call reports its descriptor
// on entered and waits for a result on release, until free is closed;
// from then on calls fsync for real.
type syncGate struct {
	entered chan *os.File
	release chan error
	free    chan struct{}
	once    sync.Once
}

func holdSyncs(t *testing.T, st *Store) *syncGate {
	t.Helper()
	g := &syncGate{entered: make(chan *os.File, 64), release: make(chan error), free: make(chan struct{})}
	st.sy.fsync.Store(&fsyncHook{func(f *os.File) error {
		g.entered <- f
		select {
		case err := <-g.release:
			return err
		case <-g.free:
			return fsyncFile(f)
		}
	}})
	// Registered after the store's Close, so it runs before it: a held
	// fsync would keep Close waiting.
	t.Cleanup(g.open)
	// A held fsync is a slow one: a leader runs it and the committer goes
	// on (see slowFsync), as on a slow disk, whatever the fsyncs before
	// took. TestSyncInline holds one run by the committer.
	st.sy.fsyncTook.Store(int64(time.Hour))
	return g
}

func (g *syncGate) open() { g.once.Do(func() { close(g.free) }) }

// waitEntered returns the descriptor of the next fsync, which is now held.
func (g *syncGate) waitEntered(t *testing.T) *os.File {
	t.Helper()
	select {
	case f := <-g.entered:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no fsync of the log started")
		return nil
	}
}

func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still waiting after 10s", what)
		var zero T
		return zero
	}
}

// eventually waits for cond, which no event announces (a row another
// goroutine commits), checking often.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func syncStore(t *testing.T, path string, opt queue.Options) *Store {
	t.Helper()
	if opt.Now == nil {
		opt.Now = newClock().Now
	}
	opt.Logger = quiet
	return mustOpen(t, path, opt, Options{Sync: SyncFull, NoHousekeeper: true})
}

func sameFile(t *testing.T, f *os.File, path string) bool {
	t.Helper()
	a, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(a, b)
}

func readCount(t *testing.T, st *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := st.rdb.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type enqueueResult struct {
	ids []int64
	err error
}

func enqueueAsync(st *Store, to string) <-chan enqueueResult {
	res := make(chan enqueueResult, 1)
	go func() {
		out, err := st.Enqueue(context.Background(), queue.NewMessage{To: []string{to}, Text: "hello"})
		var ids []int64
		for _, m := range out.Messages {
			ids = append(ids, m.ID)
		}
		res <- enqueueResult{ids, err}
	}()
	return res
}

// A durable write returns only after an fsync of the log that started
// after its commit; meanwhile the committer goes on (the commit is visible,
// a non-durable write completes), a claim of the new message waits too,
// and the wake-ups of the durable batch wait for the fsync.
func TestSyncDurableWaitsForItsFsync(t *testing.T) {
	st := syncStore(t, filepath.Join(t.TempDir(), "q.db"), queue.Options{})
	g := holdSyncs(t, st)
	claimable := st.Claimable()

	res := enqueueAsync(st, "+491701234567")
	f := g.waitEntered(t)
	if !sameFile(t, f, st.Path()+"-wal") {
		t.Error("the fsync is not of the database's -wal file")
	}
	if n := readCount(t, st, `SELECT count(*) FROM messages`); n != 1 {
		t.Fatalf("%d messages committed while the fsync is held, want 1 (the committer must not wait for it)", n)
	}
	select {
	case r := <-res:
		t.Fatalf("Enqueue returned (%v) while the fsync covering its commit was held", r.err)
	default:
	}
	select {
	case <-claimable:
		t.Fatal("Claimable fired before the accepted message was on disk")
	default:
	}

	plain := make(chan error, 1)
	go func() { plain <- st.write(context.Background(), false, func(w *wtx) error { return nil }) }()
	if err := within(t, plain, "a non-durable write while an fsync is held"); err != nil {
		t.Fatal(err)
	}

	type claimed struct {
		job *queue.Job
		err error
	}
	cl := make(chan claimed, 1)
	go func() {
		job, err := st.TryClaim(context.Background(), queue.ClaimOptions{Modem: "m1"})
		cl <- claimed{job, err}
	}()
	eventually(t, "the claim committed", func() bool {
		return readCount(t, st, `SELECT count(*) FROM messages WHERE state = 'sending'`) == 1
	})
	select {
	case c := <-cl:
		t.Fatalf("TryClaim handed out the message (%v, %v) before its acceptance was on disk", c.job, c.err)
	default:
	}

	g.release <- nil
	r := within(t, res, "Enqueue after its fsync")
	if r.err != nil || len(r.ids) != 1 {
		t.Fatalf("Enqueue = %v, %v", r.ids, r.err)
	}
	select {
	case <-claimable:
	default:
		t.Error("Enqueue returned before Claimable fired")
	}
	c := within(t, cl, "TryClaim after the fsync")
	if c.err != nil || c.job == nil || c.job.Message.ID != r.ids[0] {
		t.Fatalf("TryClaim = %+v, %v; want message %d", c.job, c.err, r.ids[0])
	}
	// The fsync that covered the acceptance covered what the claim
	// waited for: no second one.
	select {
	case <-g.entered:
		t.Error("a second fsync ran for the claim")
	default:
	}
}

// One fsync covers every commit made before it started: writes that
// commit while it runs share the next one.
func TestSyncCoalesces(t *testing.T) {
	st := syncStore(t, filepath.Join(t.TempDir(), "q.db"), queue.Options{})
	g := holdSyncs(t, st)
	first := enqueueAsync(st, "+491700000000")
	g.waitEntered(t)
	const n = 10
	var rest []<-chan enqueueResult
	for i := 1; i <= n; i++ {
		rest = append(rest, enqueueAsync(st, fmt.Sprintf("+4917%08d", i)))
	}
	// Committed and counted (the count a leader reads before its fsync
	// comes after the commit is visible): all of them wait for an fsync.
	eventually(t, "the writes committed", func() bool {
		st.sy.mu.Lock()
		defer st.sy.mu.Unlock()
		k := 0
		for _, it := range st.sy.queue {
			k += len(it.reqs)
		}
		return k == n+1
	})
	g.release <- nil
	if r := within(t, first, "the first Enqueue"); r.err != nil {
		t.Fatal(r.err)
	}
	g.waitEntered(t) // the one fsync for all the others
	g.release <- nil
	for _, ch := range rest {
		if r := within(t, ch, "Enqueue"); r.err != nil {
			t.Fatal(r.err)
		}
	}
	select {
	case <-g.entered:
		t.Error("more than one fsync for writes committed during the first")
	default:
	}
}

// A failed fsync reaches the callers waiting for it, and the store then
// refuses durable work without trying again (see sync.go).
func TestSyncFailureReachesCallers(t *testing.T) {
	st := syncStore(t, filepath.Join(t.TempDir(), "q.db"), queue.Options{})
	g := holdSyncs(t, st)
	ctx := context.Background()
	res := enqueueAsync(st, "+491701234567")
	g.waitEntered(t)
	g.release <- errors.New("input/output error")
	r := within(t, res, "Enqueue after a failed fsync")
	if !errors.Is(r.err, ErrSyncFailed) || !strings.Contains(fmt.Sprint(r.err), "input/output error") {
		t.Fatalf("Enqueue = %v, want ErrSyncFailed with the cause", r.err)
	}

	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+491707654321"}, Text: "x"}); !errors.Is(err, ErrSyncFailed) {
		t.Errorf("Enqueue after the failure = %v, want ErrSyncFailed", err)
	}
	if n := readCount(t, st, `SELECT count(*) FROM messages`); n != 1 {
		t.Errorf("%d messages, want 1: a durable write after the failure must not run", n)
	}
	if _, err := st.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"}); !errors.Is(err, ErrSyncFailed) {
		t.Errorf("TryClaim of a message never synced = %v, want ErrSyncFailed", err)
	}
	if err := st.write(ctx, false, func(w *wtx) error { return nil }); err != nil {
		t.Errorf("non-durable write after the failure: %v", err)
	}
	if err := st.Ping(ctx); !errors.Is(err, ErrSyncFailed) {
		t.Errorf("Ping = %v, want ErrSyncFailed", err)
	}
	select {
	case <-g.entered:
		t.Error("the store tried another fsync after one failed")
	default:
	}
}

// Close waits for the held fsync and completes every waiter, all of them
// only after it; what they wrote is in the database afterwards.
func TestSyncCloseCompletesWaiters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := Open(path, queue.Options{Logger: quiet, Now: newClock().Now}, Options{Sync: SyncFull, NoHousekeeper: true})
	if err != nil {
		t.Fatal(err)
	}
	g := holdSyncs(t, st)
	const n = 8
	var released atomic.Bool
	ran := make(chan struct{}, n)
	res := make(chan error, n)
	add := func(i int) {
		err := st.write(context.Background(), true, func(w *wtx) error {
			_, err := w.exec(`INSERT INTO consumers (name, cursor, created_at) VALUES (?, 0, 0)`, fmt.Sprintf("c%d", i))
			ran <- struct{}{}
			return err
		})
		if err == nil && !released.Load() {
			err = errors.New("returned before its fsync")
		}
		res <- err
	}
	go add(0)
	g.waitEntered(t)
	for i := 1; i < n; i++ {
		go add(i)
	}
	for i := 0; i < n; i++ {
		within(t, ran, "the writes ran")
	}
	closed := make(chan error, 1)
	go func() { closed <- st.Close(context.Background()) }()
	within(t, st.committerDone, "the committer's stop")
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an fsync was held", err)
	default:
	}
	released.Store(true)
	g.release <- nil
	g.open()
	for i := 0; i < n; i++ {
		if err := within(t, res, "a write at Close"); err != nil {
			t.Errorf("write: %v", err)
		}
	}
	if err := within(t, closed, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st2 := syncStore(t, path, queue.Options{})
	if got := readCount(t, st2, `SELECT count(*) FROM consumers WHERE name LIKE 'c%'`); got != n {
		t.Errorf("%d rows after reopening, want %d", got, n)
	}
}

// A checkpoint that copies the log into the database and truncates it
// while a commit waits for its fsync does not complete that commit: only
// the fsync does, and it is of the log file as it is now.
func TestSyncCheckpointInBetween(t *testing.T) {
	st := syncStore(t, filepath.Join(t.TempDir(), "q.db"), queue.Options{})
	g := holdSyncs(t, st)
	res := enqueueAsync(st, "+491701234567")
	g.waitEntered(t)
	var busy, frames, done int64
	if err := st.ckdb.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil || busy != 0 {
		t.Fatalf("checkpoint: busy %d, %v", busy, err)
	}
	if fi, err := os.Stat(st.Path() + "-wal"); err != nil || fi.Size() != 0 {
		t.Fatalf("log after TRUNCATE: %v, %v", fi, err)
	}
	// The log restarts with the next commit.
	plain := make(chan error, 1)
	go func() {
		plain <- st.write(context.Background(), false, func(w *wtx) error {
			_, err := w.exec(`INSERT INTO consumers (name, cursor, created_at) VALUES ('x', 0, 0)`)
			return err
		})
	}()
	if err := within(t, plain, "a write after the checkpoint"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-res:
		t.Fatalf("Enqueue returned (%v) while its fsync is held", r.err)
	default:
	}
	g.release <- nil
	if r := within(t, res, "Enqueue"); r.err != nil {
		t.Fatal(r.err)
	}
	g.open()
	st.sy.fsyncTook.Store(int64(time.Hour)) // slow still: the store's own fsync
	second := enqueueAsync(st, "+491707654321")
	if f := g.waitEntered(t); !sameFile(t, f, st.Path()+"-wal") {
		t.Error("the fsync after the restart is not of the current log")
	}
	if r := within(t, second, "Enqueue after the restart"); r.err != nil {
		t.Fatal(r.err)
	}
}

// walFile follows the log when the path names another file, and keeps its
// descriptor when the file is only truncated.
func TestWALFileFollowsTheLog(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.db-wal")
	if err := os.WriteFile(p, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	wf := walFile{path: p}
	defer wf.close()
	var got *os.File
	rec := func(f *os.File) error { got = f; return nil }
	if err := wf.sync(rec); err != nil {
		t.Fatal(err)
	}
	if !sameFile(t, got, p) {
		t.Fatal("the first fsync is not of the file")
	}
	first := got
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	if err := wf.sync(rec); err != nil || got != first {
		t.Fatalf("after a truncation: %v, descriptor changed %v", err, got != first)
	}
	if err := os.WriteFile(p+".new", []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
	if err := wf.sync(rec); err != nil {
		t.Fatal(err)
	}
	if got == first || !sameFile(t, got, p) {
		t.Fatal("the fsync after a replacement is not of the new file")
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := wf.sync(rec); err == nil {
		t.Fatal("an fsync of a log that is gone succeeded")
	}
}

// Under SyncNormal nothing waits for an fsync of the syncer.
func TestSyncNormalDoesNotWait(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	g := holdSyncs(t, st)
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+491701234567"}, Text: "x"})
	job := mustClaim(t, st, queue.ClaimOptions{Modem: "m1"})
	if job.Message.State != smsgw.StateSending {
		t.Fatalf("claimed in state %s", job.Message.State)
	}
	select {
	case <-g.entered:
		t.Error("SyncNormal ran an fsync of the syncer")
	default:
	}
}

// Events appended by a durable write are handed to a consumer only once
// that write is on disk, and EventsAvailable fires only then.
func TestSyncEventsAfterTheirFsync(t *testing.T) {
	st := syncStore(t, filepath.Join(t.TempDir(), "q.db"), queue.Options{})
	ctx := context.Background()
	msgs := mustEnqueue(t, st, queue.NewMessage{To: []string{"+491701234567"}, Text: "x"})
	if err := st.AddConsumer(ctx, "hook"); err != nil {
		t.Fatal(err)
	}
	g := holdSyncs(t, st)
	available := st.EventsAvailable()
	cancelled := make(chan error, 1)
	go func() { _, err := st.Cancel(ctx, msgs[0].ID); cancelled <- err }()
	g.waitEntered(t)
	select {
	case <-available:
		t.Fatal("EventsAvailable fired before the event was on disk")
	default:
	}
	type next struct {
		ds  []queue.Delivery
		err error
	}
	got := make(chan next, 1)
	go func() {
		ds, _, err := st.NextEvents(ctx, "hook", 10)
		got <- next{ds, err}
	}()
	eventually(t, "the hand-out committed", func() bool {
		return readCount(t, st, `SELECT count(*) FROM deliveries WHERE consumer = 'hook' AND leased = 1`) == 1
	})
	select {
	case n := <-got:
		t.Fatalf("NextEvents handed out %v (%v) before the event was on disk", n.ds, n.err)
	default:
	}
	g.release <- nil
	if err := within(t, cancelled, "Cancel"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-available:
	default:
		t.Error("Cancel returned before EventsAvailable fired")
	}
	n := within(t, got, "NextEvents")
	if n.err != nil || len(n.ds) != 1 || n.ds[0].Type != queue.EventCancelled {
		t.Fatalf("NextEvents = %+v, %v; want the cancellation", n.ds, n.err)
	}
}

// Where fsyncs are quick next to commits a durable batch commits with
// SQLite's own fsync (synchronous = FULL): the store runs none, and the
// commit counts as synced at once.
func TestSyncFullWhereFsyncsAreQuick(t *testing.T) {
	st := syncStore(t, filepath.Join(t.TempDir(), "q.db"), queue.Options{})
	g := holdSyncs(t, st)
	st.sy.fsyncTook.Store(0)
	r := within(t, enqueueAsync(st, "+491701234567"), "Enqueue")
	if r.err != nil {
		t.Fatal(r.err)
	}
	select {
	case <-g.entered:
		t.Error("the store ran an fsync of its own for a commit SQLite fsync'ed")
	default:
	}
	if c, sy := st.sy.committed.Load(), st.sy.synced.Load(); sy != c {
		t.Errorf("synced %d after a FULL commit, want %d", sy, c)
	}
}
