package queue

import (
	"errors"
	"fmt"
)

// Sentinel errors of the queue alone. Match them with errors.Is; the
// returned errors wrap them with context. An unknown message, inbox entry,
// attempt or consumer is smsgw.ErrNotFound, and an idempotency key reused
// with a different request smsgw.ErrIdempotencyMismatch.
var (
	// ErrNotCancellable: the message is no longer waiting in the queue.
	ErrNotCancellable = errors.New("message can no longer be cancelled")
	// ErrInvalid: the request is malformed; the error is a *ValidationError.
	ErrInvalid = errors.New("invalid request")
	// ErrNoMessage: TryClaim found nothing to hand out right now.
	ErrNoMessage = errors.New("no message ready")
	// ErrNotClaimed: the attempt is not (or no longer) in progress, so its
	// result cannot be recorded.
	ErrNotClaimed = errors.New("attempt is not in progress")
	// ErrNoMatch: a status report matched no sent part.
	ErrNoMatch = errors.New("status report matches no sent part")
	// ErrSchemaTooNew: the database was written by a newer smsgw.
	ErrSchemaTooNew = errors.New("database schema is newer than this smsgw")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("queue closed")
	// ErrBadState: the message is in a state that does not allow the call.
	ErrBadState = errors.New("message state does not allow this")
)

// ValidationError describes the first invalid field of a request. It
// matches ErrInvalid with errors.Is.
type ValidationError struct {
	Field  string // e.g. "to", "text", "priority"
	Reason string
}

// Error names the field and the reason.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
