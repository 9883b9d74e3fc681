package sqlite

import (
	"fmt"

	"smsgw/queue"
)

// invalid is the error of a request whose field fails validation.
func invalid(field, format string, args ...any) error {
	return &queue.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
