package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"smsgw"
	"smsgw/internal/callback"
	"smsgw/queue"
)

// The v1 core as the compatible APIs (packages api/compat/asg and
// api/compat/kannel) use it: the same validation, store, clock, errors and
// health, so a message sent through any of them is built and kept alike.
// These are thin exports of what the v1 handlers use themselves.

// Errorf makes an API error with a machine code and a sentence.
func Errorf(status int, code, field, format string, args ...any) *Error {
	return errorf(status, code, field, format, args...)
}

// BadField is a 400 invalid_field naming the field.
func BadField(field, format string, args ...any) *Error { return badField(field, format, args...) }

// WriteJSON writes v as JSON with the status code.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// WriteError writes e in the v1 shape ({"error":{...}}), with the
// WWW-Authenticate challenge on a 401.
func WriteError(w http.ResponseWriter, e *Error) { writeErr(w, e) }

// DecodeJSON reads one JSON object from the body into v, strictly (JSON
// content type, no unknown fields, nothing after it).
func DecodeJSON(r *http.Request, v any) *Error { return decodeJSON(r, v) }

// BodyReadError is the answer to a body that could not be read (413 past
// the size limit).
func BodyReadError(err error) *Error { return bodyReadError(err) }

// FormError is the answer to a form or query that could not be parsed.
func FormError(err error) *Error { return formError(err) }

// BackendError maps an error of a Store, Modems or Webhooks call to the
// answer (sentinels to their 4xx or 503, anything else to a 500 that leaks
// nothing).
func BackendError(err error, what string) *Error { return backendError(err, what) }

// QueryInt parses an optional integer query parameter within [lo, hi].
func QueryInt(r *http.Request, name string, def, lo, hi int) (int, *Error) {
	return queryInt(r, name, def, lo, hi)
}

// QueryTime parses an optional RFC 3339 time or unix seconds.
func QueryTime(r *http.Request, name string) (time.Time, *Error) { return queryTime(r, name) }

// Clip shortens s to n bytes for an error message.
func Clip(s string, n int) string { return clip(s, n) }

// Priority bounds of a message.
const (
	MinPriority = minPriority
	MaxPriority = maxPriority
)

// MetaDLRURL is the metadata key under which a Kannel request's dlr-url is
// kept with its message; it is redacted for read-only callers. Keys under
// ReservedMetaPrefix cannot be set through v1.
const (
	MetaDLRURL         = reservedMetaPrefix + "dlr-url"
	ReservedMetaPrefix = reservedMetaPrefix
)

// BatchKeyPrefix prefixes the idempotency key of a named batch (the
// SMSGate message id), by which the store finds the batch again.
const BatchKeyPrefix = batchKeyPrefix

// ReservedBatchName reports whether name has the shape of the store's own
// names (a message id, or an id range such as "q5-7"), which a caller's
// batch name may not have.
func ReservedBatchName(name string) bool { return reservedBatchName(name) }

// RequestFingerprint identifies a submission by its meaning (see the v1
// idempotency rules); kind keeps the APIs' keys apart.
func RequestFingerprint(kind string, msgs []NewMessage, ttl *int64) smsgw.Fingerprint {
	return requestFingerprint(kind, msgs, ttl)
}

// Draft is a send request after an API has read it, before validation.
type Draft struct {
	To             []string
	Text           string
	Priority       int
	SendAt         time.Time
	ExpiresAt      time.Time
	Modem          string
	Tags           []string
	DeliveryReport bool
	Flash          bool
	Encoding       string
	Metadata       map[string]string
	// Binary: 8-bit data instead of Text, ports, a client's header, the
	// message class and TP-PID.
	Binary queue.Binary
	// SkipNumberCheck takes the recipients as written (digits with an
	// optional '+'), without the phone-number library's validation.
	SkipNumberCheck bool
}

// Build validates a draft's recipients, text, timing and size as v1 does and
// turns it into store messages; fTo and fText are the calling API's field
// names for the recipients and the text.
func (h *Handler) Build(d Draft, fTo, fText string) ([]NewMessage, *Error) {
	return h.build(draft{
		to: d.To, text: d.Text, priority: d.Priority, sendAt: d.SendAt, expiresAt: d.ExpiresAt,
		modem: d.Modem, tags: d.Tags, deliveryReport: d.DeliveryReport, flash: d.Flash,
		encoding: d.Encoding, metadata: d.Metadata, binary: d.Binary, skipNumberCheck: d.SkipNumberCheck,
	}, fTo, fText)
}

// DecodeBase64 reads standard or URL-safe base64, padded or not; field
// names the parameter in the error.
func DecodeBase64(field, s string) ([]byte, *Error) { return decodeBase64(field, s) }

// PortsOf checks an application port pair (the source defaults to the
// destination); nil when no port is given.
func PortsOf(fDst, fSrc string, dst, src *int) (*queue.Ports, *Error) {
	return portsOf(fDst, fSrc, dst, src)
}

// CheckModem refuses a route to a modem id the gateway does not know.
func (h *Handler) CheckModem(ctx context.Context, field, id string) *Error {
	return h.checkModem(ctx, field, id)
}

// StoreErr maps a backend error like BackendError and logs a 5xx cause.
func (h *Handler) StoreErr(err error, what string) *Error { return h.storeErr(err, what) }

// ParseTime parses an optional RFC 3339 time of a body field.
func (h *Handler) ParseTime(field, v string) (time.Time, *Error) { return h.parseTime(field, v) }

// CheckCallback validates a callback URL a client gives against the
// callback policy.
func (h *Handler) CheckCallback(field, raw string) *Error { return h.checkCallback(field, raw) }

// Callbacks is the policy of which hosts callbacks may reach.
func (h *Handler) Callbacks() callback.Policy { return h.opts.Callbacks }

// Backend is what the handler talks to, with the read-only redaction and
// the webhook URL checks in place.
func (h *Handler) Backend() Backend { return h.b }

// Now is the handler's clock.
func (h *Handler) Now() time.Time { return h.now() }

// Started is when the handler was built (the uptime's origin).
func (h *Handler) Started() time.Time { return h.started }

// Version is the daemon's version as the health routes show it.
func (h *Handler) Version() string { return h.opts.Version }

// Logger receives server-side failures.
func (h *Handler) Logger() *slog.Logger { return h.log }

// MaxBodyBytes caps a request body.
func (h *Handler) MaxBodyBytes() int64 { return h.opts.Limits.BodyBytes }

// Readiness runs the /readyz checks: whether the database answers and a
// modem is registered, each check's sentence, and the modem counts.
func (h *Handler) Readiness(ctx context.Context) (ok bool, checks map[string]string, total, registered int) {
	return h.readiness(ctx)
}

// NoModems is the answer of a modem route when no modem pool is running.
func (h *Handler) NoModems() *Error { return h.noModems() }
