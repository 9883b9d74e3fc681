package smsgw

// State is the state of an outbound message, as the queue stores it and
// the API, the CLI and the events show it.
//
//	queued -> sending -> sent -> delivered
//	   |         |         `---> failed      (status report says so)
//	   |         |-> queued                  (temporary error, backoff)
//	   |         |-> failed                  (permanent error / attempts used up)
//	   |         `-> queued | uncertain      (crash while sending, by policy)
//	   |-> cancelled                         (Cancel)
//	   |-> cancelled, reason opted_out       (the recipient opted out)
//	   `-> expired                           (past its expiry)
//	suppressed                               (refused by consent when enqueued)
type State string

// Message states.
const (
	StateQueued    State = "queued"
	StateSending   State = "sending"
	StateSent      State = "sent"
	StateDelivered State = "delivered"
	StateFailed    State = "failed"
	StateExpired   State = "expired"
	StateCancelled State = "cancelled"
	StateUncertain State = "uncertain"
	// StateSuppressed: consent refused the recipient when the message was
	// enqueued (an opt-out, the deny list, not on the allow list); the
	// message is kept as a record and never sent.
	StateSuppressed State = "suppressed"
)

// States lists every state, in lifecycle order.
var States = []State{StateQueued, StateSending, StateSent, StateDelivered,
	StateFailed, StateExpired, StateCancelled, StateUncertain, StateSuppressed}

// Valid reports whether st is a known state.
func (st State) Valid() bool {
	for _, x := range States {
		if x == st {
			return true
		}
	}
	return false
}

// Final reports whether nothing more will happen to a message in this
// state on its own (sent is final unless a status report arrives).
func (st State) Final() bool {
	switch st {
	case StateDelivered, StateFailed, StateExpired, StateCancelled, StateUncertain, StateSuppressed:
		return true
	}
	return false
}
