package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrate brings the database at dsn to SchemaVersion and returns its
// version before and after, without opening a store: it registers no node,
// recovers no attempt and listens to nothing, so it may run while gateways
// use the database (each step is applied once, under the advisory lock
// Open takes too). A database written by a newer smsgw is refused with
// queue.ErrSchemaTooNew and left as it is.
func Migrate(ctx context.Context, dsn string) (from, to int, err error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: the error never repeats it.
		return 0, 0, errors.New("queue: postgres: the dsn does not parse (want postgres://user@host:port/db?sslmode=... or key=value pairs)")
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return 0, 0, fmt.Errorf("queue: postgres: %w", mapErr(err))
	}
	defer pool.Close()
	if from, err = schemaVersion(ctx, pool); err != nil {
		return 0, 0, err
	}
	if err := migrate(ctx, pool); err != nil {
		return from, from, err
	}
	to, err = schemaVersion(ctx, pool)
	return from, to, err
}

// schemaVersion reads the recorded version; 0 for a database never
// migrated.
func schemaVersion(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("queue: postgres: read schema version: %w", mapErr(err))
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := pool.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("queue: postgres: read schema version: %w", mapErr(err))
	}
	return v, nil
}
