package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"smsgw/queue"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded schema steps in order; step i (0-based)
// brings the database from version i to version i+1.
func migrations() ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, n := range names {
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	m, _ := migrations()
	return len(m)
}

// migrationLock is the advisory lock that keeps gateways starting together
// from migrating the same database at once.
const migrationLock = 0x736d73677773636d // "smsgwscm"

// migrate upgrades the database to SchemaVersion, one step per
// transaction, recording the version (table schema_version) in the same
// transaction as the step. Each step holds an advisory lock and reads the
// version again under it, so of several gateways starting together one
// applies each step and the others find it done. A database newer than
// this build is refused.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	steps, err := migrations()
	if err != nil {
		return fmt.Errorf("queue: read embedded migrations: %w", err)
	}
	for {
		done, err := migrateStep(ctx, pool, steps)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next step, or reports that none is left.
func migrateStep(ctx context.Context, pool *pgxpool.Pool, steps []string) (done bool, err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("queue: migrate: %w", mapErr(err))
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return false, fmt.Errorf("queue: migrate: lock: %w", mapErr(err))
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		one     boolean PRIMARY KEY DEFAULT true CHECK (one),
		version integer NOT NULL)`); err != nil {
		return false, fmt.Errorf("queue: migrate: %w", mapErr(err))
	}
	var v int
	err = tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("queue: read schema version: %w", mapErr(err))
	}
	if v > len(steps) {
		return false, fmt.Errorf("queue: %w: the database is at schema version %d but this smsgw knows only up to %d; "+
			"run a newer smsgw or restore a backup taken before the upgrade", queue.ErrSchemaTooNew, v, len(steps))
	}
	if v == len(steps) {
		return true, tx.Commit(ctx)
	}
	// Simple protocol: a step is several statements.
	if _, err := tx.Exec(ctx, steps[v], pgx.QueryExecModeSimpleProtocol); err != nil {
		return false, fmt.Errorf("queue: migrate to version %d: %w", v+1, mapErr(err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)
		ON CONFLICT (one) DO UPDATE SET version = excluded.version`, v+1); err != nil {
		return false, fmt.Errorf("queue: migrate to version %d: %w", v+1, mapErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("queue: migrate to version %d: %w", v+1, mapErr(err))
	}
	return v+1 == len(steps), nil
}
