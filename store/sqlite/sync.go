package sqlite

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Pipelined durability.
//
// Where fsyncs take over slowFsyncs times as long as commits (an SD card,
// a slow disk), the committer commits every batch with synchronous =
// NORMAL and queues the durable requests of the batch for an fsync of the
// write-ahead log, through a file descriptor of the store's own; they
// return only once one has covered their commit, and the committer goes on
// meanwhile. One fsync covers every commit made before it started, so it
// completes all such batches at once (a second group commit, on the disk
// side). Elsewhere durable batches commit with synchronous = FULL, SQLite
// fsyncing inside the commit (see "Who runs the fsync").
//
// Who runs the fsync. Where an fsync takes no more than a few commits
// (the usual case on an SSD or a virtual disk: 0.1 to 0.7 ms against 0.1
// to 0.6 ms for a commit of a batch), SQLite runs it inside the commit
// (FULL) and the committer waits, as it always did: running it elsewhere
// while the committer goes on was measured to lose on 2 cores (paired runs
// of the whole daemon, 16 connections of single sends: 10 to 15 % fewer
// accepts/s with the fsync on another goroutine; with the next batch
// committed during the fsync a fifth more CPU per message, as commits get
// smaller and each writes the same table and index pages to the log
// again; and our own fsync after a NORMAL commit, in the committer, cost
// a tenth more CPU per message than SQLite's in BenchmarkEnqueueConcurrent).
// Every hand-off between goroutines is a wait for a CPU, and overlapping
// gains at most a commit's time per fsync. Where fsyncs are slow, the
// committer goes on instead (with a 3 ms fsync simulated on 2 cores this
// measured the same as the committer waiting, within 6 %: callers waiting
// for their fsync are bound by the fsyncs in a row either way; on more
// cores the overlap may pay): it wakes one caller of the batch, the
// leader, which runs the fsync on its own goroutine and then completes
// every request it covered, its own included; a leader that finds
// another's fsync running waits for it, then covers what is left. The
// caller had to be woken anyway, so this adds no hand-off. A FULL commit
// also covers every NORMAL commit before it (the same file), so it marks
// them all synced.
//
// Why an acknowledged durable write is on stable storage exactly as under
// synchronous = FULL (checked against the SQLite 3.54 amalgamation that
// mattn/go-sqlite3 bundles: wal.c walFrames, walCheckpoint, walRestartLog;
// pager.c sqlite3PagerSetFlags; os_unix.c unixSync, unixOpen):
//
//   - In WAL mode a commit writes its pages as frames appended to the -wal
//     file and nothing else; the database file is written only by
//     checkpoints. FULL differs from NORMAL by one step: after writing a
//     commit's frames, FULL calls fsync on the -wal file (unixSync: fsync,
//     as fdatasync is not enabled in this build; no padding, as the unix VFS
//     reports powersafe overwrite). Our fsync of the same file, started
//     after the commit's write calls returned, flushes the same bytes: on
//     Linux fsync writes back every dirty page of the inode and the
//     metadata to find them, whichever descriptor wrote them.
//   - Recovery after a power cut keeps the frames from the start of the log
//     up to the last commit frame whose salt matches the header and whose
//     checksum matches; checksums are cumulative, so what survives is
//     always a prefix of the commits. Once our fsync returns, every frame
//     written before it started is on disk, so the prefix includes every
//     commit it covers, whatever else the kernel wrote back or not.
//   - NORMAL still syncs where consistency needs it: the log before a
//     checkpoint copies it into the database, the database once a
//     checkpoint has copied everything (before nBackfill records it), and
//     the new log header when the log restarts (syncHeader; this first
//     sync of a newly created -wal also syncs its directory). A restart,
//     which overwrites the log from its beginning, needs nBackfill equal to
//     the log's last frame, i.e. a complete checkpoint, which synced the
//     log and then the database: a commit whose frames a restart overwrote
//     is already on disk in the database file, synced by that checkpoint.
//     So a checkpoint or restart between a commit and our fsync can only
//     make it durable earlier; it never makes an unsynced commit look
//     synced, because a request is completed only by an fsync that started
//     after its commit (or by that checkpoint's own syncs). This holds for
//     the checkpointer's and the committer's checkpoints (both connections
//     run NORMAL: the build sets SQLITE_DEFAULT_WAL_SYNCHRONOUS=1 and Open
//     sets the writer's) and for the last connection's close.
//   - journal_size_limit truncates the log in place (ftruncate), the inode
//     stays. The -wal file is only deleted when the last connection to the
//     database closes, after a checkpoint of everything (synced as above);
//     the writer connection lives as long as the Store, so this does not
//     happen while it is open. Should the file be replaced all the same,
//     walFile notices that the path names another inode before each fsync
//     and reopens it. Holding the old descriptor keeps its inode number
//     from being reused, so the comparison cannot be fooled.
//   - SQLite takes no POSIX lock on the -wal file (WAL locks live in the
//     -shm file, the connection locks on the database file), so opening
//     and closing a descriptor of our own on it cannot drop one of
//     SQLite's locks, the hazard of a second descriptor on a locked file.
//
// What differs from FULL is visibility, not durability: under FULL a commit
// becomes visible to other connections after its fsync, here before it.
// Every caller that acknowledges a durable write waits for the fsync, so
// nothing is acknowledged early; the requests whose results lead to an
// effect outside the store (a claimed message about to be sent, events
// handed to a consumer) mark themselves with syncFirst and are completed
// only once every durable commit before them is on disk; the wake-ups of a
// durable batch (Claimable, EventsAvailable, Changed) fire after its sync.
// A reader can still see an unsynced row (a status query), which a power
// cut may take back, together with the caller's acknowledgement it never
// got.
//
// After a failed fsync the state of the kernel's page cache for the log is
// unknown (the dirty pages may have been dropped and the error reported
// once, the "fsyncgate" lesson PostgreSQL learnt), so a retry that succeeds
// proves nothing. The store then fails for durable work until it is
// reopened (the daemon restarted): every request waiting for a sync, every
// durable write and every syncFirst request fails with ErrSyncFailed; Ping
// reports it, so readiness probes see it. Reads and non-durable writes go
// on. Reopening lets SQLite recover from what is really on disk, and
// nothing acknowledged was lost, as every acknowledgement came after a
// successful fsync.

// ErrSyncFailed is the error of durable writes after an fsync of the
// write-ahead log failed: nothing durable is acknowledged any more until
// the database is reopened.
var ErrSyncFailed = errors.New("queue: the write-ahead log could not be synced to disk; restart to recover the database")

// syncItem is requests of one batch waiting for an fsync that covers
// commit need.
type syncItem struct {
	need      int64
	reqs      []*writeReq
	errs      []error
	wakeReady bool
	wakeEvent bool
}

// walFile is the store's own descriptor on the write-ahead log.
type walFile struct {
	path string
	f    *os.File
	fi   os.FileInfo
}

// sync fsyncs the log with fn, first reopening it if the path now names
// another file than the descriptor (see the comment at the top). The
// caller reads the commit counter before calling, so every commit it
// counts was written to the file the path named then or to an earlier
// one, deleted after a complete checkpoint.
func (wf *walFile) sync(fn func(*os.File) error) error {
	fi, err := os.Stat(wf.path)
	if err != nil {
		return fmt.Errorf("stat %s: %w", wf.path, err)
	}
	if wf.f == nil || !os.SameFile(fi, wf.fi) {
		f, err := os.Open(wf.path)
		if err != nil {
			return fmt.Errorf("open %s: %w", wf.path, err)
		}
		nfi, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("stat %s: %w", wf.path, err)
		}
		if wf.f != nil {
			wf.f.Close()
		}
		wf.f, wf.fi = f, nfi
	}
	if err := fn(wf.f); err != nil {
		return fmt.Errorf("fsync %s: %w", wf.path, err)
	}
	return nil
}

func (wf *walFile) close() {
	if wf.f != nil {
		wf.f.Close()
		wf.f = nil
	}
}

// fsyncFile is the sync function outside tests.
func fsyncFile(f *os.File) error { return f.Sync() }

// fsyncHook holds the sync function (atomic.Pointer wants a type).
type fsyncHook struct{ fn func(*os.File) error }

// syncState is the part of the Store shared by the committer and the
// leaders.
type syncState struct {
	wal   walFile
	fsync atomic.Pointer[fsyncHook] // fsyncFile; tests put a hook in its place

	committed atomic.Int64 // commits made by the committer, the last one's number
	synced    atomic.Int64 // every commit up to this number is on disk
	failed    atomic.Pointer[error]

	round sync.Mutex // held by the leader running syncRounds
	mu    sync.Mutex
	queue []*syncItem // ordered by need

	// How long the last fsync took (ns) and the last commit (committer
	// only): see slowFsync.
	fsyncTook  atomic.Int64
	commitTook time.Duration
	full       bool // the writer connection's synchronous is FULL (committer only)

	lastDurable int64 // the last commit with a durable request (committer only)
	// done is closed once the committer has stopped and every request
	// queued here is complete (Close): no request can be waiting any more.
	done chan struct{}
}

// pipelined reports whether durable requests wait for an fsync.
func (s *Store) pipelined() bool { return s.dopt.Sync == SyncFull }

// syncFailure is the lasting error after a failed fsync, or nil.
func (s *Store) syncFailure() error {
	if p := s.sy.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// failSync records a failed fsync for good and returns the error every
// durable write gets from now on.
func (s *Store) failSync(err error) error {
	failed := fmt.Errorf("%w: %w", ErrSyncFailed, err)
	if s.sy.failed.CompareAndSwap(nil, &failed) {
		s.opt.Logger.Error("queue: durable writes refused from now on", "err", err)
	}
	return s.syncFailure()
}

// advanceSynced records that every commit up to n is on disk. A leader's
// fsync and a FULL commit can end in either order; the mark only moves on.
func (s *Store) advanceSynced(n int64) {
	for {
		cur := s.sy.synced.Load()
		if n <= cur || s.sy.synced.CompareAndSwap(cur, n) {
			return
		}
	}
}

// errLead is what the committer sends a request chosen to lead the fsync
// of its batch; the request's result follows on the same channel.
var errLead = errors.New("queue: lead the fsync")

// queueSync queues it for an fsync (committer only). Queued before its
// leader is woken: a leader that came before its item would find nothing
// to do and wait for ever.
func (s *Store) queueSync(it *syncItem) {
	s.sy.mu.Lock()
	s.sy.queue = append(s.sy.queue, it)
	s.sy.mu.Unlock()
}

// slowFsyncs is how many times longer than a commit an fsync must take
// for the committer to leave it to a leader.
const slowFsyncs = 10

// slowFsync reports whether fsyncs take so much longer than commits that
// the committer should go on with the next batch while one runs
// (committer only).
func (s *Store) slowFsync() bool {
	return time.Duration(s.sy.fsyncTook.Load()) > slowFsyncs*s.sy.commitTook
}

// lead runs fsync rounds for r, the leader of a batch, after the round
// that may be running, until r is complete: then r returns to its caller,
// and the requests queued meanwhile have leaders of their own.
func (s *Store) lead(r *writeReq) {
	s.sy.round.Lock()
	defer s.sy.round.Unlock()
	s.syncRounds(r)
}

// finalSync completes what is still queued once the committer has stopped,
// then closes the log descriptor (Close).
func (s *Store) finalSync() {
	s.sy.round.Lock()
	s.syncRounds(nil)
	s.sy.wal.close()
	s.sy.round.Unlock()
	close(s.sy.done)
}

// syncRounds fsyncs and completes until r is complete (only leaders,
// holding sy.round, complete requests, so its done channel says so), or,
// for a nil r, until nothing waits. Requests queued during an fsync wait
// for the next one, which then covers all of them.
func (s *Store) syncRounds(r *writeReq) {
	for {
		if r != nil && len(r.done) > 0 {
			return
		}
		s.sy.mu.Lock()
		if len(s.sy.queue) == 0 {
			s.sy.mu.Unlock()
			return
		}
		head := s.sy.queue[0].need
		s.sy.mu.Unlock()

		var failed error
		if failed = s.syncFailure(); failed == nil && head > s.sy.synced.Load() {
			covered := s.sy.committed.Load()
			t0 := time.Now()
			err := s.sy.wal.sync(s.sy.fsync.Load().fn)
			s.sy.fsyncTook.Store(int64(time.Since(t0)))
			if err != nil {
				failed = s.failSync(err)
			} else {
				s.advanceSynced(covered)
			}
		}

		synced := s.sy.synced.Load()
		s.sy.mu.Lock()
		n := len(s.sy.queue)
		if failed == nil {
			n = 0
			for n < len(s.sy.queue) && s.sy.queue[n].need <= synced {
				n++
			}
		}
		ready := s.sy.queue[:n:n]
		s.sy.queue = append([]*syncItem(nil), s.sy.queue[n:]...)
		s.sy.mu.Unlock()
		s.complete(ready, failed)
	}
}

// complete fires the wake-ups of items whose sync is done, then lets
// their callers return (a caller who returns knows the wake-up is out).
func (s *Store) complete(items []*syncItem, failed error) {
	var ready, events bool
	for _, it := range items {
		ready = ready || it.wakeReady
		events = events || it.wakeEvent
	}
	if failed == nil && len(items) > 0 {
		if ready {
			s.hub.ready.fire()
		}
		if events {
			s.hub.events.fire()
		}
		s.hub.changed.fire()
	}
	for _, it := range items {
		for i, r := range it.reqs {
			if failed != nil {
				r.done <- failed
			} else {
				r.done <- it.errs[i]
			}
		}
	}
}
