package config

import "time"

// The values of [inbound] exec_scope.
const (
	ExecScopeNode  = "node"
	ExecScopeFleet = "fleet"
)

// InboundConfig is the [inbound] table: what happens to received SMS.
type InboundConfig struct {
	// Exec is an argv run for each received message, without a shell.
	Exec []string `toml:"exec"`
	// ExecScope, on a database several gateways share: "node" (the
	// default) runs the script for what this gateway's modems received;
	// "fleet" runs it once for every message the fleet receives, on
	// whichever gateway configured so takes it first.
	ExecScope   string   `toml:"exec_scope"`
	Timeout     Duration `toml:"timeout"`
	Concurrency int      `toml:"concurrency"`
	// Retries is how many times a failing script is run again.
	Retries int `toml:"retries"`
	// Webhook receives sms:received only (see [webhook] for all events).
	Webhook string `toml:"webhook"`
	// JoinTimeout after which an incomplete multipart is delivered as is.
	JoinTimeout Duration `toml:"join_timeout"`
	// SweepInterval between reads of everything stored on the SIM.
	SweepInterval Duration `toml:"sweep_interval"`
}

// applyDefaults fills the table; retriesSet says the file set retries (0
// is a valid choice there, not "left out").
func (in *InboundConfig) applyDefaults(retriesSet bool) {
	defaultDuration(&in.Timeout, 30*time.Second)
	if in.ExecScope == "" {
		in.ExecScope = ExecScopeNode
	}
	if in.Concurrency == 0 {
		in.Concurrency = 4
	}
	if !retriesSet {
		in.Retries = 3
	}
	defaultDuration(&in.JoinTimeout, 24*time.Hour)
	defaultDuration(&in.SweepInterval, 5*time.Minute)
}

func (in InboundConfig) validate(bad badFunc) {
	if len(in.Exec) > 0 && in.Exec[0] == "" {
		bad("inbound.exec", "the program (first element) is empty")
	}
	if in.ExecScope != ExecScopeNode && in.ExecScope != ExecScopeFleet {
		bad("inbound.exec_scope", "%q: want %q or %q", in.ExecScope, ExecScopeNode, ExecScopeFleet)
	}
	nonNegative(bad, "inbound.timeout", in.Timeout)
	if in.Concurrency < 1 || in.Concurrency > 256 {
		bad("inbound.concurrency", "%d: want 1..256", in.Concurrency)
	}
	if in.Retries < 0 {
		bad("inbound.retries", "%d: must not be negative", in.Retries)
	}
	if in.Webhook != "" {
		if err := validURL(in.Webhook); err != nil {
			bad("inbound.webhook", "%v", err)
		}
	}
	nonNegative(bad, "inbound.join_timeout", in.JoinTimeout)
	nonNegative(bad, "inbound.sweep_interval", in.SweepInterval)
}
