package queue

import "smsgw"

// Consent decides whether a recipient may receive a message. The queue
// asks it where messages are enqueued (a refused recipient is stored as
// suppressed) and where they are claimed (a queued message whose recipient
// opted out since is cancelled instead of sent), so a STOP holds whichever
// caller queued the message. The consent package implements it from the
// configuration.
type Consent interface {
	// Refuse returns why a message of category c (autoReply: an answer
	// to a message the recipient just sent) must not go to the number to,
	// or "" when it may. optedOut says whether the number's latest consent
	// record is an opt-out. Reasons are ReasonOptedOut, ReasonDenied and
	// ReasonNotAllowed.
	Refuse(to string, c smsgw.Category, autoReply, optedOut bool) string
}

// DefaultConsent is the policy without configuration: a number that opted
// out receives no marketing; everything else goes.
type DefaultConsent struct{}

// Refuse implements Consent.
func (DefaultConsent) Refuse(_ string, c smsgw.Category, autoReply, optedOut bool) string {
	if optedOut && !autoReply && c == smsgw.CategoryMarketing {
		return ReasonOptedOut
	}
	return ""
}
