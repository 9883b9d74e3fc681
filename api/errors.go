package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"smsgw/wire"

	"smsgw"
)

// Error is wire.Error: the v1 API's JSON shapes are shared with its clients.
type Error = wire.Error

// Machine-readable error codes.
const (
	CodeBadRequest        = "bad_request"
	CodeInvalidJSON       = "invalid_json"
	CodeUnknownField      = "unknown_field"
	CodeInvalidField      = "invalid_field"
	CodeMissingField      = "missing_field"
	CodeInvalidNumber     = "invalid_number"
	CodeEmptyText         = "empty_text"
	CodeTooManyParts      = "too_many_parts"
	CodeTooManyRecipients = "too_many_recipients"
	CodeBodyTooLarge      = "body_too_large"
	CodeUnsupportedMedia  = "unsupported_media_type"
	CodeUnauthorized      = "unauthorized"
	CodeForbidden         = "forbidden"
	CodeNotFound          = "not_found"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeConflict          = "conflict"
	CodeIdempotency       = "idempotency_key_reused"
	CodeUnavailable       = "unavailable"
	CodeNotReady          = "not_ready"
	CodeInternal          = "internal"
)

// RetryAfterUnavailable is the Retry-After (seconds) of a 503 answered
// because something the request needs (the database, a modem) cannot be
// reached right now.
const RetryAfterUnavailable = 5

func errorf(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func badField(field, format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, CodeInvalidField, field, format, args...)
}

// jsonContentType is the Content-Type of every JSON answer, shared so
// that setting it costs nothing; net/http only reads header values.
var jsonContentType = []string{"application/json; charset=utf-8"}

// writeJSON writes v with the status code. Encoding errors can only come from
// a broken connection at this point, so they are dropped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

type errorBody struct {
	Error *Error `json:"error"`
}

func writeErr(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="smsgw", Basic realm="smsgw"`)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Status, errorBody{Error: e})
}

// backendError maps an error from a Store/Modems/Webhooks call to an API
// error: sentinels to their 4xx/503, anything else to a 500 whose message
// does not leak internals (the cause is logged by the caller).
func backendError(err error, what string) *Error {
	var ae *Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, smsgw.ErrNotFound):
		return errorf(http.StatusNotFound, CodeNotFound, "", "%s not found", what)
	case errors.Is(err, smsgw.ErrIdempotencyMismatch):
		return errorf(http.StatusConflict, CodeIdempotency, "Idempotency-Key", "the idempotency key was already used with a different request")
	case errors.Is(err, smsgw.ErrConflict):
		return errorf(http.StatusConflict, CodeConflict, "", "%s: %s", what, unwrapMsg(err))
	case errors.Is(err, smsgw.ErrUnavailable):
		e := errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "temporarily unavailable, try again later")
		e.RetryAfter = RetryAfterUnavailable
		return e
	}
	return errorf(http.StatusInternalServerError, CodeInternal, "", "internal error; the cause is in the daemon's log")
}

func unwrapMsg(err error) string { return err.Error() }

// clip shortens s to n bytes for an error message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
