package api

import (
	"context"
	"smsgw"
	"smsgw/hooks"
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

// Part is one SMS of a message on the wire.
type Part struct {
	Seq          int        `json:"seq"`
	MR           *int       `json:"mr,omitempty"`
	Status       string     `json:"status"` // pending, sent, delivered, failed
	ReportStatus *int       `json:"report_status,omitempty"`
	ReportText   string     `json:"report_meaning,omitempty"`
	SentAt       *time.Time `json:"sent_at,omitempty"`
	ReportAt     *time.Time `json:"report_at,omitempty"`
}

// Attempt is one try at sending a message on a modem.
type Attempt struct {
	Modem     string    `json:"modem"`
	At        time.Time `json:"at"`
	Outcome   string    `json:"outcome,omitempty"` // sent, temporary, permanent, modem-fault, released, ...
	ErrorCode int       `json:"error_code,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Message is a stored outbound message.
type Message struct {
	ID             string            `json:"id"`
	Batch          string            `json:"batch,omitempty"`
	To             string            `json:"to"`
	Text           string            `json:"text"`
	State          smsgw.State       `json:"state"`
	Coding         string            `json:"coding"`
	PartCount      int               `json:"part_count"`
	Priority       int               `json:"priority"`
	SendAt         *time.Time        `json:"send_at,omitempty"`
	ExpiresAt      *time.Time        `json:"expires_at,omitempty"`
	Modem          string            `json:"modem,omitempty"`
	Tags           []string          `json:"tags,omitempty"`
	DeliveryReport bool              `json:"delivery_report"`
	Flash          bool              `json:"flash,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	SentAt         *time.Time        `json:"sent_at,omitempty"`
	DeliveredAt    *time.Time        `json:"delivered_at,omitempty"`
	SentBy         string            `json:"sent_by,omitempty"` // modem that sent it
	ErrorCode      int               `json:"error_code,omitempty"`
	Error          string            `json:"error,omitempty"`
	Parts          []Part            `json:"parts,omitempty"`
	Attempts       []Attempt         `json:"attempts,omitempty"`
}

// MessageFilter selects outbound messages; zero fields do not filter.
type MessageFilter struct {
	States []smsgw.State
	To     string
	Batch  string
	Since  time.Time // created at or after
	Until  time.Time // created before
	Limit  int
	Cursor string // opaque, from a previous page's Next
}

// MessagePage is one page of a listing, newest first.
type MessagePage struct {
	Messages []Message
	Next     string // empty on the last page
}

// Inbound is a received (joined) message.
type Inbound struct {
	ID         string    `json:"id"`
	From       string    `json:"from"`
	Text       string    `json:"text"`
	Modem      string    `json:"modem"`
	SMSC       string    `json:"smsc,omitempty"`
	Coding     string    `json:"coding,omitempty"`
	Parts      int       `json:"parts"`
	Incomplete bool      `json:"incomplete,omitempty"`
	SentAt     time.Time `json:"sent_at"`     // the SMSC timestamp
	ReceivedAt time.Time `json:"received_at"` // when the gateway stored it
	// Defects lists what the decoder found odd in the PDUs but read
	// anyway.
	Defects []string `json:"defects,omitempty"`
	// Undecodable marks a received PDU no decoder could read, kept raw so
	// it could be deleted from the SIM: PDU is its hex as the modem
	// printed it, Error the decoder's error, Storage and Slot where it was.
	Undecodable bool   `json:"undecodable,omitempty"`
	PDU         string `json:"pdu,omitempty"`
	Error       string `json:"error,omitempty"`
	Storage     string `json:"storage,omitempty"`
	Slot        *int   `json:"slot,omitempty"`
}

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

// EventPayload is the part of an event's payload the API reads (for the
// Kannel delivery-report callbacks and event filters). The field names are
// android-sms-gateway's.
type EventPayload struct {
	MessageID   string `json:"messageId"`
	PhoneNumber string `json:"phoneNumber"`
	SimNumber   int    `json:"simNumber,omitempty"`
	Message     string `json:"message,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Times are RFC 3339 strings, as the webhooks carry them.
	SentAt      string `json:"sentAt,omitempty"`
	DeliveredAt string `json:"deliveredAt,omitempty"`
	FailedAt    string `json:"failedAt,omitempty"`
	ReceivedAt  string `json:"receivedAt,omitempty"`
	PartsCount  int    `json:"partsCount,omitempty"`
}
