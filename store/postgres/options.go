package postgres

import "fmt"

// Options are the PostgreSQL driver's own settings, beside the queue's
// (queue.Options). The zero value is usable: every field has a default.
type Options struct {
	// MaxConns bounds the connection pool (the listening connection
	// comes on top). Default 16.
	MaxConns int32
	// NoHousekeeper leaves out the goroutine that runs Sweep when a
	// deadline comes: for tests that drive Sweep by hand with an injected
	// clock (the conformance suite).
	NoHousekeeper bool
}

func (o *Options) setDefaults() {
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
}

func (o *Options) validate() error {
	if o.MaxConns < 2 {
		return fmt.Errorf("queue: postgres: max connections %d is below 2", o.MaxConns)
	}
	return nil
}
