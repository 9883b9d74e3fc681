package kannel

import "smsgw"

// SetDLRBackoff shortens the waits between dlr-url attempts (tests).
func SetDLRBackoff(a *API, b smsgw.Backoff) { a.dlr.backoff = b }
