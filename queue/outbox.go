package queue

import (
	"encoding/json"
	"time"

	"smsgw"
)

// EventType names an outbox event.
type EventType string

// Event types. Each is written in the same transaction as the change it
// reports, so an event exists if and only if the change happened.
const (
	EventSent      EventType = "message.sent"
	EventDelivered EventType = "message.delivered"
	EventFailed    EventType = "message.failed"
	EventExpired   EventType = "message.expired"
	EventCancelled EventType = "message.cancelled"
	EventUncertain EventType = "message.uncertain"
	EventReceived  EventType = "inbox.received"
	// EventOptOut and EventOptIn: a consent ledger record changed a
	// number's standing; Data is the record (consent.Record).
	EventOptOut EventType = "consent.opt_out"
	EventOptIn  EventType = "consent.opt_in"
	// EventCampaignFinished: every recipient of a campaign reached a
	// final state; Data is the campaign's id, name and counts.
	EventCampaignFinished EventType = "campaign.finished"
	// EventBudgetPaused and EventBudgetResumed: a budget cap paused a
	// modem's sending or stopped holding it; Data is the
	// campaign.BudgetEvent.
	EventBudgetPaused  EventType = "budget.paused"
	EventBudgetResumed EventType = "budget.resumed"
)

// Event is one entry of the outbox. Data is the JSON of a MessageEvent
// (message.*) or an InboxEvent (inbox.received).
type Event struct {
	ID        int64
	Type      EventType
	SubjectID int64 // the message id or the inbox id
	At        time.Time
	Data      json.RawMessage
}

// MessageEvent is the payload of message.* events: the message as it was
// right after the change.
type MessageEvent struct {
	ID         int64             `json:"id"`
	To         string            `json:"to"`
	State      smsgw.State       `json:"state"`
	Reason     string            `json:"reason,omitempty"`
	Modem      string            `json:"modem,omitempty"`
	Parts      int               `json:"parts,omitempty"`
	Attempts   int               `json:"attempts"`
	Error      string            `json:"error,omitempty"`
	ErrorClass ErrorClass        `json:"error_class,omitempty"`
	ErrorCode  int               `json:"error_code,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	Campaign   string            `json:"campaign,omitempty"`
	At         time.Time         `json:"at"`
}

// InboxEvent is the payload of inbox.received events.
type InboxEvent struct {
	ID            int64     `json:"id"`
	From          string    `json:"from"`
	Modem         string    `json:"modem"`
	Text          string    `json:"text"`
	Coding        string    `json:"coding,omitempty"`
	Data          []byte    `json:"data,omitempty"` // 8-bit data
	Ports         *Ports    `json:"ports,omitempty"`
	Class         *int      `json:"class,omitempty"`
	Complete      bool      `json:"complete"`
	PartsTotal    int       `json:"parts_total"`
	PartsReceived int       `json:"parts_received"`
	Error         string    `json:"error,omitempty"`
	SentAt        time.Time `json:"sent_at"` // service centre time stamp
	ReceivedAt    time.Time `json:"received_at"`
	Defects       []string  `json:"defects,omitempty"`
	// Undecodable: a PDU no decoder could read, committed raw (see
	// InboxMessage); PDU, Storage and Slot say what and where it was.
	Undecodable bool   `json:"undecodable,omitempty"`
	PDU         string `json:"pdu,omitempty"`
	Storage     string `json:"storage,omitempty"`
	Slot        *int   `json:"slot,omitempty"` // set with Storage
}

// Delivery is an event due for one consumer.
type Delivery struct {
	Event
	Attempts  int    // earlier failed deliveries
	LastError string // of the latest failed delivery
}
