package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"smsgw"
)

// DefaultConfigPath is where `smsgw serve` looks for its configuration when
// no --config flag is given.
const DefaultConfigPath = "/etc/smsgw/smsgw.toml"

// Retry policies for a send whose outcome is unknown (the CMGS timed out on
// the wire, or the daemon crashed while a part was out).
const (
	// PolicyAtLeastOnce resends such a message: the recipient may get it twice.
	PolicyAtLeastOnce = "at-least-once"
	// PolicyAtMostOnce marks it uncertain and never resends it.
	PolicyAtMostOnce = "at-most-once"
)

// Token scopes. A token without a scope may do everything.
const (
	ScopeAll  = "all"
	ScopeSend = "send"
	ScopeRead = "read"
)

// Secret is a string that never prints: fmt, slog and JSON all see
// "[redacted]". Reveal returns the value for the one place that needs it.
type Secret string

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without disclosing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText keeps encoders (JSON, TOML) from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText lets decoders set the value (MarshalText alone would make
// encoding.TextUnmarshaler-aware decoders refuse the type).
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// Duration is a configuration duration. In TOML it must be a string that
// time.ParseDuration reads ("30s", "3m", "1h30m"): a bare number is refused,
// because the decoder would otherwise take 180 as 180 nanoseconds and the
// daemon would start with every timeout already expired. The embedded
// time.Duration is what callers use (cfg.Retry.SendTimeout.Duration), and its
// methods (Seconds, String) are promoted.
type Duration struct{ time.Duration }

// D makes a Duration, for tests and code that fill a Config by hand.
func D(d time.Duration) Duration { return Duration{d} }

// durationHint starts every refusal of a duration value; Parse recognises it
// to name the key in its own words.
const durationHint = "is not a duration"

// UnmarshalTOML implements toml.Unmarshaler: only strings are durations.
func (d *Duration) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		return d.UnmarshalText([]byte(v))
	case int64:
		return fmt.Errorf("%d %s; write \"%ds\"", v, durationHint, v)
	case float64:
		return fmt.Errorf("%v %s; write \"%vs\"", v, durationHint, v)
	default:
		return fmt.Errorf("a %T %s; write a string such as \"30s\"", v, durationHint)
	}
}

// UnmarshalText reads "30s", "5m", "1h30m". A number without a unit is
// refused here too (time.ParseDuration accepts only "0" that way).
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	x, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q %s: want a number with a unit, such as \"30s\", \"5m\" or \"1h\"", string(b), durationHint)
	}
	d.Duration = x
	return nil
}

// MarshalText writes the duration as time.Duration prints it ("3m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// durationError rewrites the decoder's report of a refused duration as
// "[retry] send_timeout: 180 is not a duration; write "180s"", naming the
// key the way the file spells it. Other errors pass unchanged.
func durationError(err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, durationHint) || pe.LastKey == "" {
		return err
	}
	key := pe.LastKey
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = "[" + key[:i] + "] " + key[i+1:]
	}
	if pe.Position.Line > 0 {
		return fmt.Errorf("line %d: %s: %s", pe.Position.Line, key, pe.Message)
	}
	return fmt.Errorf("%s: %s", key, pe.Message)
}

// Config is the whole daemon configuration, decoded from TOML. Every key is
// optional; Load fills defaults and validates. Safe for concurrent reads once
// loaded.
type Config struct {
	Server     ServerConfig     `toml:"server"`
	Storage    StorageConfig    `toml:"storage"`
	Modems     []ModemConfig    `toml:"modem"`
	Autodetect AutodetectConfig `toml:"autodetect"`
	Retry      RetryConfig      `toml:"retry"`
	Inbound    InboundConfig    `toml:"inbound"`
	Webhook    WebhookConfig    `toml:"webhook"`
	Log        LogConfig        `toml:"log"`
	Simulate   SimulateConfig   `toml:"simulate"`
	Security   SecurityConfig   `toml:"security"`
	Callbacks  CallbacksConfig  `toml:"callbacks"`
	Limits     LimitsConfig     `toml:"limits"`
	Debug      DebugConfig      `toml:"debug"`
}

// DebugConfig is the [debug] table: diagnostics that are off by default.
type DebugConfig struct {
	// Pprof serves the Go runtime profiles at /debug/pprof/ to tokens of
	// full scope (CPU, heap, allocations, goroutines).
	Pprof bool `toml:"pprof"`
}

// ServerConfig is the [server] table: the HTTP API listener.
type ServerConfig struct {
	// Listen is a TCP address ("127.0.0.1:8787") or "unix:/path".
	Listen string `toml:"listen"`
	// Tokens are the API bearer tokens; none means no auth, which only a
	// loopback or unix listener allows.
	Tokens  []Token `toml:"tokens"`
	TLSCert string  `toml:"tls_cert"`
	TLSKey  string  `toml:"tls_key"`
	// DefaultCountry is an ISO code ("DE") or a calling code ("49") used to
	// read national numbers; empty means numbers must be international.
	DefaultCountry string `toml:"default_country"`
	// MaxParts caps the parts a single message may take (0 = 10).
	MaxParts int `toml:"max_parts"`
	// ShutdownTimeout bounds the HTTP side of a graceful stop (requests
	// in flight, slow clients); sends on the wire have their own budget,
	// [retry] drain_timeout, and do not wait for it.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// Token is one API token and what it may do. In TOML it is either a plain
// string (all scopes; "send:SECRET" or "read:SECRET" limit it) or a table
// {token = "...", scope = "send"}.
type Token struct {
	Value Secret
	Scope string // ScopeAll, ScopeSend or ScopeRead
}

// UnmarshalTOML implements toml.Unmarshaler.
func (t *Token) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*t = Token{Value: Secret(v), Scope: ScopeAll}
		// "send:SECRET" and "read:SECRET" are the short form of a scoped
		// token, the same form the api package parses.
		for _, sc := range []string{ScopeSend, ScopeRead} {
			if rest, ok := strings.CutPrefix(v, sc+":"); ok {
				*t = Token{Value: Secret(rest), Scope: sc}
			}
		}
		return nil
	case map[string]any:
		*t = Token{Scope: ScopeAll}
		for k, x := range v {
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("token key %q: want a string", k)
			}
			switch k {
			case "token":
				t.Value = Secret(s)
			case "scope":
				t.Scope = s
			default:
				return fmt.Errorf("unknown key %q in token table (want token, scope)", k)
			}
		}
		return nil
	default:
		return fmt.Errorf("a token is a string or a table {token, scope}, not %T", v)
	}
}

// StorageConfig is the [storage] table.
type StorageConfig struct {
	// Path of the SQLite database.
	Path string `toml:"path"`
	// Sync is "full" (every acknowledged write survives a power cut, the
	// default) or "normal" (survives a crash of the process; faster on
	// slow SD cards).
	Sync string `toml:"sync"`
	// RetentionDays, when above 0, deletes finished messages, inbox
	// messages and delivered events older than that many days, daily.
	RetentionDays int `toml:"retention_days"`
}

// ModemConfig is one [[modem]] table.
type ModemConfig struct {
	// ID names the modem in the API, routing and logs. Default: modem<N>,
	// or the IMEI for a discovered modem.
	ID string `toml:"id"`
	// Port is the device path; a /dev/serial/by-id path survives replugging.
	Port string `toml:"port"`
	Baud int    `toml:"baud"`
	// IMEI binds this entry to a device whatever port it appears on.
	IMEI   string   `toml:"imei"`
	PIN    Secret   `toml:"pin"`
	SMSC   string   `toml:"smsc"`
	Number string   `toml:"number"` // own number, when the SIM does not know it
	Tags   []string `toml:"tags"`
	// Rate is one limit ("10/min") or several (["10/min", "200/day"]).
	Rate RateList `toml:"rate"`
	// Disabled keeps the modem out of the pool without deleting its entry.
	Disabled bool `toml:"disabled"`
}

// Rate is one sending limit: at most N messages per Per.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string {
	unit := map[time.Duration]string{time.Second: "sec", time.Minute: "min", time.Hour: "hour", 24 * time.Hour: "day"}[r.Per]
	return fmt.Sprintf("%d/%s", r.N, unit)
}

// RateList is a set of limits that all apply.
type RateList []Rate

var rateRE = regexp.MustCompile(`^\s*(\d+)\s*/\s*([a-z]+)\s*$`)

// ParseRate parses "10/min"; units are s/sec/second, m/min/minute,
// h/hour, d/day.
func ParseRate(s string) (Rate, error) {
	m := rateRE.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return Rate{}, fmt.Errorf("rate %q: want COUNT/UNIT such as \"10/min\" or \"200/day\"", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("rate %q: count must be a positive integer", s)
	}
	var per time.Duration
	switch m[2] {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	case "d", "day":
		per = 24 * time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: unit must be sec, min, hour or day", s)
	}
	return Rate{N: n, Per: per}, nil
}

// UnmarshalTOML implements toml.Unmarshaler: a string or a list of strings.
func (rl *RateList) UnmarshalTOML(v any) error {
	var ss []string
	switch v := v.(type) {
	case string:
		ss = []string{v}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("rate list: want strings like \"10/min\", got %T", x)
			}
			ss = append(ss, s)
		}
	default:
		return fmt.Errorf("rate: want a string like \"10/min\" or a list of them, got %T", v)
	}
	out := RateList{}
	for _, s := range ss {
		r, err := ParseRate(s)
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*rl = out
	return nil
}

// AutodetectConfig is the [autodetect] table: finding modems by themselves.
type AutodetectConfig struct {
	// Enabled defaults to true when no [[modem]] is configured and no
	// simulation is asked for, false otherwise.
	Enabled bool `toml:"enabled"`
	// Globs of candidate ports; default /dev/serial/by-id/*.
	Globs []string `toml:"globs"`
	// VIDPID restricts candidates to these USB ids ("12d1:1001"); empty
	// accepts every USB serial device the globs find.
	VIDPID []string `toml:"vid_pid"`
	// Interval between rescans for hot-plugged devices (default 5s).
	Interval Duration `toml:"interval"`
	// ProbeTimeout bounds the AT probe of one interface (default 2s).
	ProbeTimeout Duration `toml:"probe_timeout"`

	explicit bool // enabled was set in the file
}

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

// InboundConfig is the [inbound] table: what happens to received SMS.
type InboundConfig struct {
	// Exec is an argv run for each received message, without a shell.
	Exec        []string `toml:"exec"`
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

// WebhookConfig is the [webhook] table.
type WebhookConfig struct {
	URL    string   `toml:"url"`
	URLs   []string `toml:"urls"`
	Secret Secret   `toml:"secret"`
	// Events to post; default all four.
	Events      []string `toml:"events"`
	Timeout     Duration `toml:"timeout"`
	MaxAttempts int      `toml:"max_attempts"`
	Backoff     Duration `toml:"backoff"`
	MaxBackoff  Duration `toml:"max_backoff"`
}

// Targets returns url and urls together, without duplicates, in order.
func (w WebhookConfig) Targets() []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range append([]string{w.URL}, w.URLs...) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// LogConfig is the [log] table.
type LogConfig struct {
	Level string `toml:"level"` // debug, info, warn, error
	// Format is auto (journal under systemd, else text), text, json or
	// journal.
	Format string `toml:"format"`
	// ATTrace is how many raw AT lines each modem keeps for a bug report.
	ATTrace int `toml:"at_trace"`
	// Content lets message texts, numbers and PDUs into the log (for
	// debugging); off, they are replaced by "[content]".
	Content bool `toml:"content"`
}

// SimulateConfig is the [simulate] table: emulated modems instead of (or
// besides) real ones.
type SimulateConfig struct {
	Modems      int      `toml:"modems"`
	Profile     string   `toml:"profile"`
	SubmitDelay Duration `toml:"submit_delay"`
	// Dir holds the pty symlinks; default a temporary directory.
	Dir string `toml:"dir"`
}

// SetSimulate sets the number of emulated modems (the --simulate flag).
// Autodetection, unless the file turned it on, is off when simulating: a
// demo must not take over a real modem plugged into the machine.
func (c *Config) SetSimulate(n int) {
	c.Simulate.Modems = n
	if !c.Autodetect.explicit {
		c.Autodetect.Enabled = c.autodetectByDefault(n)
	}
}

// autodetectByDefault: look for modems when none is configured (and none
// is emulated), or when a configured one is bound by IMEI alone and can
// only be found that way.
func (c *Config) autodetectByDefault(simulated int) bool {
	for _, m := range c.Modems {
		if m.Port == "" && !m.Disabled {
			return true
		}
	}
	return len(c.Modems) == 0 && simulated == 0
}

// Default returns the configuration used when the file sets nothing.
func Default() Config {
	c := Config{}
	c.applyDefaults(nil)
	return c
}

// Load reads and validates a TOML file.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(string(b))
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates TOML text. Unknown keys are an error naming
// each key; validation errors name the key and say what is wanted.
func Parse(text string) (Config, error) {
	var c Config
	md, err := toml.Decode(text, &c)
	if err != nil {
		return Config{}, durationError(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return Config{}, fmt.Errorf("unknown key %s", strings.Join(keys, ", "))
	}
	c.applyDefaults(&md)
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// defaultDuration sets d to v when the file left it out (or set it to 0).
func defaultDuration(d *Duration, v time.Duration) {
	if d.Duration == 0 {
		d.Duration = v
	}
}

func (c *Config) applyDefaults(md *toml.MetaData) {
	defined := func(key ...string) bool { return md != nil && md.IsDefined(key...) }
	if c.Server.Listen == "" {
		c.Server.Listen = "127.0.0.1:8787"
	}
	if c.Server.MaxParts == 0 {
		c.Server.MaxParts = 10
	}
	defaultDuration(&c.Server.ShutdownTimeout, 10*time.Second)
	if c.Storage.Path == "" {
		dir := "/var/lib/smsgw"
		// systemd's StateDirectory= exports the directory it created.
		if d := os.Getenv("STATE_DIRECTORY"); d != "" {
			dir = strings.Split(d, ":")[0]
		}
		c.Storage.Path = filepath.Join(dir, "smsgw.db")
	}
	for i := range c.Modems {
		m := &c.Modems[i]
		if m.ID == "" {
			m.ID = fmt.Sprintf("modem%d", i+1)
		}
		if m.Baud == 0 {
			m.Baud = 115200
		}
	}
	c.Autodetect.explicit = defined("autodetect", "enabled")
	if !c.Autodetect.explicit {
		c.Autodetect.Enabled = c.autodetectByDefault(c.Simulate.Modems)
	}
	if len(c.Autodetect.Globs) == 0 {
		c.Autodetect.Globs = []string{"/dev/serial/by-id/*"}
	}
	defaultDuration(&c.Autodetect.Interval, 5*time.Second)
	defaultDuration(&c.Autodetect.ProbeTimeout, 2*time.Second)
	r := &c.Retry
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
	if c.Storage.Sync == "" {
		c.Storage.Sync = "full"
	}
	in := &c.Inbound
	defaultDuration(&in.Timeout, 30*time.Second)
	if in.Concurrency == 0 {
		in.Concurrency = 4
	}
	if !defined("inbound", "retries") {
		in.Retries = 3
	}
	defaultDuration(&in.JoinTimeout, 24*time.Hour)
	defaultDuration(&in.SweepInterval, 5*time.Minute)
	w := &c.Webhook
	if len(w.Events) == 0 {
		w.Events = append([]string(nil), smsgw.WebhookEvents...)
	}
	defaultDuration(&w.Timeout, 10*time.Second)
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 10
	}
	defaultDuration(&w.Backoff, 5*time.Second)
	defaultDuration(&w.MaxBackoff, time.Hour)
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "auto"
	}
	if !defined("log", "at_trace") {
		c.Log.ATTrace = 200
	}
	if c.Simulate.Profile == "" {
		c.Simulate.Profile = "generic"
	}
	c.applyHTTPDefaults()
}

// Validate checks every value and returns all problems at once, each
// naming its key. It never includes a secret in the message.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	if err := validateListen(c.Server.Listen); err != nil {
		bad("server.listen", "%v", err)
	} else if len(c.Server.Tokens) == 0 && !IsLocalListen(c.Server.Listen) {
		bad("server.listen", "%q is reachable from other hosts: set server.tokens, or listen on 127.0.0.1 or unix:/path", c.Server.Listen)
	}
	for i, t := range c.Server.Tokens {
		if t.Value == "" {
			bad(fmt.Sprintf("server.tokens[%d]", i), "empty token")
		}
		switch t.Scope {
		case ScopeAll, ScopeSend, ScopeRead:
		default:
			bad(fmt.Sprintf("server.tokens[%d].scope", i), "%q: want all, send or read", t.Scope)
		}
	}
	if (c.Server.TLSCert == "") != (c.Server.TLSKey == "") {
		bad("server.tls_cert", "tls_cert and tls_key go together")
	}
	if dc := c.Server.DefaultCountry; dc != "" && !allDigits(dc, 1, 3) && !isISOCountry(dc) {
		bad("server.default_country", "%q: want an ISO country code such as \"DE\" or a calling code such as \"49\"", dc)
	}
	if c.Server.MaxParts < 1 || c.Server.MaxParts > 255 {
		bad("server.max_parts", "%d: want 1..255", c.Server.MaxParts)
	}
	if c.Storage.Path == "" {
		bad("storage.path", "empty")
	}
	if c.Storage.Sync != "full" && c.Storage.Sync != "normal" {
		bad("storage.sync", "%q: want \"full\" or \"normal\"", c.Storage.Sync)
	}
	if c.Storage.RetentionDays < 0 {
		bad("storage.retention_days", "%d: must not be negative (0 keeps everything)", c.Storage.RetentionDays)
	}

	ids := map[string]int{}
	ports := map[string]int{}
	for i, m := range c.Modems {
		key := fmt.Sprintf("modem[%d]", i)
		if m.ID != "" {
			key = fmt.Sprintf("modem %q", m.ID)
		}
		if !validID(m.ID) {
			bad(key+".id", "%q: use letters, digits, '-', '_' or '.' (at most 64)", m.ID)
		}
		if j, dup := ids[m.ID]; dup {
			bad(key+".id", "also used by modem[%d]", j)
		}
		ids[m.ID] = i
		if m.Port == "" && m.IMEI == "" {
			bad(key+".port", "set port (or imei, to bind a discovered modem)")
		}
		if m.Port == "" && m.IMEI != "" && !c.Autodetect.Enabled && !m.Disabled {
			bad(key+".port", "no port and [autodetect] is off: the modem with IMEI %s can only be found by autodetection", m.IMEI)
		}
		if m.Port != "" {
			if j, dup := ports[m.Port]; dup {
				bad(key+".port", "%s is also modem[%d]'s port", m.Port, j)
			}
			ports[m.Port] = i
		}
		if !validBaud(m.Baud) {
			bad(key+".baud", "%d: not a standard rate (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)", m.Baud)
		}
		if m.IMEI != "" && !allDigits(m.IMEI, 14, 16) {
			bad(key+".imei", "%q: want 14-16 digits", m.IMEI)
		}
		if m.PIN != "" && !allDigits(string(m.PIN), 4, 8) {
			bad(key+".pin", "want 4-8 digits") // value withheld on purpose
		}
		if m.SMSC != "" && !phoneLike(m.SMSC) {
			bad(key+".smsc", "%q: want a number such as +447785016005", m.SMSC)
		}
		if m.Number != "" && !phoneLike(m.Number) {
			bad(key+".number", "%q: want a number such as +4915112345678", m.Number)
		}
		for _, t := range m.Tags {
			if !validID(t) {
				bad(key+".tags", "%q: use letters, digits, '-', '_' or '.'", t)
			}
		}
	}

	for _, g := range c.Autodetect.Globs {
		if _, err := filepath.Match(g, ""); err != nil {
			bad("autodetect.globs", "%q: %v", g, err)
		}
	}
	for _, vp := range c.Autodetect.VIDPID {
		if _, _, err := ParseVIDPID(vp); err != nil {
			bad("autodetect.vid_pid", "%v", err)
		}
	}
	positive := func(key string, d Duration) {
		if d.Duration < 0 {
			bad(key, "%v: must not be negative", d)
		}
	}
	positive("autodetect.interval", c.Autodetect.Interval)
	positive("autodetect.probe_timeout", c.Autodetect.ProbeTimeout)

	r := c.Retry
	if r.MaxAttempts < 1 {
		bad("retry.max_attempts", "%d: want at least 1", r.MaxAttempts)
	}
	positive("retry.backoff", r.Backoff)
	positive("retry.max_backoff", r.MaxBackoff)
	if r.MaxBackoff.Duration < r.Backoff.Duration {
		bad("retry.max_backoff", "%v is below retry.backoff %v", r.MaxBackoff, r.Backoff)
	}
	if r.Policy != PolicyAtLeastOnce && r.Policy != PolicyAtMostOnce {
		bad("retry.policy", "%q: want %q or %q", r.Policy, PolicyAtLeastOnce, PolicyAtMostOnce)
	}
	positive("retry.send_timeout", r.SendTimeout)
	positive("retry.prompt_timeout", r.PromptTimeout)
	positive("retry.drain_timeout", r.DrainTimeout)
	positive("server.shutdown_timeout", c.Server.ShutdownTimeout)
	if r.BenchAfter < 1 {
		bad("retry.bench_after", "%d: want at least 1", r.BenchAfter)
	}
	positive("retry.bench_for", r.BenchFor)
	if r.MaxModemFaults < 1 {
		bad("retry.max_modem_faults", "%d: want at least 1", r.MaxModemFaults)
	}
	positive("retry.report_window", r.ReportWindow)

	in := c.Inbound
	if len(in.Exec) > 0 && in.Exec[0] == "" {
		bad("inbound.exec", "the program (first element) is empty")
	}
	positive("inbound.timeout", in.Timeout)
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
	positive("inbound.join_timeout", in.JoinTimeout)
	positive("inbound.sweep_interval", in.SweepInterval)

	w := c.Webhook
	for _, u := range w.Targets() {
		if err := validURL(u); err != nil {
			bad("webhook.url", "%v", err)
		}
	}
	for _, e := range w.Events {
		if !contains(smsgw.WebhookEvents, e) {
			bad("webhook.events", "%q: want one of %s", e, strings.Join(smsgw.WebhookEvents, ", "))
		}
	}
	positive("webhook.timeout", w.Timeout)
	if w.MaxAttempts < 1 {
		bad("webhook.max_attempts", "%d: want at least 1", w.MaxAttempts)
	}
	positive("webhook.backoff", w.Backoff)
	positive("webhook.max_backoff", w.MaxBackoff)

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "text", "json", "journal":
	default:
		bad("log.format", "%q: want auto, text, json or journal", c.Log.Format)
	}
	if c.Log.ATTrace < 0 || c.Log.ATTrace > 100000 {
		bad("log.at_trace", "%d: want 0..100000", c.Log.ATTrace)
	}

	c.validateHTTP(bad)

	if c.Simulate.Modems < 0 || c.Simulate.Modems > 64 {
		bad("simulate.modems", "%d: want 0..64", c.Simulate.Modems)
	}
	positive("simulate.submit_delay", c.Simulate.SubmitDelay)
	return errors.Join(errs...)
}

// IsLocalListen reports whether a listen address is reachable only from
// this host (loopback or a unix socket).
func IsLocalListen(listen string) bool {
	if strings.HasPrefix(listen, "unix:") {
		return true
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validateListen(listen string) error {
	if p, ok := strings.CutPrefix(listen, "unix:"); ok {
		if p == "" {
			return errors.New(`"unix:" needs a path, e.g. unix:/run/smsgw/api.sock`)
		}
		return nil
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("%q: want host:port or unix:/path", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: bad port", listen)
	}
	return nil
}

// ParseVIDPID parses "12d1:1001" into vendor and product ids.
func ParseVIDPID(s string) (vid, pid uint16, err error) {
	a, b, ok := strings.Cut(s, ":")
	v1, err1 := strconv.ParseUint(a, 16, 16)
	v2, err2 := strconv.ParseUint(b, 16, 16)
	if !ok || err1 != nil || err2 != nil || len(a) != 4 || len(b) != 4 {
		return 0, 0, fmt.Errorf("%q: want VID:PID in hex, such as 12d1:1001", s)
	}
	return uint16(v1), uint16(v2), nil
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL", s)
	}
	return nil
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func validID(s string) bool { return idRE.MatchString(s) }

func validBaud(b int) bool {
	switch b {
	case 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600:
		return true
	}
	return false
}

func allDigits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isISOCountry(s string) bool {
	return len(s) == 2 && strings.ToUpper(s) == s && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

func phoneLike(s string) bool {
	return allDigits(strings.TrimPrefix(s, "+"), 3, 20)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
