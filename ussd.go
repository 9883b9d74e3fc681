package smsgw

// USSDFailure says why a USSD request failed, as the answer's status tells it.
type USSDFailure int

// USSD failure kinds.
const (
	// USSDRefused: the modem refused the request (a +CME or +CMS error, a
	// plain ERROR): 422, the code cannot be run on this modem now.
	USSDRefused USSDFailure = iota + 1
	// USSDNetwork: the network ended the session or does not support the
	// code (+CUSD status 2 or 4), or the modem failed otherwise: 502.
	USSDNetwork
	// USSDTimeout: no reply in time (+CUSD status 5, or nothing at all):
	// 504.
	USSDTimeout
)

// USSDError is how the gateway reports a failed USSD request, so that the
// API can answer with a status and code instead of a 500.
type USSDError struct {
	Kind USSDFailure
	// Reason is what the modem or network said, fit to show the client
	// (e.g. "+CME ERROR: 30 (no network service)").
	Reason string
	Err    error
}

// Error says what failed and why.
func (e *USSDError) Error() string {
	if e.Err != nil {
		return "USSD: " + e.Reason + ": " + e.Err.Error()
	}
	return "USSD: " + e.Reason
}

// Unwrap returns the cause.
func (e *USSDError) Unwrap() error { return e.Err }
