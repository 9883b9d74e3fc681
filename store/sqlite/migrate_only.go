package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"
)

// Migrate brings the database at path (created when missing) to
// SchemaVersion and returns its version before and after, without opening
// a store: it recovers no attempt and starts nothing, so it may run beside
// a gateway using the same file. A database written by a newer smsgw is
// refused with queue.ErrSchemaTooNew and left as it is.
func Migrate(ctx context.Context, path string) (from, to int, err error) {
	if err := createPrivate(path); err != nil {
		return 0, 0, err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(int((5 * time.Second).Milliseconds())))
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?"+q.Encode())
	if err != nil {
		return 0, 0, fmt.Errorf("queue: open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&from); err != nil {
		return 0, 0, fmt.Errorf("queue: open %s: read schema version: %w", path, err)
	}
	if err := migrate(db); err != nil {
		return from, from, err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&to); err != nil {
		return from, 0, fmt.Errorf("queue: %s: read schema version: %w", path, err)
	}
	return from, to, nil
}
