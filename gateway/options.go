package gateway

import (
	"context"
	"log/slog"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/internal/callback"
	"smsgw/modem/pool"
	"smsgw/queue"
)

// Budget says whether a modem's spending caps let it claim work. A modem
// asks it before each claim, so Blocked answers from memory.
type Budget interface {
	// Blocked returns "" when modem may claim now, else why not; until is
	// when the cap's period ends (zero: only a change ends it), changed a
	// channel closed when a cap or the spend changed.
	Blocked(ctx context.Context, modem string) (reason string, until time.Time, changed <-chan struct{})
	// Sent counts a message the moment its last part is out, before the
	// modem claims its next: to and parts price it, campaign ("" for
	// none) is the campaign it belongs to.
	Sent(modem string, id int64, to string, parts int, campaign string)
}

// Options are what New needs: the settings the composition root maps from
// the configuration (DefaultOptions holds their defaults) and the
// collaborators the gateway works with.
type Options struct {
	// Modems are the configured modems (disabled ones left out).
	Modems     []ModemOptions
	Autodetect AutodetectOptions
	Retry      RetryOptions
	Inbound    InboundOptions
	Webhook    WebhookOptions
	// InboundHandlers is the inbound chain, in order: every received
	// message passes through them once committed (see InboundHandler).
	InboundHandlers []InboundHandler
	// Callbacks limits the hosts webhooks registered through the API may
	// call.
	Callbacks callback.Policy
	// ATTrace is how many AT lines each modem's trace ring keeps; 0 turns
	// the trace off.
	ATTrace int
	// Node names this gateway among those sharing a database ("" is the
	// queue's default); Lease is how long its in-flight attempts stay its
	// own without a renewal. The gateway renews them every Lease/3 and
	// takes back, as often, the attempts of nodes whose leases ran out.
	Node  string
	Lease time.Duration
	// Shared says other gateways use the same database (a fleet): the
	// consumers each gateway runs for itself (hooks.Consumer.PerNode) are
	// named for its node, the inbound script runs only for what this
	// gateway's modems received, and other gateways' consumers are left
	// to them.
	Shared bool
	// RetentionDays purges finished and inbox messages older than this;
	// 0 keeps them.
	RetentionDays int

	Store  queue.Storage
	Logger *slog.Logger
	// Extra modems to supervise besides Modems (the emulated ones of
	// --simulate), with their settings.
	Extra []pool.Spec
	// Open and Probe replace the real device opener (tests); nil uses
	// package modem on the port.
	Open  pool.OpenFunc
	Probe pool.ProbeFunc
	// ObserveSend and HookDelivery feed metrics (the HTTP layer's recorder).
	ObserveSend  func(modem string, d time.Duration)
	HookDelivery func(hook string, ok bool)
	// HookSkipped counts events a hook filtered out (not its event kind,
	// not its modem): neither delivered nor failed.
	HookSkipped func(hook string)
	// OnCMGS and OnCMTI see the moments latency figures start from: each
	// AT+CMGS written for a message (its id), and a modem announcing a
	// received message (the announcement's time). Tests and benchmarks set
	// them; nil costs nothing.
	OnCMGS func(id int64, at time.Time)
	OnCMTI func(modem string, at time.Time)
	// Webhooks keeps API-registered webhooks (normally the store); nil
	// keeps only the configured ones and the API answers unavailable.
	Webhooks hooks.Registry
	// WebhookImport is a webhooks.json of an earlier version to import
	// into Webhooks once at New (it is then renamed <path>.imported).
	WebhookImport string
	// Consumers are further outbox consumers, built before the gateway by
	// whoever builds it: the API's live event fan-out
	// (hooks.Fanout.Consumer) and the Kannel dlr-url callbacks
	// (hooks.KannelDLR.Consumer). An error retries the event, hooks.ErrSkip
	// counts it as skipped.
	Consumers []hooks.Consumer
	// Budget, when set, holds a modem whose spending cap is reached: it
	// claims nothing until Blocked says it may (see Budget).
	Budget Budget

	// healthEvery and opTimeout shorten the health check interval and the
	// bound on one inbound or health operation (tests; zero keeps the
	// defaults).
	healthEvery, opTimeout time.Duration
}

// ModemOptions are one configured modem: its pool settings and the send
// rate limits that all apply to it.
type ModemOptions struct {
	pool.Spec
	Rate []queue.RateLimit
}

// AutodetectOptions say whether and how serial ports are scanned for
// modems besides the configured ones.
type AutodetectOptions struct {
	Enabled bool
	Globs   []string
	// VIDPID are USB ids as vendor<<16 | product.
	VIDPID       []uint32
	Interval     time.Duration
	ProbeTimeout time.Duration
}

// RetryOptions govern sending: timeouts on the wire, retries, benching a
// failing modem, and what happens to a send cut off mid-way.
type RetryOptions struct {
	// AtMostOnce fails a send interrupted on the wire instead of
	// repeating it (the at-most-once policy).
	AtMostOnce     bool
	MaxAttempts    int
	MaxModemFaults int
	Backoff        time.Duration
	MaxBackoff     time.Duration
	SendTimeout    time.Duration
	PromptTimeout  time.Duration
	BenchAfter     int
	BenchFor       time.Duration
	ReportWindow   time.Duration
}

// InboundOptions govern received messages: the program and webhook they
// go to and how long parts wait for their siblings.
type InboundOptions struct {
	Exec []string
	// ExecFleet runs Exec once for every message any gateway sharing the
	// database received, instead of for this gateway's modems only.
	ExecFleet     bool
	Timeout       time.Duration
	Concurrency   int
	Retries       int
	Webhook       string
	JoinTimeout   time.Duration
	SweepInterval time.Duration
}

// WebhookOptions are the configured webhook targets and how deliveries
// to them (and to API-registered ones) are made and retried.
type WebhookOptions struct {
	// Targets are the distinct configured URLs.
	Targets     []string
	Events      []string
	Secret      string
	Timeout     time.Duration
	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
}

// DefaultOptions are the settings of an empty configuration file, with no
// modems and no collaborators, and with autodetection off: whether to scan
// the machine's serial ports is the caller's choice.
func DefaultOptions() Options {
	return Options{
		Autodetect: AutodetectOptions{Globs: []string{"/dev/serial/by-id/*"}, Interval: 5 * time.Second,
			ProbeTimeout: 2 * time.Second},
		Retry: RetryOptions{MaxAttempts: 5, MaxModemFaults: 10, Backoff: 30 * time.Second, MaxBackoff: 30 * time.Minute,
			SendTimeout: 3 * time.Minute, PromptTimeout: 10 * time.Second, BenchAfter: 5, BenchFor: 10 * time.Minute,
			ReportWindow: 72 * time.Hour},
		Inbound: InboundOptions{Timeout: 30 * time.Second, Concurrency: 4, Retries: 3, JoinTimeout: 24 * time.Hour,
			SweepInterval: 5 * time.Minute},
		Webhook: WebhookOptions{Events: append([]string(nil), smsgw.WebhookEvents...), Timeout: 10 * time.Second,
			MaxAttempts: 10, Backoff: 5 * time.Second, MaxBackoff: time.Hour},
		ATTrace: 200,
		Lease:   30 * time.Second,
	}
}

// QueueOptions derives the queue's options (all but Sync, a storage
// setting) from o, with the PDU codec plugged in as JoinText.
func QueueOptions(o Options) queue.Options {
	rec := queue.AtLeastOnce
	if o.Retry.AtMostOnce {
		rec = queue.AtMostOnce
	}
	// Event deliveries: the longest retry any hook consumer wants; each
	// consumer stops earlier on its own count.
	attempts := max(o.Webhook.MaxAttempts, o.Inbound.Retries+1)
	return queue.Options{
		ReportWindow: o.Retry.ReportWindow,
		Recovery:     rec,
		Retry: queue.RetryPolicy{MaxAttempts: o.Retry.MaxAttempts, MaxModemFaults: o.Retry.MaxModemFaults,
			Backoff: o.Retry.Backoff, MaxBackoff: o.Retry.MaxBackoff},
		EventRetry:  queue.RetryPolicy{MaxAttempts: attempts, Backoff: o.Webhook.Backoff, MaxBackoff: o.Webhook.MaxBackoff},
		JoinTimeout: o.Inbound.JoinTimeout,
		JoinText:    JoinText,
		Join:        Join,
		Logger:      o.Logger,
		Node:        o.Node,
		Lease:       o.Lease,
	}
}
