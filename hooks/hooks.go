// Package hooks holds the consumers of the event outbox: a program run for
// each received SMS (Exec, compatible with gammu-smsd's RunOnReceive
// environment), signed HTTP webhooks (Webhook, the android-sms-gateway
// envelope and signature), the Kannel dlr-url callbacks (KannelDLR) and
// the live fan-out to the HTTP API's event streams (Fanout). A Dispatcher
// drives each from a durable Outbox with bounded concurrency and retries
// with backoff, so a slow or failing consumer never blocks receiving or
// sending.
package hooks

import (
	"errors"
)

// Received is a received SMS, joined from its parts, as scripts (JSON on
// stdin) and webhooks see it. It is the payload of smsgw.EventReceived.
type Received struct {
	ID string `json:"id"`
	// MessageID and PhoneNumber mirror the android-sms-gateway payload so
	// its receivers work unchanged.
	MessageID   string `json:"messageId"`
	PhoneNumber string `json:"phoneNumber"`
	Message     string `json:"message"`
	ReceivedAt  string `json:"receivedAt"` // RFC 3339
	SimNumber   int    `json:"simNumber"`
	Sender      string `json:"sender"`
	Recipient   string `json:"recipient,omitempty"`

	Modem string `json:"modem"`
	From  string `json:"from"`
	To    string `json:"to,omitempty"`
	Text  string `json:"text"`
	// Data is the payload of an 8-bit or port-addressed message in base64
	// (the event is then sms:data-received); Port and SourcePort are its
	// application ports, when it was addressed to one.
	Data       string         `json:"data,omitempty"`
	Port       *int           `json:"port,omitempty"`
	SourcePort *int           `json:"sourcePort,omitempty"`
	Class      *int           `json:"class"`
	SentAt     string         `json:"sentAt,omitempty"` // service centre time stamp
	Incomplete bool           `json:"incomplete"`
	Parts      []ReceivedPart `json:"parts"`
	// Defects lists what the decoder found odd but read anyway.
	Defects []string `json:"defects,omitempty"`
	// Undecodable: a PDU no decoder could read, forwarded raw (PDU, the
	// decoder's Error); From and Text are empty.
	Undecodable bool   `json:"undecodable,omitempty"`
	PDU         string `json:"pdu,omitempty"`
	Error       string `json:"error,omitempty"`
}

// ReceivedPart is one physical SMS of a received message.
type ReceivedPart struct {
	Seq       int    `json:"seq"`
	Text      string `json:"text"`
	Reference int    `json:"reference"`
	PDU       string `json:"pdu,omitempty"`
}

// Status is the payload of smsgw.EventSent, EventDelivered and EventFailed.
type Status struct {
	MessageID   string `json:"messageId"`
	PhoneNumber string `json:"phoneNumber"`
	SimNumber   int    `json:"simNumber"`
	Sender      string `json:"sender,omitempty"`
	Recipient   string `json:"recipient"`
	Modem       string `json:"modem"`
	State       string `json:"state"`
	PartsCount  int    `json:"partsCount,omitempty"`
	SentAt      string `json:"sentAt,omitempty"`
	DeliveredAt string `json:"deliveredAt,omitempty"`
	FailedAt    string `json:"failedAt,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Campaign is the id of the campaign the message belongs to.
	Campaign string `json:"campaign,omitempty"`
}

// PermanentError marks a delivery failure that retrying cannot fix (a 4xx
// answer, a script that cannot be started). The dispatcher gives up at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err says retrying is pointless.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
