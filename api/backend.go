package api

import (
	"context"
	"smsgw"
	"smsgw/hooks"
	"smsgw/queue"
	"smsgw/wire"
	"time"
)

// NewMessage is one recipient's message as the API hands it to the Store.
// Numbers are already normalised to E.164, the coding is resolved and the
// part count computed.
type NewMessage struct {
	To             string
	Text           string
	Coding         string // "gsm7" or "ucs2"
	Parts          int
	Priority       int
	SendAt         time.Time // zero: now
	ExpiresAt      time.Time // zero: never
	Modem          string    // route to this modem id only
	Tags           []string  // route to a modem carrying all these tags
	DeliveryReport bool
	Flash          bool // class 0
	Metadata       map[string]string
	// Category is transactional (also when empty) or marketing. Empty
	// for transactional, so the fingerprints of keyed requests made before
	// categories existed stay the same.
	Category smsgw.Category `json:",omitempty"`
	// Binary is what the message carries besides text: 8-bit data (Text
	// is then empty), a client's header, ports, class, TP-PID.
	Binary queue.Binary
	// AutoReply marks a message the gateway sends on its own (a double
	// opt-in request): an opt-out does not hold it back.
	AutoReply bool `json:",omitempty"`
}

// SubmitRequest is one accepted API request: one or more recipients that
// share an idempotency key.
type SubmitRequest struct {
	// IdempotencyKey, when set, makes the submission happen at most once:
	// a second Submit with the same key and Fingerprint returns the first
	// one's messages with Replayed set; with another fingerprint it fails
	// with smsgw.ErrIdempotencyMismatch.
	IdempotencyKey string
	// Fingerprint identifies the request's content as the client sent it.
	Fingerprint smsgw.Fingerprint
	// Batch is the caller's id for the group (android-sms-gateway's message
	// id); empty lets the store choose one.
	Batch    string
	Messages []NewMessage
}

// SubmitResult is what Submit committed.
type SubmitResult struct {
	Batch    string
	Messages []Message
	Replayed bool
}

// Part is wire.Part: the v1 API's JSON shapes are shared with its clients.
type Part = wire.Part

// Attempt is wire.Attempt: the v1 API's JSON shapes are shared with its clients.
type Attempt = wire.Attempt

// Message is wire.Message: the v1 API's JSON shapes are shared with its clients.
type Message = wire.Message

// MessageFilter selects outbound messages; zero fields do not filter.
type MessageFilter struct {
	States []smsgw.State
	To     string
	Batch  string
	// Campaign selects the messages of one campaign (its id).
	Campaign string
	Since    time.Time // created at or after
	Until    time.Time // created before
	Limit    int
	Cursor   string // opaque, from a previous page's Next
}

// MessagePage is one page of a listing, newest first.
type MessagePage struct {
	Messages []Message
	Next     string // empty on the last page
}

// Inbound is wire.Inbound: the v1 API's JSON shapes are shared with its clients.
type Inbound = wire.Inbound

// InboxFilter selects inbound messages; zero fields do not filter.
type InboxFilter struct {
	From   string
	Modem  string
	Since  time.Time
	Until  time.Time
	Limit  int
	Cursor string
}

// InboxPage is one page of received messages, newest first.
type InboxPage struct {
	Messages []Inbound
	Next     string
}

// Store is the durable queue as the API uses it. Implementations are safe
// for concurrent use. Errors use the sentinels of package smsgw (smsgw.ErrNotFound,
// smsgw.ErrConflict, smsgw.ErrIdempotencyMismatch, smsgw.ErrUnavailable) where they apply.
type Store interface {
	// Submit commits the messages durably before returning.
	Submit(ctx context.Context, req SubmitRequest) (SubmitResult, error)
	Message(ctx context.Context, id string) (Message, error)
	Messages(ctx context.Context, f MessageFilter) (MessagePage, error)
	// Cancel cancels a message not yet on the wire; smsgw.ErrConflict otherwise.
	Cancel(ctx context.Context, id string) (Message, error)
	// Retry puts an uncertain, failed or expired message back in the queue
	// with fresh retry counters; another state is an *Error with
	// CodeNotRetryable.
	Retry(ctx context.Context, id string) (Message, error)
	Inbound(ctx context.Context, id string) (Inbound, error)
	Inbox(ctx context.Context, f InboxFilter) (InboxPage, error)
	DeleteInbound(ctx context.Context, id string) error
	// Counts returns the number of outbound messages in each state.
	Counts(ctx context.Context) (map[smsgw.State]int64, error)
	// Ping reports whether the database is open and answering.
	Ping(ctx context.Context) error
}

// Modems is the daemon's live modem pool, implemented by the gateway.
type Modems interface {
	Modems(ctx context.Context) ([]smsgw.ModemStatus, error)
	// Modem returns one modem or smsgw.ErrNotFound.
	Modem(ctx context.Context, id string) (smsgw.ModemStatus, error)
	// USSD sends a USSD code (e.g. "*100#") on the modem and returns the
	// network's reply text.
	USSD(ctx context.Context, id, code string) (string, error)
	// ResetModem closes and reopens the modem as its supervisor does after
	// a fault and returns its status as the reset starts; smsgw.ErrNotFound
	// for an unknown id, smsgw.ErrConflict when the modem is not ready.
	ResetModem(ctx context.Context, id string) (smsgw.ModemStatus, error)
}

// Fleet lists the modems of every gateway sharing the database, each with
// its node and whether that node is alive.
type Fleet interface {
	FleetModems(ctx context.Context) ([]smsgw.ModemStatus, error)
}

// Webhooks is the registry that feeds the daemon's webhook outbox,
// implemented by the gateway (persisted, so registrations survive restarts).
type Webhooks interface {
	Webhooks(ctx context.Context) ([]hooks.Registration, error)
	// AddWebhook stores w; an empty ID is assigned. Registering an existing
	// ID replaces it, as android-sms-gateway does.
	AddWebhook(ctx context.Context, w hooks.Registration) (hooks.Registration, error)
	// DeleteWebhook removes one or returns smsgw.ErrNotFound.
	DeleteWebhook(ctx context.Context, id string) error
}

// EventPayload is wire.EventPayload: the v1 API's JSON shapes are shared with its clients.
type EventPayload = wire.EventPayload
