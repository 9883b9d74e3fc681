package queue

import (
	"fmt"
	"log/slog"
	"time"

	"smsgw"
)

// Recovery is the policy applied at Open to messages a crash left in the
// sending state.
type Recovery string

const (
	// AtLeastOnce puts interrupted messages back in the queue (state queued,
	// reason "recovered"); the part that was on the wire may be sent twice.
	// The default.
	AtLeastOnce Recovery = "at-least-once"
	// AtMostOnce marks interrupted messages uncertain; they are never resent
	// unless someone calls Requeue.
	AtMostOnce Recovery = "at-most-once"
)

// RetryPolicy decides what happens after a failed attempt.
type RetryPolicy struct {
	// MaxAttempts caps attempts that ended in a temporary error; the
	// message fails after that many. Default 5.
	MaxAttempts int
	// MaxModemFaults caps attempts that ended because the modem failed
	// (not the message). Such attempts are retried at once, on another
	// modem when one is free. Default 10.
	MaxModemFaults int
	// Backoff is the delay after the first temporary failure; it doubles
	// with every further failure up to MaxBackoff. Defaults 30s and 30m.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Jitter is the fraction of the delay drawn at random and subtracted,
	// so that a burst of failures does not retry in lockstep. 0..1,
	// default 0.2.
	Jitter float64
}

// Schedule is the policy's waits as the gateway's one backoff.
func (p RetryPolicy) Schedule() smsgw.Backoff {
	return smsgw.Backoff{Initial: p.Backoff, Max: p.MaxBackoff, Jitter: p.Jitter}
}

// DefaultNode names the gateway when Options.Node is empty.
const DefaultNode = "local"

// Options configure a Store: the queue's policies, this gateway's node,
// the clock. A driver's own settings (files, connections, durability
// knobs) are its own options. The zero value is usable: every field has a
// default.
type Options struct {
	// Recovery is the policy for messages left sending by a crash.
	Recovery Recovery
	// Retry is the retry policy for failed attempts.
	Retry RetryPolicy
	// JoinTimeout is how long the parts of a concatenated inbound message
	// wait for their siblings before being joined as incomplete.
	// Default 1h.
	JoinTimeout time.Duration
	// ReportWindow is how long after a part was sent a status report may
	// still be matched to it. Default 72h.
	ReportWindow time.Duration
	// ResumeAffinity is how long a partly-sent message waits for the modem
	// that sent its first parts (which sends only the missing ones) before
	// any other modem may take it and send it whole. It keeps a daemon
	// restart from turning one duplicate part into a duplicate message.
	// Default 1m; negative: no waiting.
	ResumeAffinity time.Duration
	// EventRetry is the retry policy of event deliveries to consumers
	// (MaxAttempts 0 means retry forever). Defaults: backoff 5s, max 10m.
	EventRetry RetryPolicy
	// EventLease is how long events handed out by NextEvents stay with
	// their consumer on this node before they are handed out again, unless
	// the node renews its leases (then at least Lease past the last
	// renewal). Default 5m.
	EventLease time.Duration
	// Node names this gateway among those sharing a database; it owns the
	// attempts it starts, and the modem ids it passes are its own: where a
	// modem id keys stored state (SIM slots, received parts, sent parts a
	// report matches, rate limits, a partly-sent message's modem) the node
	// keys it too, so two gateways' "m1" never meet. Default "local".
	Node string
	// Lease is how long an attempt stays with its node without a renewal;
	// after that another node may recover it. Default 30s.
	Lease time.Duration
	// JoinText turns the raw PDUs of an inbound message, in part order,
	// into its text and coding name. For incomplete messages only the
	// parts present are passed. When nil, or when it fails, the message is
	// stored with empty text (and the error), its PDUs kept.
	JoinText func(parts [][]byte) (text string, coding string, err error)
	// Join is JoinText with what a data message carries besides text (its
	// 8-bit payload, port and class); when set it is used instead.
	Join func(parts [][]byte) (Joined, error)
	// Consent decides which recipients may receive which messages, at
	// enqueue and at claim. Default DefaultConsent.
	Consent Consent
	// Now is the clock; tests inject their own. Default time.Now.
	Now func() time.Time
	// Logger receives operational messages. Default slog.Default().
	Logger *slog.Logger
}

// SetDefaults fills every field left zero with its default.
func (o *Options) SetDefaults() {
	if o.Recovery == "" {
		o.Recovery = AtLeastOnce
	}
	setRetryDefaults(&o.Retry, 5, 30*time.Second, 30*time.Minute)
	if o.Retry.MaxModemFaults == 0 {
		o.Retry.MaxModemFaults = 10
	}
	setRetryDefaults(&o.EventRetry, 0, 5*time.Second, 10*time.Minute)
	if o.JoinTimeout <= 0 {
		o.JoinTimeout = time.Hour
	}
	if o.ReportWindow <= 0 {
		o.ReportWindow = 72 * time.Hour
	}
	if o.ResumeAffinity == 0 {
		o.ResumeAffinity = time.Minute
	}
	if o.ResumeAffinity < 0 {
		o.ResumeAffinity = 0
	}
	if o.EventLease <= 0 {
		o.EventLease = 5 * time.Minute
	}
	if o.Node == "" {
		o.Node = DefaultNode
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Consent == nil {
		o.Consent = DefaultConsent{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func setRetryDefaults(r *RetryPolicy, attempts int, backoff, maxBackoff time.Duration) {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = attempts
	}
	if r.Backoff <= 0 {
		r.Backoff = backoff
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = maxBackoff
	}
	if r.MaxBackoff < r.Backoff {
		r.MaxBackoff = r.Backoff
	}
	if r.Jitter == 0 {
		r.Jitter = 0.2
	}
	if r.Jitter < 0 {
		r.Jitter = 0
	}
	if r.Jitter > 1 {
		r.Jitter = 1
	}
}

// Validate refuses options no driver can apply.
func (o *Options) Validate() error {
	switch o.Recovery {
	case AtLeastOnce, AtMostOnce:
	default:
		return fmt.Errorf("queue: unknown recovery policy %q (want %q or %q)", o.Recovery, AtLeastOnce, AtMostOnce)
	}
	if o.Retry.MaxAttempts < 0 {
		return fmt.Errorf("queue: retry max attempts %d is negative", o.Retry.MaxAttempts)
	}
	return nil
}
