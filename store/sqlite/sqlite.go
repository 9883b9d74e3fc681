// Package sqlite is the embedded storage driver: one SQLite database file
// in WAL mode, the default of a single gateway. It provides the storage
// interfaces of package queue and runs the conformance suite of
// store/storetest.
//
// The SQL, the migrations and the group-commit writer still live in package
// queue (queue.Store); Open is the driver's entry point, so that callers
// stay the same when they move here.
package sqlite

import (
	"fmt"

	"smsgw/queue"
)

// Open opens or creates the database at path, upgrading its schema, and
// returns it as queue.Storage. See queue.Options for opt.
func Open(path string, opt queue.Options) (queue.Storage, error) {
	st, err := queue.Open(path, opt)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return st, nil
}
