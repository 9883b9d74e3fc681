package smsgw

import "errors"

// Errors every layer answers with. Match them with errors.Is; the errors
// returned wrap them with context. The HTTP API maps each to its status
// code (404, 409, 409, 503).
var (
	// ErrNotFound: no such message, inbound message, modem, webhook, event
	// or consumer.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the operation does not fit the object's state (for
	// instance cancelling a message that is already on the wire) or an ID
	// is taken.
	ErrConflict = errors.New("conflict")
	// ErrIdempotencyMismatch: an idempotency key was reused with a request
	// whose Fingerprint differs.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")
	// ErrUnavailable: the request cannot be served right now (a store
	// closed, a modem busy or gone); the client should retry later.
	ErrUnavailable = errors.New("temporarily unavailable")
)
