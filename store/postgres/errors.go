package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"smsgw"
	"smsgw/queue"
)

// PostgreSQL error codes the driver reacts to.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeAdminShutdown        = "57P01"
	codeCrashShutdown        = "57P02"
	codeCannotConnectNow     = "57P03"
)

// invalid is the error of a request whose field fails validation.
func invalid(field, format string, args ...any) error {
	return &queue.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// pgCode returns the SQLSTATE of a server error in err's chain, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// isUniqueViolation reports whether err is a unique constraint refusing a
// row; constraint, when not empty, must be the one that refused it.
func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != codeUniqueViolation {
		return false
	}
	return constraint == "" || pe.ConstraintName == constraint
}

// retryable reports whether a transaction that failed with err may simply
// run again: the server chose it as a deadlock or serialisation victim.
func retryable(err error) bool {
	switch pgCode(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return false
}

// unavailable reports whether err means the database could not be reached
// or went away (as opposed to refusing the statement).
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	switch code := pgCode(err); {
	case strings.HasPrefix(code, "08"), code == codeAdminShutdown, code == codeCrashShutdown, code == codeCannotConnectNow:
		return true
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) && !errors.Is(err, context.Canceled)
}

// mapErr gives a database error the project's meaning: a unique violation
// matches smsgw.ErrConflict, an unreachable database smsgw.ErrUnavailable
// (the API answers 503 with Retry-After), keeping the original in the
// chain. Errors that already carry a sentinel pass unchanged.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, smsgw.ErrConflict), errors.Is(err, smsgw.ErrUnavailable):
		return err
	case isUniqueViolation(err, ""):
		return fmt.Errorf("%w: %w", smsgw.ErrConflict, err)
	case unavailable(err):
		return fmt.Errorf("%w: %w", smsgw.ErrUnavailable, err)
	}
	return err
}
