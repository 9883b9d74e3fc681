package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
)

func TestParseDefaults(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "")
	c, err := Parse("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Listen != "127.0.0.1:8787" {
		t.Errorf("listen = %q", c.Server.Listen)
	}
	if c.Storage.Path != "/var/lib/smsgw/smsgw.db" {
		t.Errorf("storage.path = %q", c.Storage.Path)
	}
	if !c.Autodetect.Enabled {
		t.Error("autodetect should default on with no modems configured")
	}
	if c.Retry.Policy != PolicyAtLeastOnce || c.Retry.MaxAttempts != 5 {
		t.Errorf("retry = %+v", c.Retry)
	}
	if diff := cmp.Diff(smsgw.WebhookEvents, c.Webhook.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if c.Inbound.Retries != 3 || c.Inbound.Concurrency != 4 {
		t.Errorf("inbound = %+v", c.Inbound)
	}
	if c.Debug.Pprof {
		t.Error("[debug] pprof should default off")
	}
}

func TestParseDebug(t *testing.T) {
	c, err := Parse("[debug]\npprof = true\n")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Debug.Pprof {
		t.Error("[debug] pprof = true not read")
	}
	if _, err := Parse("[debug]\npprof = \"yes\"\n"); err == nil {
		t.Error("[debug] pprof = \"yes\" accepted")
	}
	if _, err := Parse("[debug]\nprofile = true\n"); err == nil {
		t.Error("unknown [debug] key accepted")
	}
}

func TestParseStateDirectory(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "/var/lib/smsgw-test")
	c, err := Parse("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.Path != "/var/lib/smsgw-test/smsgw.db" {
		t.Errorf("storage.path = %q", c.Storage.Path)
	}
}

func TestParseFull(t *testing.T) {
	c, err := Parse(`
[server]
listen = "0.0.0.0:8080"
tokens = ["admin-token", {token = "sender", scope = "send"}, "read:viewer"]
tls_cert = "/etc/smsgw/cert.pem"
tls_key = "/etc/smsgw/key.pem"
default_country = "49"

[storage]
path = "/tmp/x.db"

[[modem]]
id = "office"
port = "/dev/serial/by-id/usb-HUAWEI-if02-port0"
pin = "1234"
smsc = "+491722270333"
tags = ["otp", "de"]
rate = ["10/min", "200/day"]

[[modem]]
port = "/dev/ttyUSB4"
baud = 9600
rate = "1/s"

[autodetect]
enabled = true
vid_pid = ["12d1:1001"]

[retry]
max_attempts = 3
backoff = "10s"
max_backoff = "5m"
policy = "at-most-once"

[inbound]
exec = ["/usr/local/bin/on-sms", "--verbose"]
timeout = "5s"
concurrency = 2
retries = 0
webhook = "http://127.0.0.1:9000/in"

[webhook]
url = "https://example.org/hook"
urls = ["https://example.org/hook", "http://10.0.0.2/x"]
secret = "s3cret"
events = ["sms:received", "sms:failed"]

[log]
level = "debug"

[simulate]
modems = 3
submit_delay = "500ms"
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Token{{Value: "admin-token", Scope: ScopeAll}, {Value: "sender", Scope: ScopeSend}, {Value: "viewer", Scope: ScopeRead}}
	if diff := cmp.Diff(want, c.Server.Tokens); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
	if len(c.Modems) != 2 {
		t.Fatalf("modems = %d", len(c.Modems))
	}
	m := c.Modems[0]
	if diff := cmp.Diff(RateList{{10, time.Minute}, {200, 24 * time.Hour}}, m.Rate); diff != "" {
		t.Errorf("rate (-want +got):\n%s", diff)
	}
	if m.Baud != 115200 || m.PIN.Reveal() != "1234" {
		t.Errorf("modem 0 = %+v", m)
	}
	if c.Modems[1].ID != "modem2" || c.Modems[1].Baud != 9600 || c.Modems[1].Rate[0] != (Rate{1, time.Second}) {
		t.Errorf("modem 1 = %+v", c.Modems[1])
	}
	if c.Retry.Backoff.Duration != 10*time.Second || c.Retry.Policy != PolicyAtMostOnce {
		t.Errorf("retry = %+v", c.Retry)
	}
	if c.Inbound.Retries != 0 {
		t.Errorf("explicit retries = 0 lost: %d", c.Inbound.Retries)
	}
	if diff := cmp.Diff([]string{"https://example.org/hook", "http://10.0.0.2/x"}, c.Webhook.Targets()); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if c.Simulate.SubmitDelay.Duration != 500*time.Millisecond {
		t.Errorf("submit_delay = %v", c.Simulate.SubmitDelay.Duration)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, toml string
		want       []string // substrings of the error
	}{
		{"unknown top", "[sever]\nlisten = \"x\"", []string{"unknown key", "sever"}},
		{"unknown nested", "[server]\nlisen = \"127.0.0.1:1\"", []string{"unknown key server.lisen"}},
		{"unknown keys and bad values at once", "[server]\nlisen = \"x\"\nmax_parts = 300\n[storage]\nfoo = 1", []string{"unknown key server.lisen", "unknown key storage.foo", "server.max_parts"}},
		{"unknown country", "[server]\ndefault_country = \"XX\"", []string{"server.default_country", "XX"}},
		{"unassigned calling code", "[server]\ndefault_country = \"+999\"", []string{"server.default_country", "not an assigned country calling code"}},
		{"unknown in modem", "[[modem]]\nport = \"/dev/x\"\nbaudrate = 9600", []string{"modem.baudrate"}},
		{"unknown token key", "[server]\ntokens = [{token = \"a\", scop = \"x\"}]", []string{`unknown key "scop"`}},
		{"bad token scope", "[server]\ntokens = [{token = \"a\", scope = \"root\"}]", []string{"server.tokens[0].scope", "root"}},
		{"public without token", "[server]\nlisten = \"0.0.0.0:8787\"", []string{"server.listen", "server.tokens"}},
		{"bad listen", "[server]\nlisten = \"8787\"", []string{"server.listen", "host:port"}},
		{"bad rate", "[[modem]]\nport = \"/dev/x\"\nrate = \"10/fortnight\"", []string{"10/fortnight", "unit"}},
		{"bad rate shape", "[[modem]]\nport = \"/dev/x\"\nrate = \"ten\"", []string{`"ten"`, "COUNT/UNIT"}},
		{"dup id", "[[modem]]\nid = \"a\"\nport = \"/dev/x\"\n[[modem]]\nid = \"a\"\nport = \"/dev/y\"", []string{`modem "a".id`, "also used"}},
		{"dup port", "[[modem]]\nport = \"/dev/x\"\n[[modem]]\nport = \"/dev/x\"", []string{"also modem[0]'s port"}},
		{"no port", "[[modem]]\nid = \"a\"", []string{`modem "a".port`}},
		{"bad baud", "[[modem]]\nport = \"/dev/x\"\nbaud = 1234", []string{".baud", "1234"}},
		{"bad policy", "[retry]\npolicy = \"maybe\"", []string{"retry.policy", "maybe"}},
		{"bad backoff", "[retry]\nbackoff = \"soon\"", []string{"soon"}},
		{"max below backoff", "[retry]\nbackoff = \"1h\"\nmax_backoff = \"1m\"", []string{"retry.max_backoff"}},
		{"bad event", "[webhook]\nevents = [\"sms:lost\"]", []string{"webhook.events", "sms:lost"}},
		{"bad webhook url", "[webhook]\nurl = \"ftp://x\"", []string{"webhook.url"}},
		{"bad vidpid", "[autodetect]\nvid_pid = [\"12d1\"]", []string{"autodetect.vid_pid"}},
		{"bad level", "[log]\nlevel = \"loud\"", []string{"log.level"}},
		{"bad sync", "[storage]\nsync = \"maybe\"", []string{"storage.sync"}},
		{"negative retention", "[storage]\nretention_days = -1", []string{"storage.retention_days"}},
		{"short lease", "[node]\nlease = \"1s\"", []string{"node.lease"}},
		{"empty exec", "[inbound]\nexec = [\"\"]", []string{"inbound.exec"}},
		{"exec as string", "[inbound]\nexec = \"/bin/true\"", []string{"exec"}},
		{"several at once", "[retry]\npolicy = \"x\"\n[log]\nlevel = \"y\"", []string{"retry.policy", "log.level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.toml)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, err := Parse(`
[server]
tokens = ["tok-AAAA", {token = "tok-BBBB", scope = "read"}]
[[modem]]
port = "/dev/x"
pin = "98761"
[webhook]
secret = "hook-CCCC"
`)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v %+v %#v %s\n", c, c, c, c.Modems[0].PIN)
	j, _ := json.Marshal(c)
	sb.Write(j)
	// Without the time, which could hold the PIN's digits by chance.
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	slog.New(slog.NewTextHandler(&sb, noTime)).Info("config", "cfg", c, "pin", c.Modems[0].PIN)
	slog.New(slog.NewJSONHandler(&sb, noTime)).Info("config", "cfg", c)
	out := sb.String()
	for _, s := range []string{"tok-AAAA", "tok-BBBB", "98761", "hook-CCCC"} {
		if strings.Contains(out, s) {
			t.Errorf("secret %q printed:\n%s", s, out)
		}
	}
	// A bad PIN's error must not echo it either.
	_, err = Parse("[[modem]]\nport = \"/dev/x\"\npin = \"12x4567\"")
	if err == nil || strings.Contains(err.Error(), "12x4567") {
		t.Errorf("bad pin error = %v", err)
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "smsgw.toml")
	if err := os.WriteFile(p, []byte("[storage]\npath = \"/tmp/a.db\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil || c.Storage.Path != "/tmp/a.db" {
		t.Fatalf("Load = %+v, %v", c.Storage, err)
	}
	if _, err := Load(p + ".missing"); err == nil {
		t.Error("missing file: no error")
	}
	if err := os.WriteFile(p, []byte("[bogus]\nx=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("error should name the file: %v", err)
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"10/min": {10, time.Minute}, "200/day": {200, 24 * time.Hour}, " 3 / h ": {3, time.Hour}, "1/SEC": {1, time.Second},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0/min", "-1/min", "5", "5/week", "x/min"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q): no error", in)
		}
	}
}

func TestIsLocalListen(t *testing.T) {
	for in, want := range map[string]bool{
		"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "unix:/run/x.sock": true,
		"0.0.0.0:1": false, ":8787": false, "192.168.1.2:80": false,
	} {
		if got := IsLocalListen(in); got != want {
			t.Errorf("IsLocalListen(%q) = %v", in, got)
		}
	}
}

func TestSetSimulateTurnsAutodetectOff(t *testing.T) {
	c := Default()
	if !c.Autodetect.Enabled {
		t.Fatal("autodetect off by default")
	}
	c.SetSimulate(2)
	if c.Autodetect.Enabled || c.Simulate.Modems != 2 {
		t.Errorf("after SetSimulate(2): %+v %+v", c.Autodetect, c.Simulate)
	}
	c, _ = Parse("[autodetect]\nenabled = true\n")
	c.SetSimulate(2)
	if !c.Autodetect.Enabled {
		t.Error("explicit autodetect turned off")
	}
}

// TestSetSimulateBound: the flag is held to the same bound as the file.
func TestSetSimulateBound(t *testing.T) {
	for _, n := range []int{-1, 65} {
		c := Default()
		err := c.SetSimulate(n)
		if err == nil || !strings.Contains(err.Error(), "want 0..64") {
			t.Errorf("SetSimulate(%d) = %v", n, err)
		}
		if c.Simulate.Modems != 0 || !c.Autodetect.Enabled {
			t.Errorf("SetSimulate(%d) changed the config: %+v %+v", n, c.Simulate, c.Autodetect)
		}
	}
	if _, err := Parse("[simulate]\nmodems = 65\n"); err == nil || !strings.Contains(err.Error(), "simulate.modems") {
		t.Errorf("file with 65 emulated modems: %v", err)
	}
	c := Default()
	if err := c.SetSimulate(64); err != nil || c.Simulate.Modems != 64 {
		t.Errorf("SetSimulate(64) = %v, modems %d", err, c.Simulate.Modems)
	}
}

func TestIMEIOnlyModemNeedsAutodetect(t *testing.T) {
	c, err := Parse("[[modem]]\nid = \"a\"\nimei = \"350000000000001\"\n")
	if err != nil || !c.Autodetect.Enabled {
		t.Fatalf("IMEI-only modem: autodetect %v, err %v", c.Autodetect.Enabled, err)
	}
	_, err = Parse("[autodetect]\nenabled = false\n[[modem]]\nid = \"a\"\nimei = \"350000000000001\"\n")
	if err == nil || !strings.Contains(err.Error(), "autodetect") {
		t.Errorf("IMEI-only modem with autodetect off: %v", err)
	}
}
