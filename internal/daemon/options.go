package daemon

import (
	"fmt"
	"log/slog"
	"smsgw"

	"smsgw/config"
	"smsgw/consent"
	"smsgw/gateway"
	"smsgw/internal/logging"
	"smsgw/modem/pool"
	"smsgw/queue"
	"smsgw/rules"
	"smsgw/store/sqlite"
)

// GatewayOptions maps the configuration to the gateway's settings: its
// modems (disabled ones left out), autodetection, retries, inbound
// delivery, webhooks, the callback policy, the AT trace and retention.
// The caller adds the collaborators (store, logger, metrics).
func GatewayOptions(c config.Config) gateway.Options {
	o := gateway.Options{
		Autodetect: gateway.AutodetectOptions{Enabled: c.Autodetect.Enabled, Globs: c.Autodetect.Globs,
			Interval: c.Autodetect.Interval.Duration, ProbeTimeout: c.Autodetect.ProbeTimeout.Duration},
		Retry: gateway.RetryOptions{
			AtMostOnce:  c.Retry.Policy == config.PolicyAtMostOnce,
			MaxAttempts: c.Retry.MaxAttempts, MaxModemFaults: c.Retry.MaxModemFaults,
			Backoff: c.Retry.Backoff.Duration, MaxBackoff: c.Retry.MaxBackoff.Duration,
			SendTimeout: c.Retry.SendTimeout.Duration, PromptTimeout: c.Retry.PromptTimeout.Duration,
			BenchAfter: c.Retry.BenchAfter, BenchFor: c.Retry.BenchFor.Duration,
			ReportWindow: c.Retry.ReportWindow.Duration,
		},
		Inbound: gateway.InboundOptions{Exec: c.Inbound.Exec, ExecFleet: c.Inbound.ExecScope == config.ExecScopeFleet, Timeout: c.Inbound.Timeout.Duration,
			Concurrency: c.Inbound.Concurrency, Retries: c.Inbound.Retries, Webhook: c.Inbound.Webhook,
			JoinTimeout: c.Inbound.JoinTimeout.Duration, SweepInterval: c.Inbound.SweepInterval.Duration},
		Webhook: gateway.WebhookOptions{Targets: c.Webhook.Targets(), Events: c.Webhook.Events,
			Secret: c.Webhook.Secret.Reveal(), Timeout: c.Webhook.Timeout.Duration, MaxAttempts: c.Webhook.MaxAttempts,
			Backoff: c.Webhook.Backoff.Duration, MaxBackoff: c.Webhook.MaxBackoff.Duration},
		Callbacks:     c.Callbacks.Policy(),
		ATTrace:       c.Log.ATTrace,
		RetentionDays: c.Storage.RetentionDays,
		Node:          c.Node.Name,
		Lease:         c.Node.Lease.Duration,
		Shared:        c.Storage.Driver == config.DriverPostgres,
	}
	for _, s := range c.Autodetect.VIDPID {
		v, p, _ := config.ParseVIDPID(s) // Validate refused bad ones
		o.Autodetect.VIDPID = append(o.Autodetect.VIDPID, uint32(v)<<16|uint32(p))
	}
	for _, m := range c.Modems {
		if m.Disabled {
			continue
		}
		mo := gateway.ModemOptions{Spec: pool.Spec{ID: m.ID, Port: m.Port, IMEI: m.IMEI, Baud: m.Baud,
			PIN: m.PIN.Reveal(), SMSC: m.SMSC, Number: m.Number, Tags: m.Tags}}
		for _, r := range m.Rate {
			mo.Rate = append(mo.Rate, queue.RateLimit{N: r.N, Per: r.Per})
		}
		o.Modems = append(o.Modems, mo)
	}
	return o
}

// QueueOptions maps the configuration to the queue's options: the
// gateway's retry, event-delivery and node settings and the consent policy.
func QueueOptions(c config.Config, log *slog.Logger) queue.Options {
	gwo := GatewayOptions(c)
	gwo.Logger = log
	qo := gateway.QueueOptions(gwo)
	if p, err := consent.NewPolicy(ConsentOptions(c)); err == nil { // Validate refused a bad one
		qo.Consent = p
	}
	return qo
}

// SQLiteOptions maps the [storage] table to the embedded driver's own
// options.
func SQLiteOptions(c config.StorageConfig) sqlite.Options {
	return sqlite.Options{Sync: sqlite.Sync(c.Sync)}
}

// ConsentOptions maps the [consent] table to the consent settings.
func ConsentOptions(c config.Config) consent.Options {
	o := c.Consent.Options()
	o.CallingCode, _ = smsgw.CallingCode(c.Server.DefaultCountry) // Validate refused a bad one
	return o
}

// LogOptions maps the [log] table to the logger's options.
func LogOptions(c config.LogConfig) logging.Options {
	return logging.Options{Level: c.Level, Format: c.Format, Content: c.Content}
}

// RulesEngine builds the keyword rules engine: the [[rule]] tables in file
// order, then the rules stored through the API, with [autoreply] loop
// protection; groups carries out the group actions (nil refuses them).
func RulesEngine(c config.Config, st rules.Store, groups rules.Groups) (*rules.Engine, error) {
	var rs []rules.Rule
	for _, r := range c.Rules {
		rs = append(rs, r.Rule())
	}
	e, err := rules.NewEngine(rs, st, rules.Options{Limit: c.Autoreply.Limit, Window: c.Autoreply.Window.Duration, Groups: groups})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return e, nil
}
