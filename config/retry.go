package config

import "time"

// Retry policies for a send whose outcome is unknown (the CMGS timed out on
// the wire, or the daemon crashed while a part was out).
const (
	// PolicyAtLeastOnce resends such a message: the recipient may get it twice.
	PolicyAtLeastOnce = "at-least-once"
	// PolicyAtMostOnce marks it uncertain and never resends it.
	PolicyAtMostOnce = "at-most-once"
)

// RetryConfig is the [retry] table.
type RetryConfig struct {
	MaxAttempts int      `toml:"max_attempts"`
	Backoff     Duration `toml:"backoff"`
	MaxBackoff  Duration `toml:"max_backoff"`
	// Policy is PolicyAtLeastOnce (default) or PolicyAtMostOnce.
	Policy string `toml:"policy"`
	// SendTimeout bounds the network round trip of one AT+CMGS, from the
	// PDU's ^Z to the modem's answer; past it the part is uncertain.
	SendTimeout Duration `toml:"send_timeout"`
	// PromptTimeout bounds the wait for the "> " prompt of AT+CMGS, and
	// how long any command may go without a byte of answer: past it the
	// modem counts as silent, the message goes back to the queue with
	// nothing sent, and the modem is resynced.
	PromptTimeout Duration `toml:"prompt_timeout"`
	// DrainTimeout bounds how long a graceful stop waits for the parts
	// already on the wire, on its own budget (not shared with the HTTP
	// shutdown); past it they are aborted and the policy applies.
	DrainTimeout Duration `toml:"drain_timeout"`
	// BenchAfter consecutive modem faults bench a modem for BenchFor.
	BenchAfter int      `toml:"bench_after"`
	BenchFor   Duration `toml:"bench_for"`
	// MaxModemFaults caps how often a message goes back because a modem
	// failed (not the message) before it fails.
	MaxModemFaults int `toml:"max_modem_faults"`
	// ReportWindow is how long after sending a status report may still be
	// matched to its part.
	ReportWindow Duration `toml:"report_window"`
}

func (r *RetryConfig) applyDefaults() {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 5
	}
	defaultDuration(&r.Backoff, 30*time.Second)
	defaultDuration(&r.MaxBackoff, 30*time.Minute)
	if r.Policy == "" {
		r.Policy = PolicyAtLeastOnce
	}
	// CMGS can take minutes on a congested network; see modem-quirks.md.
	defaultDuration(&r.SendTimeout, 3*time.Minute)
	// Real modems give the prompt within a second or two.
	defaultDuration(&r.PromptTimeout, 10*time.Second)
	// Within systemd's TimeoutStopSec (90 s) with the database close.
	defaultDuration(&r.DrainTimeout, 60*time.Second)
	if r.BenchAfter == 0 {
		r.BenchAfter = 5
	}
	defaultDuration(&r.BenchFor, 10*time.Minute)
	if r.MaxModemFaults == 0 {
		r.MaxModemFaults = 10
	}
	defaultDuration(&r.ReportWindow, 72*time.Hour)
}

func (r RetryConfig) validate(bad badFunc) {
	if r.MaxAttempts < 1 {
		bad("retry.max_attempts", "%d: want at least 1", r.MaxAttempts)
	}
	nonNegative(bad, "retry.backoff", r.Backoff)
	nonNegative(bad, "retry.max_backoff", r.MaxBackoff)
	if r.MaxBackoff.Duration < r.Backoff.Duration {
		bad("retry.max_backoff", "%v is below retry.backoff %v", r.MaxBackoff, r.Backoff)
	}
	if r.Policy != PolicyAtLeastOnce && r.Policy != PolicyAtMostOnce {
		bad("retry.policy", "%q: want %q or %q", r.Policy, PolicyAtLeastOnce, PolicyAtMostOnce)
	}
	nonNegative(bad, "retry.send_timeout", r.SendTimeout)
	nonNegative(bad, "retry.prompt_timeout", r.PromptTimeout)
	nonNegative(bad, "retry.drain_timeout", r.DrainTimeout)
	if r.BenchAfter < 1 {
		bad("retry.bench_after", "%d: want at least 1", r.BenchAfter)
	}
	nonNegative(bad, "retry.bench_for", r.BenchFor)
	if r.MaxModemFaults < 1 {
		bad("retry.max_modem_faults", "%d: want at least 1", r.MaxModemFaults)
	}
	nonNegative(bad, "retry.report_window", r.ReportWindow)
}
