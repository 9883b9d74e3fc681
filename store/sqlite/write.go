package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/mattn/go-sqlite3"

	"smsgw/queue"
)

// maxBatch bounds how many waiting requests share one transaction, so one
// commit never holds the others for long.
const maxBatch = 512

// writeReq is one caller's change, run by the committer inside a shared
// transaction under its own savepoint.
type writeReq struct {
	fn      func(w *wtx) error
	durable bool
	done    chan error
	// gather marks a request that only enqueues (Enqueue): it may leave
	// the upkeep of what it inserted to the committer (see upkeep).
	gather bool

	// What the request did, set by the committer after it ran (see wtx).
	wakeReady, wakeEvents, syncFirst bool
}

// wtx is the view a write function gets of the batch transaction.
type wtx struct {
	s   *Store
	tx  *sql.Tx
	ctx context.Context
	now int64 // ms, the same for every request of the batch

	// Set by the request running (the committer resets them before each
	// and keeps them with the request): wake-ups it calls for, and
	// syncFirst (see the method).
	wakeReady  bool
	wakeEvents bool
	gated      bool // syncFirst was called

	committed bool  // the transaction committed
	seq       int64 // its number (syncState.committed)

	// gathering is set while a gather request runs: enqueued then leaves
	// its upkeep in mine, which the committer merges into pend once the
	// request has succeeded (a request rolled back leaves nothing), and
	// applies before any other request and before the commit.
	gathering  bool
	mine, pend upkeep

	stmts map[string]*sql.Stmt // see stmt
}

// keepUpkeep merges the upkeep of the request that just succeeded into the
// transaction's, applying what was pending first if the two do not make
// one run of ids.
func (w *wtx) keepUpkeep() error {
	if !w.pend.follows(&w.mine) {
		if err := w.applyUpkeep(&w.pend); err != nil {
			return err
		}
	}
	w.pend.merge(&w.mine)
	w.mine.reset()
	return nil
}

// syncFirst marks the running request as one whose result leads to an
// effect outside the store (a claimed message is about to be sent, events
// are handed to a consumer): it returns only once every durable commit
// made before it is on disk, so that nothing is sent on the strength of a
// durable write a power cut could still take back. A durable request
// waits for that anyway.
func (w *wtx) syncFirst() { w.gated = true }

// exec, query and queryRow run statements prepared once on the writer
// connection (SQLite's prepare costs as much as a short statement). A text
// seen for the first time runs unprepared and is prepared after the batch,
// when the connection is free again.
func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	if st := w.stmt(q); st != nil {
		return st.ExecContext(w.ctx, args...)
	}
	return w.tx.ExecContext(w.ctx, q, args...)
}

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	if st := w.stmt(q); st != nil {
		return st.QueryContext(w.ctx, args...)
	}
	return w.tx.QueryContext(w.ctx, q, args...)
}

// stmt returns the writer statement for q bound to the transaction, or nil
// if q is not prepared yet (see prepared). A statement is bound once per
// transaction and kept for its other requests: binding it allocates and
// locks as much as running it.
func (w *wtx) stmt(q string) *sql.Stmt {
	if st, ok := w.stmts[q]; ok {
		return st
	}
	st := w.s.prepared(q)
	if st == nil {
		return nil
	}
	st = w.tx.StmtContext(w.ctx, st)
	if w.stmts == nil {
		w.stmts = make(map[string]*sql.Stmt, 8)
	}
	w.stmts[q] = st
	return st
}

// queryIDs runs q and returns the int64 of each row's single column; the
// rows are read whole before the caller writes, as SQLite wants.
func (w *wtx) queryIDs(q string, args ...any) ([]int64, error) {
	rows, err := w.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (w *wtx) queryRow(q string, args ...any) *sql.Row {
	if st := w.stmt(q); st != nil {
		return st.QueryRowContext(w.ctx, args...)
	}
	return w.tx.QueryRowContext(w.ctx, q, args...)
}

// prepared returns the writer statement for q, or nil (remembering q) if it
// is not prepared yet. Only constant query texts come here.
func (s *Store) prepared(q string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	st, ok := s.stmts[q]
	if !ok {
		s.stmts[q] = nil
		s.unprepared = append(s.unprepared, q)
	}
	return st
}

// prepareNew prepares the statements first seen in the last batch. Only the
// committer calls it, between transactions (the writer pool has a single
// connection, which a transaction holds).
func (s *Store) prepareNew() {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	for _, q := range s.unprepared {
		st, err := s.wdb.Prepare(q)
		if err != nil {
			delete(s.stmts, q) // retried (and reported) when used again
			continue
		}
		s.stmts[q] = st
	}
	s.unprepared = s.unprepared[:0]
}

// write submits fn to the committer and waits until the transaction that
// ran it has committed (or failed). fn may run more than once if its batch
// has to be retried, so it must not have effects outside the transaction
// other than setting its own results. durable asks for the commit to reach
// stable storage before write returns (when the store syncs fully).
func (s *Store) write(ctx context.Context, durable bool, fn func(w *wtx) error) error {
	// Room for errLead and the result, which may come in either order.
	return s.submit(ctx, &writeReq{fn: fn, durable: durable, done: make(chan error, 2)})
}

// submit is write for a request made up by the caller.
func (s *Store) submit(ctx context.Context, r *writeReq) error {
	if s.ctx.Err() != nil {
		return queue.ErrClosed
	}
	select {
	case s.reqs <- r:
	case <-s.ctx.Done():
		return queue.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once submitted the request runs to completion even if ctx ends, so
	// the caller learns the truth: waiting here is bounded by one commit.
	// A request that slipped in after the committer's final drain is never
	// run: the committer has exited, every request it queued for an
	// fsync is complete (sy.done), and the request did not happen. A
	// request woken to lead an fsync runs it here, on its own goroutine.
	for {
		select {
		case err := <-r.done:
			if err == errLead {
				s.lead(r)
				continue
			}
			return err
		case <-s.sy.done:
			select {
			case err := <-r.done:
				if err != errLead {
					return err
				}
				return <-r.done // complete: done is closed after the last fsync
			default:
				return queue.ErrClosed
			}
		}
	}
}

// committer owns the writer connection: it takes every request waiting at
// that moment and commits them together.
func (s *Store) committer() {
	defer s.wg.Done()
	defer close(s.committerDone)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-s.ctx.Done():
			s.drainClosed()
			return
		}
		batch = s.fill(batch)
		s.runBatch(batch)
		clear(batch)
		s.prepareNew()
		s.restartLog()
		// The callers just completed wait in this goroutine's run queue:
		// let them answer before the next batch goes into SQLite. A cgo
		// call made with a run queue that is not empty has the runtime
		// hand the processor to another thread (a wake-up, and another
		// when the call returns), and keeps its monitor thread polling
		// every 20 µs. On a 2-core virtual machine this took a third of
		// the daemon's context switches per durable single send away,
		// and half of that thread's sleeps.
		runtime.Gosched()
	}
}

// fill adds the requests waiting now to batch.
func (s *Store) fill(batch []*writeReq) []*writeReq {
	for len(batch) < maxBatch {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// drainClosed runs the requests still queued at Close so that none of their
// callers is left waiting.
func (s *Store) drainClosed() {
	for {
		select {
		case r := <-s.reqs:
			s.runBatch([]*writeReq{r})
		default:
			return
		}
	}
}

func (s *Store) runBatch(batch []*writeReq) {
	if s.pipelined() {
		// After a failed fsync nothing durable is acknowledged any more
		// (see sync.go); durable requests fail without running.
		if failed := s.syncFailure(); failed != nil {
			kept := make([]*writeReq, 0, len(batch))
			for _, r := range batch {
				if r.durable {
					r.done <- failed
				} else {
					kept = append(kept, r)
				}
			}
			if batch = kept; len(batch) == 0 {
				return
			}
		}
	}
	// A durable batch commits with SQLite's own fsync (synchronous =
	// FULL) unless fsyncs are slow next to commits; then it commits
	// with NORMAL and a leader fsyncs it while the committer goes on
	// (sync.go).
	full := false
	if s.pipelined() && !s.slowFsync() {
		for _, r := range batch {
			full = full || r.durable
		}
	}
	// Optimistically without savepoints (two statements less per
	// request); if a request fails, the transaction is rolled back and
	// the batch runs again with each request under its own savepoint.
	w, errs, err := s.commitBatch(batch, false, full)
	if errors.Is(err, errRequestFailed) {
		w, errs, err = s.commitBatch(batch, true, full)
	}
	if errors.Is(err, ErrSyncFailed) {
		// Not retried: after a failed fsync a retry that succeeds
		// proves nothing (sync.go).
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	if err != nil && len(batch) > 1 {
		// The whole transaction failed (not one request, which its
		// savepoint absorbs): retry each alone so one cannot sink the rest.
		for _, r := range batch {
			s.runBatch([]*writeReq{r})
		}
		return
	}
	if err != nil {
		batch[0].done <- err // nothing committed: nothing to sync or wake
		return
	}
	s.finish(batch, w, errs)
}

// finish completes the requests of a batch that ran. Under SyncFull the
// durable and syncFirst requests wait for an fsync if a durable commit up
// to theirs is not on disk yet; the others return now. The committer runs
// that fsync itself, or leaves it to a leader where fsyncs are slow (see
// sync.go). Each group's wake-ups fire just before its requests complete.
func (s *Store) finish(batch []*writeReq, w *wtx, errs []error) {
	var later *syncItem
	if s.pipelined() {
		if w.committed {
			for _, r := range batch {
				if r.durable {
					s.sy.lastDurable = w.seq
					break
				}
			}
		}
		if need := s.sy.lastDurable; need > s.sy.synced.Load() {
			for i, r := range batch {
				if r.durable || r.syncFirst {
					if later == nil {
						later = &syncItem{need: need}
					}
					later.reqs = append(later.reqs, r)
					later.errs = append(later.errs, errs[i])
					later.wakeReady = later.wakeReady || r.wakeReady
					later.wakeEvent = later.wakeEvent || r.wakeEvents
				}
			}
		}
	}
	inline := false
	if later != nil {
		s.queueSync(later)
		if inline = !s.slowFsync(); !inline {
			// First, so that the fsync runs while the others complete.
			later.reqs[0].done <- errLead
		}
	}
	waits := func(r *writeReq) bool { return later != nil && (r.durable || r.syncFirst) }
	var now, ready, events bool
	for _, r := range batch {
		if !waits(r) {
			now = true
			ready = ready || r.wakeReady
			events = events || r.wakeEvents
		}
	}
	// Wake first, so that a caller who returns knows the wake-up is out.
	if now && w.committed {
		if ready {
			s.hub.ready.fire()
		}
		if events {
			s.hub.events.fire()
		}
		s.hub.changed.fire()
	}
	for i, r := range batch {
		if !waits(r) {
			r.done <- errs[i]
		}
	}
	if inline {
		s.sy.round.Lock()
		s.syncRounds(nil)
		s.sy.round.Unlock()
	}
}

// errRequestFailed is commitBatch without savepoints reporting that a
// request of the batch failed and the transaction was rolled back.
var errRequestFailed = errors.New("queue: a request of the batch failed")

// commitBatch runs the batch in one transaction. With savepoints, each
// request of a batch of several runs under its own, so that one failing
// is rolled back alone; without, the first failure rolls back the whole
// transaction and returns errRequestFailed.
func (s *Store) commitBatch(batch []*writeReq, savepoints, full bool) (*wtx, []error, error) {
	ctx := context.Background()
	if full != s.sy.full {
		mode := "NORMAL"
		if full {
			mode = "FULL"
		}
		if _, err := s.wdb.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
			return nil, nil, fmt.Errorf("queue: set synchronous: %w", err)
		}
		s.sy.full = full
	}
	t0 := time.Now()
	if !full {
		// The time of a commit without its fsync, for slowFsync.
		defer func() { s.sy.commitTook = time.Since(t0) }()
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("queue: begin: %w", err)
	}
	w := &wtx{s: s, tx: tx, ctx: ctx, now: s.nowMs()}
	errs := make([]error, len(batch))
	single := len(batch) == 1
	fail := func(err error) (*wtx, []error, error) {
		tx.Rollback()
		return nil, nil, fmt.Errorf("queue: %w", err)
	}
	for i, r := range batch {
		// What a request calls for is its own: a request rolled back
		// leaves nothing behind, and the committer fires each request's
		// wake-ups when that request completes.
		w.wakeReady, w.wakeEvents, w.gated = false, false, false
		r.wakeReady, r.wakeEvents, r.syncFirst = false, false, false
		// Outside any savepoint: what is pending belongs to requests
		// that succeeded.
		if !r.gather {
			if err := w.applyUpkeep(&w.pend); err != nil {
				return fail(err)
			}
		}
		w.gathering = r.gather
		w.mine.reset()
		switch {
		case single:
			if errs[i] = r.fn(w); errs[i] != nil {
				tx.Rollback()
				// A failed lone request reports its own error; nothing
				// was committed, so there is nothing to wake.
				return &wtx{}, errs, nil
			}
		case !savepoints:
			if errs[i] = r.fn(w); errs[i] != nil {
				tx.Rollback()
				return nil, nil, errRequestFailed
			}
		default:
			if _, err := tx.ExecContext(ctx, "SAVEPOINT r"); err != nil {
				tx.Rollback()
				return nil, nil, fmt.Errorf("queue: savepoint: %w", err)
			}
			if errs[i] = r.fn(w); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO r"); err != nil {
					tx.Rollback()
					return nil, nil, fmt.Errorf("queue: rollback to savepoint: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE r"); err != nil {
				tx.Rollback()
				return nil, nil, fmt.Errorf("queue: release savepoint: %w", err)
			}
		}
		w.gathering = false
		if errs[i] == nil {
			r.wakeReady, r.wakeEvents, r.syncFirst = w.wakeReady, w.wakeEvents, w.gated
			if err := w.keepUpkeep(); err != nil {
				return fail(err)
			}
		}
	}
	if err := w.applyUpkeep(&w.pend); err != nil {
		return fail(err)
	}
	var t1 time.Time
	if full {
		t1 = time.Now()
	}
	if err := tx.Commit(); err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrIoErrFsync {
			return nil, nil, s.failSync(err)
		}
		return nil, nil, fmt.Errorf("queue: commit: %w", err)
	}
	// Counted after the commit's writes returned: an fsync that reads
	// this number before it starts covers this commit (sync.go).
	w.committed, w.seq = true, s.sy.committed.Add(1)
	if full {
		// SQLite fsync'ed the log: this commit and every one before it
		// are on disk.
		s.advanceSynced(w.seq)
		s.sy.commitTook = t1.Sub(t0)
		s.sy.fsyncTook.Store(int64(time.Since(t1)))
	}
	s.askCheckpoint()
	return w, errs, nil
}
