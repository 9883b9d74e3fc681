package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"

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

// migrate upgrades the database to SchemaVersion, one step per
// transaction, recording the version (PRAGMA user_version) in the same
// transaction as the step. A database newer than this build is refused.
func migrate(db *sql.DB) error {
	steps, err := migrations()
	if err != nil {
		return fmt.Errorf("queue: read embedded migrations: %w", err)
	}
	ctx := context.Background()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("queue: read schema version: %w", err)
	}
	if v > len(steps) {
		return fmt.Errorf("queue: %w: the database is at schema version %d but this smsgw knows only up to %d; "+
			"run a newer smsgw or restore a backup taken before the upgrade", queue.ErrSchemaTooNew, v, len(steps))
	}
	for ; v < len(steps); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("queue: migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, steps[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("queue: migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("queue: migrate to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("queue: migrate to version %d: %w", v+1, err)
		}
	}
	return nil
}
