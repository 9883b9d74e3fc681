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

// onWire reports whether any byte of the failed part's PDU reached the
// modem: from then on the part may have left, whatever the error says.
func onWire(err error) bool {
	var se *modem.SendError
	return errors.As(err, &se) && se.OnWire
}

// unanswered reports whether a send error is the absence of an answer (a
// timeout, a closed port, our own cancellation) rather than the modem's
// verdict on the part (+CMS ERROR and the like). Together with onWire it
// decides: unanswered and not on the wire is nothing sent; unanswered and
// on the wire is uncertain.
func unanswered(err error) bool {
	return errors.Is(err, at.ErrTimeout) || errors.Is(err, at.ErrClosed) || errors.Is(err, at.ErrBusy) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// modemLevel reports whether an error says the modem (not the message) is
// in trouble, so the session should end and the pool recover the device.
func modemLevel(err error) bool {
	return errors.Is(err, at.ErrClosed) || errors.Is(err, at.ErrTimeout)
}
