package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"smsgw/queue"
)

// Store is the queue on a PostgreSQL database shared by any number of
// gateways. All its methods are safe for concurrent use.
type Store struct {
	opt  queue.Options
	popt Options

	pool *pgxpool.Pool

	// channel is the NOTIFY channel of this database and schema, derived
	// from their names, so stores on other schemas of the same server
	// never meet.
	channel string

	ctx      context.Context // ends at Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the listener, the notifier and the housekeeper
	closeMu  sync.Mutex
	closed   bool
	closeErr error

	sig   signals  // the Notifier's channels, fired by commits and the listener
	notes notifier // notifications waiting to be sent after their commits

	poke chan struct{} // wakes the housekeeper for an earlier deadline
}

// Open connects to the database at dsn (a PostgreSQL URL or key=value
// string), upgrades its schema, starts listening for the other gateways'
// notifications and applies the recovery policy to this node's attempts a
// crash left open. A database written by a newer smsgw is refused with
// queue.ErrSchemaTooNew. ctx bounds the opening only.
func Open(ctx context.Context, dsn string, opt queue.Options, popt Options) (*Store, error) {
	opt.SetDefaults()
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	popt.setDefaults()
	if err := popt.validate(); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: the error never repeats it.
		return nil, errors.New("queue: postgres: the dsn does not parse (want postgres://user@host:port/db?sslmode=... or key=value pairs)")
	}
	cfg.MaxConns = popt.MaxConns
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without a bound, a database host gone from the network holds
		// every call for the system's TCP timeout (minutes) instead of
		// answering "unavailable" at once.
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "smsgw " + opt.Node
	}
	s := &Store{opt: opt, popt: popt, poke: make(chan struct{}, 1)}
	s.pool, err = pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("queue: postgres: %w", mapErr(err))
	}
	if err := migrate(ctx, s.pool); err != nil {
		s.pool.Close()
		return nil, err
	}
	var db, schema string
	if err := s.pool.QueryRow(ctx, `SELECT current_database(), current_schema()`).Scan(&db, &schema); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("queue: postgres: %w", mapErr(err))
	}
	sum := sha256.Sum256([]byte(db + "\x00" + schema))
	s.channel = "smsgw_" + hex.EncodeToString(sum[:8])

	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Listening starts before Open returns: a waiter that takes a channel
	// after Open misses no other gateway's commit.
	ln, err := s.connectListener(ctx)
	if err != nil {
		s.cancel()
		s.pool.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.listen(ln)
	s.notes.kick = make(chan struct{}, 1)
	s.wg.Add(1)
	go s.notify()

	if err := s.recover(ctx); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	if !popt.NoHousekeeper {
		s.wg.Add(1)
		go s.housekeeper()
	}
	return s, nil
}

// Close stops listening, the notifier (after it sent the notifications
// still pending) and the housekeeper, lets the calls in progress
// finish and closes the pool, bounded by ctx. Later calls return the first
// result. Calls made after Close fail with queue.ErrClosed.
func (s *Store) Close(ctx context.Context) error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	s.cancel()
	// Waiters look again and find the handle closed.
	s.sig.fireAll()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		// Waits for the connections in use to come back.
		s.pool.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.closeErr = fmt.Errorf("queue: close: %w", ctx.Err())
	}
	return s.closeErr
}

// Ping checks that the database answers a query (for readiness probes).
func (s *Store) Ping(ctx context.Context) error {
	if s.ctx.Err() != nil {
		return queue.ErrClosed
	}
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("queue: ping: %w", mapErr(err))
	}
	return nil
}

// Node is the name of the gateway this store works for.
func (s *Store) Node() string { return s.opt.Node }

func (s *Store) nowMs() int64 { return s.opt.Now().UnixMilli() }

// msTime converts stored milliseconds; 0 is the zero time.
func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// timeMs converts a time to stored milliseconds; the zero time is 0.
func timeMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// closedErr returns queue.ErrClosed once Close began.
func (s *Store) closedErr() error {
	if s.ctx.Err() != nil {
		return queue.ErrClosed
	}
	return nil
}

// queryRow and query read outside any transaction, through the pool.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) pgx.Row {
	return s.pool.QueryRow(ctx, q, args...)
}
