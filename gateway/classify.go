package gateway

import (
	"context"
	"errors"

	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/queue"
)

// failure turns a send error into what the queue records: the class that
// drives the retry policy, the +CMS/+CME code (0 when none) and a text that
// names the code's meaning.
//
//   - temporary (congestion, network out of order, SMSC busy): retried with
//     backoff, on whichever modem claims it next;
//   - permanent (invalid destination, barred, unsupported): failed at once;
//   - modem fault (port gone, not registered, SIM failure): requeued at once
//     for another modem, not counted against the message.
func failure(err error) queue.Failure {
	f := queue.Failure{Class: queue.Temporary, Err: err.Error()}
	var cms *at.CMSError
	var cme *at.CMEError
	switch {
	case errors.As(err, &cms):
		f.Code = cms.Code
	case errors.As(err, &cme):
		f.Code = cme.Code
	}
	switch {
	case errors.Is(err, modem.ErrNoSIM), errors.Is(err, modem.ErrPINRequired),
		errors.Is(err, modem.ErrPINRejected), errors.Is(err, modem.ErrPUKRequired), errors.Is(err, modem.ErrPINLastAttempt),
		errors.Is(err, modem.ErrNotReady), errors.Is(err, modem.ErrNoResponse):
		f.Class = queue.ModemFault
		return f
	case errors.Is(err, context.Canceled):
		// Our own shutdown or session end, not the message's fault.
		f.Class = queue.ModemFault
		return f
	}
	switch at.Classify(err) {
	case at.ClassPermanent:
		f.Class = queue.Permanent
	case at.ClassModemFault:
		f.Class = queue.ModemFault
	default:
		f.Class = queue.Temporary
	}
	return f
}

// timedOut reports whether a send error means the part may or may not have
// left: the modem took the PDU but never answered. A missing "> " prompt
// means the PDU was never written (the engine aborted with ESC).
func timedOut(err error) bool {
	var ce *at.CommandError
	if errors.As(err, &ce) && ce.Phase == "prompt" {
		return false
	}
	return errors.Is(err, at.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// modemLevel reports whether an error says the modem (not the message) is
// in trouble, so the session should end and the pool recover the device.
func modemLevel(err error) bool {
	return errors.Is(err, at.ErrClosed) || errors.Is(err, at.ErrTimeout)
}
