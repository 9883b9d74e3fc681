package smsgw

import (
	"encoding/json"
	"time"
)

// Event names, after the android-sms-gateway convention. Webhooks, scripts,
// the Kannel delivery-report callbacks and the API's event stream all use
// these.
const (
	EventReceived  = "sms:received"
	EventSent      = "sms:sent"
	EventDelivered = "sms:delivered"
	EventFailed    = "sms:failed"
	// EventDataReceived is a received 8-bit or port-addressed message
	// (android-sms-gateway's data SMS): its payload carries the octets in
	// base64 as "data" and the port.
	EventDataReceived = "sms:data-received"
	// EventOptOut and EventOptIn: a number opted out of or into messages
	// (a keyword SMS, an API call, a confirmed double opt-in).
	EventOptOut = "sms:optout"
	EventOptIn  = "sms:optin"
	// EventRuleFired: a keyword rule matched a received message; the
	// payload says which rule and what it did.
	EventRuleFired = "rule:fired"
	// EventBudgetPaused and EventBudgetResumed: a spending cap (a modem's
	// day or month budget) paused a modem's sending, or stopped holding it
	// (raised, or its period ended). Nothing is dropped meanwhile.
	EventBudgetPaused  = "budget:paused"
	EventBudgetResumed = "budget:resumed"
	// EventCampaignFinished: every recipient of a campaign reached a final
	// state (sent, delivered, failed, suppressed, skipped, cancelled...);
	// the payload carries the campaign's id, name, counts and cost.
	EventCampaignFinished = "campaign:finished"
	// EventPing is the event stream's keep-alive; it is never stored and
	// carries no id.
	EventPing = "system:ping"
)

// WebhookEvents lists every event a webhook can subscribe to (all but
// EventPing).
var WebhookEvents = []string{EventReceived, EventDataReceived, EventSent, EventDelivered, EventFailed, EventOptOut, EventOptIn, EventRuleFired,
	EventBudgetPaused, EventBudgetResumed, EventCampaignFinished}

// IsReceived reports whether event announces a received message, text or
// data.
func IsReceived(event string) bool { return event == EventReceived || event == EventDataReceived }

// Event is one thing that happened, in the envelope webhooks receive and
// the API's event stream sends:
//
//	{"id": ..., "webhookId": ..., "deviceId": ..., "event": ..., "payload": {...}}
//
// ID is the durable outbox id, stable across retries, so receivers can drop
// duplicates. Created and Attempt describe one delivery to one consumer and
// are not part of the envelope.
type Event struct {
	ID string `json:"id"`
	// WebhookID names the webhook a POST is for; empty (and left out)
	// everywhere else.
	WebhookID string `json:"webhookId,omitempty"`
	DeviceID  string `json:"deviceId"` // the modem id
	// Event is one of the Event* names.
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"` // a JSON object

	// Created is when the outbox stored the event.
	Created time.Time `json:"-"`
	// Attempt is 1 for the first delivery to a consumer.
	Attempt int `json:"-"`
}
