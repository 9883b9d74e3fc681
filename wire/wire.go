// Package wire holds the JSON shapes of the v1 HTTP API: what the server
// (package api) writes and what its clients, the smsgw command among them,
// read. It imports nothing of ours but the shared vocabulary, so a client
// needs none of the server.
package wire

import (
	"fmt"
	"time"

	"smsgw"
)

// DefaultAddr is where the API listens when the configuration names no
// address, and where clients look for it when told nothing else.
const DefaultAddr = "127.0.0.1:8787"

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
	ID    string      `json:"id"`
	Batch string      `json:"batch,omitempty"`
	To    string      `json:"to"`
	Text  string      `json:"text"`
	State smsgw.State `json:"state"`
	// Reason says why a message was suppressed or cancelled (opted_out,
	// denied, not_allowed, cancelled).
	Reason   string         `json:"reason,omitempty"`
	Category smsgw.Category `json:"category"`
	// Campaign is the id of the campaign the message belongs to.
	Campaign string `json:"campaign,omitempty"`
	// AutoReply marks an answer the gateway sent on its own to a received
	// message.
	AutoReply      bool       `json:"auto_reply,omitempty"`
	Coding         string     `json:"coding"`
	PartCount      int        `json:"part_count"`
	Priority       int        `json:"priority"`
	SendAt         *time.Time `json:"send_at,omitempty"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	Modem          string     `json:"modem,omitempty"`
	Tags           []string   `json:"tags,omitempty"`
	DeliveryReport bool       `json:"delivery_report"`
	Flash          bool       `json:"flash,omitempty"`
	// Data is the payload of an 8-bit message in base64 (Text is then
	// empty); UDH the client's own header in hex; Port and SourcePort the
	// application ports; Class the message class; PID TP-PID when not 0.
	Data        string            `json:"data,omitempty"`
	UDH         string            `json:"udh,omitempty"`
	Port        *int              `json:"port,omitempty"`
	SourcePort  *int              `json:"source_port,omitempty"`
	Class       *int              `json:"class,omitempty"`
	PID         int               `json:"pid,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	SentAt      *time.Time        `json:"sent_at,omitempty"`
	DeliveredAt *time.Time        `json:"delivered_at,omitempty"`
	SentBy      string            `json:"sent_by,omitempty"` // modem that sent it
	ErrorCode   int               `json:"error_code,omitempty"`
	Error       string            `json:"error,omitempty"`
	Parts       []Part            `json:"parts,omitempty"`
	Attempts    []Attempt         `json:"attempts,omitempty"`
}

// Inbound is a received (joined) message.
type Inbound struct {
	ID     string `json:"id"`
	From   string `json:"from"`
	Text   string `json:"text"`
	Modem  string `json:"modem"`
	SMSC   string `json:"smsc,omitempty"`
	Coding string `json:"coding,omitempty"`
	// Data is the payload of an 8-bit or port-addressed message in base64;
	// Port and SourcePort its application ports; Class its message class.
	Data       string    `json:"data,omitempty"`
	Port       *int      `json:"port,omitempty"`
	SourcePort *int      `json:"source_port,omitempty"`
	Class      *int      `json:"class,omitempty"`
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

// Error is the body of every error answer: {"error": Error}.
type Error struct {
	Status int `json:"-"`
	// RetryAfter, when above 0, is sent as the Retry-After header (in
	// seconds): the request may succeed if sent again then.
	RetryAfter int    `json:"-"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	Field      string `json:"field,omitempty"`
}

// Error formats the code, message and field.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// InboxList is the answer of GET /v1/inbox.
type InboxList struct {
	Messages   []Inbound `json:"messages"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// SendResult is one recipient in the 202 answer of POST /v1/messages.
// State is queued, or suppressed when consent refused the recipient, with
// the Reason (opted_out, denied, not_allowed).
type SendResult struct {
	ID     string      `json:"id"`
	To     string      `json:"to"`
	State  smsgw.State `json:"state"`
	Reason string      `json:"reason,omitempty"`
	Parts  int         `json:"parts"`
	Coding string      `json:"coding"`
}

// SendResponse is the 202 answer of POST /v1/messages.
type SendResponse struct {
	Batch    string       `json:"batch"`
	Messages []SendResult `json:"messages"`
}

// MessageList is the answer of GET /v1/messages.
type MessageList struct {
	Messages   []Message `json:"messages"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// ModemList is the answer of GET /v1/modems.
type ModemList struct {
	Modems []smsgw.ModemStatus `json:"modems"`
}
