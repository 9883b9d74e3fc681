package sqlite

import (
	"fmt"
	"time"
)

// Sync selects how hard a commit pushes data to stable storage.
type Sync string

const (
	// SyncFull fsyncs the write-ahead log on every durable commit: an
	// acknowledged write survives a power cut. The default.
	SyncFull Sync = "full"
	// SyncNormal leaves the fsync to checkpoints: an acknowledged write
	// survives a crash of the process but may be lost in a power cut.
	SyncNormal Sync = "normal"
)

// Options are the embedded driver's own settings, beside the queue's
// (queue.Options). The zero value is usable: every field has a default.
type Options struct {
	// Sync is the durability of commits that acknowledge something to a
	// caller (enqueue, received part, sent part, delivery report).
	// Default SyncFull.
	Sync Sync
	// BusyTimeout bounds how long a statement waits for a lock held by
	// another connection. Default 5s.
	BusyTimeout time.Duration
	// NoHousekeeper leaves out the goroutine that runs Sweep when a
	// deadline comes: for tests that drive Sweep by hand with an injected
	// clock, in this package or in the conformance suite.
	NoHousekeeper bool
}

func (o *Options) setDefaults() {
	if o.Sync == "" {
		o.Sync = SyncFull
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
}

func (o *Options) validate() error {
	switch o.Sync {
	case SyncFull, SyncNormal:
		return nil
	default:
		return fmt.Errorf("queue: unknown sync mode %q (want %q or %q)", o.Sync, SyncFull, SyncNormal)
	}
}
