package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"smsgw/queue"

	// The only SQLite driver the project uses; registers "sqlite3".
	_ "github.com/mattn/go-sqlite3"
)

// Store is the durable queue. All its methods are safe for concurrent use.
//
// Writes are funnelled through one committer goroutine that batches the
// requests waiting at that moment into one transaction (group commit), so a
// single writer connection serves any number of callers and every caller
// returns only once its own change is committed (and, for a durable write
// under SyncFull, on disk, see sync.go). Reads use a separate pool of read-only connections that run
// alongside the writer (WAL).
type Store struct {
	opt  queue.Options
	dopt Options
	path string

	wdb  *sql.DB // exactly one connection, owned by the committer
	rdb  *sql.DB // read-only pool
	ckdb *sql.DB // one connection for the checkpointer

	// Checkpoints run beside the committer, not inside a commit, so that
	// copying the log back into the database never stalls a caller.
	ckpoke  chan struct{}
	commits int // since the last checkpoint request (committer only)
	// shm is the log's wal-index, read for the log's length after each
	// commit (see logFrames); nil where it cannot be opened, and then
	// checkpoints go by commits alone. ckFrames is the length when the
	// checkpointer was last asked (committer only), ckEvery the growth
	// in frames that asks it (checkpointBytes in pages).
	shm      *os.File
	ckFrames int64
	ckEvery  int64
	// walFrames is the log size the last checkpoint saw; ckMu keeps the
	// background and the committer's checkpoints from colliding (the
	// loser would just fail busy).
	walFrames atomic.Int64
	ckMu      sync.Mutex

	reqs          chan *writeReq
	committerDone chan struct{}
	ctx           context.Context
	cancel        context.CancelFunc
	wg            sync.WaitGroup
	closeMu       sync.Mutex
	closed        bool
	closeErr      error

	hub *hub // the Notifier's signals, shared with other handles on the file

	// Housekeeping: the earliest deadline (ms) the sweeper is armed for,
	// and a poke channel when a new earlier one appears.
	sweepAt atomic.Int64
	poke    chan struct{}

	// Claim statements by routing key, prepared on the writer connection.
	stmtMu     sync.Mutex
	stmts      map[string]*sql.Stmt
	unprepared []string

	sy syncState // pipelined durability (sync.go)
}

// createPrivate creates a missing database file with mode 0600 (and its
// missing directory 0700), whatever the umask. Left to itself, SQLite
// creates the file 0644 less the umask, and the -wal and -shm files copy
// the database's mode: every message text and number would be readable by
// any local user. An existing file keeps the mode it has.
func createPrivate(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("queue: database directory: %w", err)
			}
			if err := os.Chmod(dir, 0o700); err != nil {
				return fmt.Errorf("queue: database directory: %w", err)
			}
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue: create %s: %w", path, err)
	}
	defer f.Close()
	// The umask can only take bits away from 0600, but a umask of 000
	// must not leave anything to chance either.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("queue: create %s: %w", path, err)
	}
	return nil
}

// Open opens (creating if needed) the database at path, upgrades its schema,
// applies the recovery policy to messages a crash left sending, and starts
// the committer and the housekeeping goroutine. A database written by a
// newer smsgw is refused with ErrSchemaTooNew. opt holds the queue's
// settings, dopt the driver's own.
func Open(path string, opt queue.Options, dopt Options) (*Store, error) {
	opt.SetDefaults()
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	dopt.setDefaults()
	if err := dopt.validate(); err != nil {
		return nil, err
	}
	s := &Store{
		opt:           opt,
		dopt:          dopt,
		path:          path,
		reqs:          make(chan *writeReq, 1024),
		poke:          make(chan struct{}, 1),
		ckpoke:        make(chan struct{}, 1),
		committerDone: make(chan struct{}),
		stmts:         map[string]*sql.Stmt{},
	}
	s.sy.fsync.Store(&fsyncHook{fsyncFile})
	s.sy.done = make(chan struct{})
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	busy := int(dopt.BusyTimeout / time.Millisecond)
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(busy))
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	// Page caches are C memory the Go runtime never returns: 4 MB for the
	// writer and 2 MB per reader keep a Pi's resident set small, and the
	// pages they miss are in the kernel's file cache anyway.
	q.Set("_cache_size", "-4000")
	q.Set("_auto_vacuum", "none")
	// The writer's log writes go to the kernel once per commit (walbuf.c).
	if err := registerWalbuf(); err != nil {
		return nil, err
	}
	q.Set("vfs", walbufVFS)
	var err error
	s.wdb, err = sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	if err := s.wdb.Ping(); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	if err := migrate(s.wdb); err != nil {
		s.wdb.Close()
		return nil, err
	}
	// Migrations ran with FULL; from now on commitBatch sets what each
	// batch needs (sync.go). The log is the main file's name as SQLite
	// resolved it, plus "-wal".
	var seq int
	var name, file string
	if err := s.wdb.QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	s.sy.wal.path = file + "-wal"
	if _, err := s.wdb.Exec("PRAGMA synchronous = NORMAL"); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	rq := url.Values{}
	rq.Set("_busy_timeout", fmt.Sprint(busy))
	rq.Set("_query_only", "1")
	rq.Set("_cache_size", "-2000")
	s.rdb, err = sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+rq.Encode())
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("queue: open %s for reading: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(8)
	s.rdb.SetMaxIdleConns(8)
	s.ckdb, err = sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+rq.Encode())
	if err != nil {
		s.wdb.Close()
		s.rdb.Close()
		return nil, fmt.Errorf("queue: open %s for checkpoints: %w", path, err)
	}
	s.ckdb.SetMaxOpenConns(1)
	// No checkpoints inside commits (see checkpointer); a log that grew
	// past twice checkpointBytes (readers holding it, a checkpoint slower
	// than the writes) is cut back to that when it restarts.
	if _, err := s.wdb.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = %d", 2*checkpointBytes)); err != nil {
		s.wdb.Close()
		s.rdb.Close()
		s.ckdb.Close()
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}

	var pageSize int64
	if err := s.wdb.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		s.wdb.Close()
		s.rdb.Close()
		s.ckdb.Close()
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	s.ckEvery = checkpointBytes / max(pageSize, 512)
	if s.hub, err = joinHub(path); err != nil {
		s.wdb.Close()
		s.rdb.Close()
		s.ckdb.Close()
		return nil, err
	}
	if f, err := os.Open(file + "-shm"); err == nil {
		s.shm = f
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(2)
	go s.committer()
	go s.checkpointer()

	if err := s.recover(); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	if !dopt.NoHousekeeper {
		s.wg.Add(1)
		go s.housekeeper()
	}
	return s, nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Close stops the background goroutines after the writes already submitted
// have committed (and the durable ones are synced), then closes the
// database. Later calls return the first
// result. Calls made after Close fail with ErrClosed.
func (s *Store) Close(ctx context.Context) error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	s.cancel()
	// Waiters look again and find the handle closed.
	s.hub.fireAll()
	defer s.hub.leave()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		// The committer has stopped: complete what waits for an fsync.
		s.finalSync()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.closeErr = fmt.Errorf("queue: close: %w", ctx.Err())
		return s.closeErr
	}
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		if st != nil {
			st.Close()
		}
	}
	s.stmtMu.Unlock()
	var errs []error
	// Leave a compact database behind: fold the log in and truncate it.
	if _, err := s.wdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, err)
	}
	if err := s.ckdb.Close(); err != nil {
		errs = append(errs, err)
	}
	if s.shm != nil {
		s.shm.Close()
	}
	if err := s.rdb.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := s.wdb.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		s.closeErr = fmt.Errorf("queue: close: %w", err)
	}
	return s.closeErr
}

func (s *Store) nowMs() int64 { return s.opt.Now().UnixMilli() }

// hint tells the housekeeper about a deadline (ms); it wakes if that is
// earlier than the one it sleeps towards.
func (s *Store) hint(at int64) {
	if at <= 0 {
		return
	}
	for {
		cur := s.sweepAt.Load()
		if cur != 0 && cur <= at {
			return
		}
		if s.sweepAt.CompareAndSwap(cur, at) {
			select {
			case s.poke <- struct{}{}:
			default:
			}
			return
		}
	}
}

// housekeeper expires messages and joins timed-out inbound parts when they
// fall due. It sleeps until the earliest known deadline; writes that create
// an earlier one poke it.
func (s *Store) housekeeper() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next, err := s.Sweep(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.opt.Logger.Error("queue: sweep failed", "err", err)
			next = s.opt.Now().Add(10 * time.Second)
		}
		var nextMs int64
		wait := 24 * time.Hour
		if !next.IsZero() {
			nextMs = next.UnixMilli()
			wait = max(time.Until(next), 0)
		}
		s.sweepAt.Store(nextMs)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		case <-s.poke:
		}
	}
}

// checkpointEvery is how many commits may pile up in the write-ahead log
// before the checkpointer copies them back into the database.
const checkpointEvery = 200

// checkpointBytes is how much the write-ahead log may grow by before the
// checkpointer is asked, whatever the number of commits. The log restarts
// once that checkpoint is done (walRestartFrames), at about 16-20 MiB, and
// so stays within the file it already has (journal_size_limit is twice
// this). Counted in commits alone, 200 commits of batches grew the log to
// 50-200 MiB, cut back to 16 MiB at every restart, and so did 200 commits
// of single sends (about 28 MiB): a commit that makes the log file longer
// costs its fsync a journal commit of the file's new size, and the cut
// stalled the writer 10-45 ms each time.
const checkpointBytes = 16 << 20

// askCheckpoint asks the checkpointer for a checkpoint every
// checkpointEvery commits, or when the log grew by checkpointBytes since
// it last asked. Committer only, after each commit.
func (s *Store) askCheckpoint() {
	s.commits++
	n := s.logFrames()
	if n < s.ckFrames {
		s.ckFrames = 0 // the log started over
	}
	if s.commits < checkpointEvery && (n < 0 || n-s.ckFrames < s.ckEvery) {
		return
	}
	s.commits, s.ckFrames = 0, max(n, 0)
	select {
	case s.ckpoke <- struct{}{}:
	default:
	}
}

// logFrames returns how many frames the write-ahead log holds, from the
// header of its wal-index (mxFrame: a 32-bit integer in the machine's
// byte order at offset 16, https://sqlite.org/walformat.html), or -1.
func (s *Store) logFrames() int64 {
	if s.shm == nil {
		return -1
	}
	var b [4]byte
	if _, err := s.shm.ReadAt(b[:], 16); err != nil {
		return -1
	}
	return int64(binary.NativeEndian.Uint32(b[:]))
}

// walRestartFrames is the log size (pages) past which the committer itself
// checkpoints between two batches, so that the log restarts from its
// beginning: a checkpoint from another connection never lets it restart
// while writes keep coming, and the log would grow without bound.
const walRestartFrames = 2000

// checkpointer copies the write-ahead log back into the database when the
// committer asks (every checkpointEvery commits). A passive checkpoint
// never blocks the writer or readers, and it does the bulk of the copying,
// so the committer's own checkpoint (see walRestartFrames) is short.
func (s *Store) checkpointer() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.ckpoke:
		}
		var busy, frames, done int64
		s.ckMu.Lock()
		err := s.ckdb.QueryRowContext(s.ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done)
		s.ckMu.Unlock()
		if err != nil {
			if s.ctx.Err() == nil {
				s.opt.Logger.Warn("queue: checkpoint failed", "err", err)
			}
			continue
		}
		s.walFrames.Store(frames)
	}
}

// restartLog checkpoints from the writer connection between batches when
// the log has grown large; the next write then starts the log over.
// Committer only.
func (s *Store) restartLog() {
	if s.walFrames.Load() < walRestartFrames || !s.ckMu.TryLock() {
		return // small yet, or the background checkpoint is at it: next time
	}
	defer s.ckMu.Unlock()
	var busy, frames, done int64
	if err := s.wdb.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done); err != nil {
		s.opt.Logger.Warn("queue: checkpoint failed", "err", err)
		return
	}
	if done == frames {
		s.walFrames.Store(0) // the next write starts the log over
	}
}

// Ping checks that the database answers a query (for readiness probes).
func (s *Store) Ping(ctx context.Context) error {
	if s.ctx.Err() != nil {
		return queue.ErrClosed
	}
	if err := s.syncFailure(); err != nil {
		return err
	}
	// The schema version sits in the file header: reading it touches the disk.
	var v int
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("queue: ping: %w", err)
	}
	return nil
}
