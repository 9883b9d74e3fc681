package queue

import (
	"time"

	"smsgw"
)

// Reasons recorded with a state change, beyond error texts.
const (
	ReasonRecovered   = "recovered"   // back in the queue after a crash while sending (at-least-once)
	ReasonInterrupted = "interrupted" // uncertain after a crash while sending (at-most-once)
	ReasonRetry       = "retry"       // back in the queue after a failed attempt
	ReasonReleased    = "released"    // handed back by the worker before sending
	ReasonRequeued    = "requeued"    // put back by Requeue
	ReasonExpired     = "expired"
	ReasonCancelled   = "cancelled"
	ReasonReport      = "status report"
	// ReasonOptedOut: cancelled or suppressed because the recipient opted
	// out.
	ReasonOptedOut = "opted_out"
	// ReasonDenied: suppressed because the recipient is on the deny list.
	ReasonDenied = "denied"
	// ReasonNotAllowed: suppressed because an allow list is set and the
	// recipient is not on it.
	ReasonNotAllowed = "not_allowed"
)

// Limits on a request; larger input is refused with a ValidationError.
const (
	MaxRecipients   = 100000
	MaxTextBytes    = 64 << 10
	MaxMetadataSize = 8 << 10
	MaxPriority     = 1000
	// MaxDataBytes bounds 8-bit data: what 255 concatenated parts carry.
	MaxDataBytes = 255 * 134
	// MaxUDHBytes bounds a client's own user data header (UDHL included).
	MaxUDHBytes = 64
)

// Ports is an application port pair (TS 23.040 clause 9.2.3.24.4): the
// destination a receiving application listens on and the source it may
// answer to.
type Ports struct {
	Dst int `json:"dst"`
	Src int `json:"src"`
}

// Binary is what a message carries besides its text: 8-bit data, a port,
// a client's own header, a message class, TP-PID. The zero value is a plain
// text message.
type Binary struct {
	// Data, when not nil, is sent as 8-bit data and Text is empty.
	Data []byte
	// UDH is a client's own user data header, UDHL first, put in every
	// part; a concatenation element in it means the client cut the data
	// itself and it must fit one part.
	UDH []byte
	// Ports addresses an application port (IE 0x05 in every part); nil:
	// none.
	Ports *Ports
	// Class is the message class 0-3; nil: none (Flash also means 0).
	Class *int
	// PID is TP-PID, 0-255; 0 is a plain SMS.
	PID int
}

// IsData reports whether the message is 8-bit data rather than text.
func (b Binary) IsData() bool { return b.Data != nil }

// NewMessage is a request to send one text to one or more recipients; each
// recipient becomes its own Message.
type NewMessage struct {
	To     []string // phone numbers: digits with an optional leading +
	Text   string
	Coding string // "", "auto", "gsm7" or "ucs2"; "" means auto; "8bit" (or "") for Data
	// Priority: higher is sent first; equal priorities go oldest first.
	Priority  int
	SendAfter time.Time // zero: now
	ExpiresAt time.Time // zero: never; a message still queued then expires
	// Routing: Modem pins the message to one modem id; Tags lets any
	// modem carrying at least one of the tags send it. Both empty: any.
	Modem string
	Tags  []string
	// Report asks for delivery status reports.
	Report bool
	// Flash asks for a class 0 message (shown at once, not stored).
	Flash bool
	// Binary: data instead of text, port, header, class and PID.
	Binary
	Metadata map[string]string
	// Category decides how consent treats the message; "" is
	// transactional.
	Category smsgw.Category
	// AutoReply marks an answer the gateway sent on its own to a received
	// message (a consent confirmation, a rule's reply): keyword rules
	// never answer it, and an opt-out does not hold it back (the person
	// just wrote to us).
	AutoReply bool
	// Campaign is the id of the campaign the message belongs to; "" for
	// none.
	Campaign string
	// IdempotencyKey makes the request safe to retry: the same key with
	// the same request returns the original messages, the same key with a
	// different request fails with smsgw.ErrIdempotencyMismatch.
	IdempotencyKey string
	// Fingerprint, when set, identifies the request for IdempotencyKey
	// instead of the fingerprint of the fields above. Callers that derive
	// fields (an expiry from a relative ttl, a send time from a delay) set
	// it from the request as the client sent it, so that a retry still
	// matches.
	Fingerprint smsgw.Fingerprint
}

// Message is an outbound message as stored.
type Message struct {
	ID         int64
	To         string
	Text       string
	Coding     string
	Priority   int
	SendAfter  time.Time // zero if none
	ExpiresAt  time.Time // zero if none
	RouteModem string
	RouteTags  []string
	Report     bool
	Flash      bool
	Binary
	Metadata  map[string]string
	Category  smsgw.Category
	AutoReply bool
	Campaign  string // the campaign's id, "" for none

	State  smsgw.State
	Reason string // why the last state change happened (see Reason*), or the error
	// Attempts counts attempts started; Failures those ended by a
	// temporary error, Faults those ended by a modem fault.
	Attempts int
	Failures int
	Faults   int
	// NextAttempt is when a queued message is due.
	NextAttempt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Modem       string // modem of the latest attempt
	ConcatRef   int    // concatenation reference of the latest multipart send, -1 if none
	PartsTotal  int    // parts of the latest send, 0 before any part was sent

	Error      string
	ErrorClass ErrorClass
	ErrorCode  int

	// Filled by Get only.
	Parts      []Part
	AttemptLog []Attempt
}

// Part is one sent SMS part of a message.
type Part struct {
	Seq        int // 1-based
	Modem      string
	MR         int // message reference from +CMGS, 0..255
	SentAt     time.Time
	Status     PartStatus
	StatusCode int // TP-Status of the last report, -1 if none
	StatusAt   time.Time
}

// PartStatus is the delivery state of a part.
type PartStatus string

// Part statuses.
const (
	PartSent      PartStatus = "sent"      // no report yet
	PartPending   PartStatus = "pending"   // the SMSC still tries
	PartDelivered PartStatus = "delivered" // the phone has it
	PartFailed    PartStatus = "failed"    // the SMSC gave up
)

// Attempt is one try to send a message through a modem.
type Attempt struct {
	ID        int64
	Modem     string
	StartedAt time.Time
	EndedAt   time.Time // zero while in progress
	Outcome   string    // "" in progress, "sent", an ErrorClass, "released", "interrupted", "cancelled"
	Error     string
	Code      int
}

// Enqueued is the result of Enqueue.
type Enqueued struct {
	// Messages has one per recipient, in request order. A recipient
	// consent refused is stored in state suppressed with the reason
	// (ReasonOptedOut, ReasonDenied, ReasonNotAllowed); the others are
	// queued.
	Messages []Message
	Replayed bool // true when the idempotency key returned an earlier result
}

// Filter selects messages for List. Zero fields do not filter.
type Filter struct {
	State     smsgw.State
	States    []smsgw.State // any of these (combined with smsgw.State when both are set)
	Recipient string
	Campaign  string    // messages of this campaign id
	Since     time.Time // created at or after
	Until     time.Time // created before
	// Cursor continues a listing: pass the Next of the previous page.
	Cursor int64
	Limit  int // default 50, at most 1000
}

// Page is one page of a listing, newest first. Next is the cursor of the
// following page, 0 when this is the last.
type Page struct {
	Messages []Message
	Next     int64
}
