package queue

import (
	"time"
)

// ErrorClass says what a failed attempt means for the message.
type ErrorClass string

// Error classes of a failed attempt.
const (
	// Temporary: worth retrying later (network busy, no credit yet, SMSC
	// timeout). The message goes back to the queue with backoff until
	// RetryPolicy.MaxAttempts temporary failures.
	Temporary ErrorClass = "temporary"
	// Permanent: retrying cannot help (invalid number, barred). The
	// message fails at once.
	Permanent ErrorClass = "permanent"
	// ModemFault: the modem failed, not the message (unplugged, hung,
	// not registered). The message goes back at once, for any modem,
	// until RetryPolicy.MaxModemFaults.
	ModemFault ErrorClass = "modem-fault"
)

// RateLimit allows at most N attempts per modem within any window of Per.
type RateLimit struct {
	N   int
	Per time.Duration
}

// ClaimOptions describe the modem asking for work.
type ClaimOptions struct {
	Modem  string   // the modem id; required
	Tags   []string // the modem's tags, for messages routed by tag
	Limits []RateLimit
}

// Job is a claimed message: the worker sends it and reports the outcome
// with MarkPartSent, MarkSent, MarkFailed or Release, quoting AttemptID.
type Job struct {
	Message
	AttemptID int64
	// Resume is set when this same modem already sent some parts of the
	// message: send only the missing ones, with the same concatenation
	// reference, so the phone can join them. When nil, send every part
	// (with a fresh reference). A message partly sent by another modem is
	// always resent whole: a phone cannot join parts from two senders.
	Resume *Resume
	// ConsentMark is the driver's count of opt-outs committed when the
	// job was claimed; StillWanted compares it to tell, at no cost, that
	// no opt-out came since.
	ConsentMark uint64
}

// Resume tells which parts of a multipart message are already out.
type Resume struct {
	Ref   int   // concatenation reference used for the sent parts
	Total int   // number of parts of that segmentation
	Sent  []int // sequence numbers (1-based) already sent
}

// Missing returns the sequence numbers still to send.
func (r *Resume) Missing() []int {
	have := make(map[int]bool, len(r.Sent))
	for _, s := range r.Sent {
		have[s] = true
	}
	var out []int
	for i := 1; i <= r.Total; i++ {
		if !have[i] {
			out = append(out, i)
		}
	}
	return out
}

// PartResult is the outcome of sending one part.
type PartResult struct {
	Seq   int // 1-based
	Total int // parts in this segmentation, 1 for a single SMS
	Ref   int // concatenation reference (ignored when Total is 1)
	MR    int // message reference from +CMGS
}

// Failure describes a failed attempt.
type Failure struct {
	Class ErrorClass // "" counts as Temporary
	Err   string     // human-readable; never include secrets
	Code  int        // e.g. the +CMS ERROR number, 0 if none
}

// delay is the backoff after the n-th temporary failure (n >= 1), r in
// [0,1) picking how much jitter is taken off.
func (p RetryPolicy) delay(n int, r float64) time.Duration {
	return p.Schedule().Delay(n, r)
}
