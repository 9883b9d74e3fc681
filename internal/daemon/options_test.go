package daemon

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/config"
	"smsgw/consent"
	"smsgw/gateway"
	"smsgw/internal/callback"
	"smsgw/modem/pool"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// TestGatewayDefaultsAreTheConfigs: the gateway spells its defaults itself
// (it is built without the configuration, in tests among others); an
// empty configuration must map to exactly those, autodetection aside,
// which the configuration turns on when no modem is listed.
func TestGatewayDefaultsAreTheConfigs(t *testing.T) {
	c := config.Default()
	got, want := GatewayOptions(c), gateway.DefaultOptions()
	if got.Autodetect.Enabled != c.Autodetect.Enabled {
		t.Fatalf("autodetect enabled %v, the configuration says %v", got.Autodetect.Enabled, c.Autodetect.Enabled)
	}
	want.Autodetect.Enabled = got.Autodetect.Enabled
	// The node's default name is the hostname, which the gateway leaves
	// to the configuration.
	if got.Node == "" {
		t.Fatal("the default configuration names no node")
	}
	want.Node = got.Node
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the default configuration maps to\n%+v\nthe gateway's defaults are\n%+v", got, want)
	}
	qo := QueueOptions(c, nil)
	so := SQLiteOptions(c.Storage)
	if so.Sync != sqlite.SyncFull || qo.Recovery != queue.AtLeastOnce || qo.JoinText == nil {
		t.Fatalf("default queue options: sync %q, recovery %v, JoinText set %v", so.Sync, qo.Recovery, qo.JoinText != nil)
	}
}

// TestGatewayOptionsMapping: every setting the gateway reads arrives from
// its table, disabled modems are left out and secrets are revealed.
func TestGatewayOptionsMapping(t *testing.T) {
	c, err := config.Parse(`
[storage]
sync = "normal"
retention_days = 30
[node]
name = "gw2"
lease = "45s"
[[modem]]
id = "a"
port = "/dev/ttyUSB0"
baud = 9600
pin = "1234"
tags = ["otp"]
rate = ["10/min", "200/day"]
[[modem]]
id = "off"
port = "/dev/ttyUSB1"
disabled = true
[autodetect]
enabled = true
vid_pid = ["12d1:1001"]
[retry]
policy = "at-most-once"
max_attempts = 7
prompt_timeout = "3s"
[inbound]
exec = ["/bin/true"]
retries = 0
[webhook]
url = "https://example.org/a"
urls = ["https://example.org/a", "https://example.org/b"]
secret = "s3cret"
max_attempts = 2
[callbacks]
allow_private = true
[log]
at_trace = 0
level = "debug"
content = true
`)
	if err != nil {
		t.Fatal(err)
	}
	o := GatewayOptions(c)
	wantModems := []gateway.ModemOptions{{
		Spec: pool.Spec{ID: "a", Port: "/dev/ttyUSB0", Baud: 9600, PIN: "1234", Tags: []string{"otp"}},
		Rate: []queue.RateLimit{{N: 10, Per: time.Minute}, {N: 200, Per: 24 * time.Hour}},
	}}
	if !reflect.DeepEqual(o.Modems, wantModems) {
		t.Errorf("modems %+v, want %+v", o.Modems, wantModems)
	}
	if !o.Autodetect.Enabled || !reflect.DeepEqual(o.Autodetect.VIDPID, []uint32{0x12d1<<16 | 0x1001}) {
		t.Errorf("autodetect %+v", o.Autodetect)
	}
	if !o.Retry.AtMostOnce || o.Retry.MaxAttempts != 7 || o.Retry.PromptTimeout != 3*time.Second {
		t.Errorf("retry %+v", o.Retry)
	}
	if !reflect.DeepEqual(o.Inbound.Exec, []string{"/bin/true"}) || o.Inbound.Retries != 0 {
		t.Errorf("inbound %+v", o.Inbound)
	}
	if !reflect.DeepEqual(o.Webhook.Targets, []string{"https://example.org/a", "https://example.org/b"}) ||
		o.Webhook.Secret != "s3cret" || o.Webhook.MaxAttempts != 2 {
		t.Errorf("webhook %+v", o.Webhook)
	}
	if !reflect.DeepEqual(o.Callbacks, callback.Policy{AllowPrivate: true}) {
		t.Errorf("callbacks %+v", o.Callbacks)
	}
	if o.ATTrace != 0 || o.RetentionDays != 30 {
		t.Errorf("at_trace %d, retention_days %d", o.ATTrace, o.RetentionDays)
	}
	qo := QueueOptions(c, nil)
	if o.Node != "gw2" || o.Lease != 45*time.Second || qo.Node != "gw2" || qo.Lease != 45*time.Second {
		t.Errorf("node %q lease %v, queue node %q lease %v; want gw2, 45s", o.Node, o.Lease, qo.Node, qo.Lease)
	}
	if so := SQLiteOptions(c.Storage); so.Sync != sqlite.SyncNormal {
		t.Errorf("sqlite options: sync %q, want normal", so.Sync)
	}
	if qo.Recovery != queue.AtMostOnce || qo.Retry.MaxAttempts != 7 || qo.EventRetry.MaxAttempts != 2 {
		t.Errorf("queue options: recovery %v, retry %+v, event retry %+v", qo.Recovery, qo.Retry, qo.EventRetry)
	}
	if lo := LogOptions(c.Log); lo.Level != "debug" || lo.Format != "auto" || !lo.Content {
		t.Errorf("log options %+v", lo)
	}
}

// TestConsentOptionsMapping: the [consent] table reaches the consent
// settings and the queue's policy; an empty table is the package's
// defaults.
func TestConsentOptionsMapping(t *testing.T) {
	def := ConsentOptions(config.Default())
	want := consent.DefaultOptions()
	if !def.Enabled || def.Scope != want.Scope || def.Program != want.Program || def.OptOutReply != want.OptOutReply ||
		def.DoubleOptInWindow != want.DoubleOptInWindow || !reflect.DeepEqual(def.Keywords, consent.English) {
		t.Errorf("default consent options %+v", def)
	}
	c, err := config.Parse(`
[consent]
enabled = false
scope = "all"
languages = ["de", "fr"]
opt_out = ["STOP", "HALT"]
program = "Bakery"
contact = "+49301234567"
help_reply = "{program} help: {contact}"
disclosure_version = "v3"
double_opt_in_window = "2h"
deny = ["+4915100000001"]
allow = ["+49*"]
`)
	if err != nil {
		t.Fatal(err)
	}
	o := ConsentOptions(c)
	if o.Enabled || o.Scope != consent.ScopeAll || o.Program != "Bakery" || o.DisclosureVersion != "v3" ||
		o.DoubleOptInWindow != 2*time.Hour || o.Text(o.HelpReply) != "Bakery help: +49301234567" {
		t.Errorf("consent options %+v", o)
	}
	m, err := consent.NewMatcher(o.Keywords)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]consent.Match{"halt": consent.MatchOptOut, "stopp": consent.MatchOptOut,
		"arrêt": consent.MatchOptOut, "quit": consent.NoMatch, "ja": consent.MatchConfirm} {
		if got := m.Match(text); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
	qo := QueueOptions(c, nil)
	if r := qo.Consent.Refuse("+4915100000001", smsgw.CategoryTransactional, false, false); r != consent.ReasonDenied {
		t.Errorf("deny list at the queue: %q", r)
	}
	if r := qo.Consent.Refuse("+14155550100", smsgw.CategoryTransactional, false, false); r != consent.ReasonNotAllowed {
		t.Errorf("allow list at the queue: %q", r)
	}
	if r := qo.Consent.Refuse("+4915100000002", smsgw.CategoryTransactional, false, true); r != consent.ReasonOptedOut {
		t.Errorf("scope all at the queue: %q", r)
	}
	for _, bad := range []string{"[consent]\nscope = \"most\"", "[consent]\nlanguages = [\"xx\"]", "[consent]\ndeny = [\"abc\"]",
		"[consent]\nopt_out = [\"HELP\"]", "[consent]\ndouble_opt_in_window = \"1s\"", "[consent]\nkeywords = 1"} {
		if _, err := config.Parse(bad); err == nil || !strings.Contains(err.Error(), "consent") {
			t.Errorf("%q: err = %v, want one naming consent", bad, err)
		}
	}
}

// The Settings page shows the configuration without a secret: tokens,
// PINs, the webhook secret, and credentials or query strings in URLs.
func TestSettingsTextRedactsSecrets(t *testing.T) {
	c := config.Default()
	c.Server.Tokens = []config.Token{{Value: "tok-SECRET-1", Scope: config.ScopeAll}}
	c.Modems = []config.ModemConfig{{ID: "m1", Port: "/dev/ttyUSB0", PIN: "4321"}}
	c.Webhook.URLs = []string{"https://user:pw-SECRET@example.com/hook?key=SECRET-q"}
	c.Webhook.Secret = "hook-SECRET"
	c.Inbound.Webhook = "http://example.com/in?token=SECRET-in"
	s := SettingsText(c)
	for _, leak := range []string{"SECRET", "4321"} {
		if strings.Contains(s, leak) {
			t.Fatalf("settings show %q:\n%s", leak, s)
		}
	}
	for _, want := range []string{`https://[redacted]@example.com/hook?[redacted]`, `http://example.com/in?[redacted]`, `port = "/dev/ttyUSB0"`} {
		if !strings.Contains(s, want) {
			t.Fatalf("settings lack %q:\n%s", want, s)
		}
	}
}
