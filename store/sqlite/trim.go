package sqlite

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define SMSGW_MALLOC_ARENAS 2

// Part of SQLite's C API, compiled into this program by go-sqlite3,
// which does not export it to Go.
extern long long sqlite3_memory_used(void);

// The C allocator keeps what SQLite frees for later; malloc_trim hands
// the whole free pages back to the kernel. Other C libraries have no such
// call and nothing to do.
static void smsgw_malloc_trim(void) {
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

// glibc gives a thread its own arena when the one it would use is
// locked, up to eight per core, and each arena keeps its own free chunks
// and top that malloc_trim cannot return while a live chunk sits above
// them: SQLite's connections run on whichever Go thread is free, so over
// a busy spell most threads got an arena and kept part of it (2.8 MB in
// 13 arenas, idle, after a trim). Two arenas hold the same allocations.
// The limit is read when the first thread other than the main one
// allocates, before any Go code runs, hence a constructor.
#ifdef __GLIBC__
__attribute__((constructor)) static void smsgw_malloc_arenas(void) {
	mallopt(M_ARENA_MAX, SMSGW_MALLOC_ARENAS);
}
#endif
*/
import "C"

import (
	"context"
	"errors"
	"fmt"

	"smsgw/queue"
)

// MemoryUsed is the memory SQLite has allocated and not freed, over every
// connection of the process (sqlite3_memory_used): page caches, parsed
// schemas, prepared statements.
func MemoryUsed() int64 { return int64(C.sqlite3_memory_used()) }

// Trim gives back the memory the connections hold for speed: it closes
// the idle readers and empties the page caches of the writer and the
// checkpointer (PRAGMA shrink_memory), then has the C allocator return the
// freed pages to the kernel. It is meant for a daemon that has been quiet
// a while: what it drops is rebuilt by the next requests (the first read
// after a trim opens a reader and parses the schema, about a millisecond;
// pages come back from the kernel's file cache), and the writer's shrink
// waits for the transaction in progress.
func (s *Store) Trim(ctx context.Context) error {
	s.closeMu.Lock()
	closed := s.closed
	s.closeMu.Unlock()
	if closed {
		return queue.ErrClosed
	}
	// Each idle reader holds its own page cache and parsed schema. Lowering
	// the idle limit closes them at once; a reader in use is kept when it
	// is returned, as the limit is back by then: every reader the pool may
	// open may stay idle, as Open has it.
	keep := s.rdb.Stats().MaxOpenConnections
	if keep <= 0 {
		keep = 2 // database/sql's default, for a pool without a limit
	}
	s.rdb.SetMaxIdleConns(-1)
	s.rdb.SetMaxIdleConns(keep)
	var errs []error
	if _, err := s.wdb.ExecContext(ctx, "PRAGMA shrink_memory"); err != nil {
		errs = append(errs, fmt.Errorf("writer: %w", err))
	}
	if _, err := s.ckdb.ExecContext(ctx, "PRAGMA shrink_memory"); err != nil {
		errs = append(errs, fmt.Errorf("checkpointer: %w", err))
	}
	C.smsgw_malloc_trim()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("queue: trim memory: %w", err)
	}
	return nil
}
