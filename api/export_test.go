package api

import (
	"time"

	"smsgw/hooks"
)

// Knobs for the external tests (package api_test), which drive the API
// through the whole HTTP stack.

// SetUSSDTimeout shortens the bound on a USSD request.
func SetUSSDTimeout(h *Handler, d time.Duration) { h.ussdTimeout = d }

// SetPingEvery shortens the system:ping interval of event streams.
func SetPingEvery(h *Handler, d time.Duration) { h.pingEvery = d }

// Subscribers is the number of open event streams.
func Subscribers(h *Handler) int { return h.fanout.Subscribers() }

// SubscriberBuffer is how far a stream may lag before it is cut off.
const SubscriberBuffer = hooks.FanoutBuffer
