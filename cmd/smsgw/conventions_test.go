package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw/queue"
)

// commandPaths lists every subcommand, with the second level of those that
// have one: the commands the conventions test and the man page test visit.
func commandPaths() [][]string {
	subs := map[string][]string{"modem": {"probe", "send"}, "pdu": {"decode", "encode"}, "config": {"check"}, "consent": {"export", "verify"}, "contacts": {"import", "export"},
		"campaign": {"create", "quote", "launch", "pause", "resume", "status", "export"}}
	var out [][]string
	for _, n := range commandNames() {
		out = append(out, []string{n})
		for _, s := range subs[n] {
			out = append(out, []string{n, s})
		}
	}
	return out
}

func runArgs(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCLIConventions holds every subcommand to the same rules: help on
// stdout with exit 0 however it is asked for, and a usage error that says
// what was wrong before the usage, on stderr, with exit 2.
func TestCLIConventions(t *testing.T) {
	t.Setenv("SMSGW_ADDR", "127.0.0.1:1") // nothing may be reached
	for _, path := range commandPaths() {
		name := strings.Join(path, " ")
		t.Run(name, func(t *testing.T) {
			for _, args := range [][]string{
				append(append([]string{}, path...), "--help"),
				append(append([]string{}, path...), "-h"),
				append([]string{"help"}, path...),
			} {
				code, out, errs := runArgs(args...)
				if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: smsgw "+name) {
					t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
				}
				if strings.Contains(out, "(default -1)") {
					t.Errorf("%q shows a meaningless default:\n%s", args, out)
				}
				for _, c := range helpExits(out) {
					if _, ok := exitMeaning[c]; !ok {
						t.Errorf("%q lists undocumented exit code %d", args, c)
					}
				}
			}
			code, out, errs := runArgs(append(append([]string{}, path...), "--no-such-flag")...)
			first, _, _ := strings.Cut(errs, "\n")
			if code != exitUsage || out != "" || !strings.HasPrefix(first, "smsgw ") ||
				!strings.Contains(first, "no-such-flag") || !strings.Contains(errs, "\nusage: smsgw "+path[0]) {
				t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, out, errs)
			}
		})
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errs := runArgs(args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: smsgw") || !strings.Contains(out, "exit codes") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	_, v1, _ := runArgs("version")
	if code, v2, _ := runArgs("--version"); code != 0 || v1 != v2 || !strings.HasPrefix(v2, "smsgw ") {
		t.Errorf("--version: exit %d %q, version %q", code, v2, v1)
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"help", "frobnicate"}, {"modem"}, {"pdu"}, {"config"}, {"config", "lint"}} {
		code, out, errs := runArgs(args...)
		first, _, _ := strings.Cut(errs, "\n")
		if code != exitUsage || out != "" || strings.HasPrefix(first, "usage") || !strings.Contains(errs, "usage: smsgw") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// TestUsageErrorsSayWhat: an argument that is missing or wrong is named
// before the usage.
func TestUsageErrorsSayWhat(t *testing.T) {
	t.Setenv("SMSGW_ADDR", "127.0.0.1:1")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--text", "x"}, "smsgw send: --to is required"},
		{[]string{"send", "--to", "+4915112345678", "--text", "x", "--ttl", "2s"}, "--ttl 2s: want 5s to 1 year"},
		{[]string{"send", "--to", "+4915112345678", "--text", "x", "--send-at", "soon"}, `--send-at "soon"`},
		{[]string{"send", "--to", "+4915112345678", "extra"}, `unexpected argument "extra"`},
		{[]string{"send", "--to", "+4915112345678", "--text", "x", "--category", "promo"}, `--category "promo": want "transactional" or "marketing"`},
		{[]string{"status"}, "smsgw status: a message ID is needed"},
		{[]string{"retry", "1", "2"}, "one message ID, not 2"},
		{[]string{"inbox", "--limit", "0"}, "--limit 0: want 1..1000"},
		{[]string{"modems", "--addr", "nohost"}, `--addr "nohost"`},
		{[]string{"sim", "--modems", "1"}, "--dir is required"},
		{[]string{"modem", "probe"}, "one PORT is needed"},
		{[]string{"pdu", "decode"}, "decode takes exactly one HEX argument"},
		{[]string{"serve", "--simulate", "many"}, `invalid value "many" for flag -simulate`},
		{[]string{"serve", "--config", os.DevNull, "--listen", "0.0.0.0:8787"}, "--listen:"},
		{[]string{"config", "check", "a", "b"}, "one FILE, not 2"},
	} {
		code, _, errs := runArgs(c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) || strings.Index(errs, c.want) > strings.Index(errs, "usage:") {
			t.Errorf("%q: exit %d, stderr %q, want %q before the usage", c.args, code, errs, c.want)
		}
	}
}

// TestSendAtAndTags: --send-at and --tags reach the API.
func TestSendAtAndTags(t *testing.T) {
	e := newCLIEnv(t)
	code, out, errs := e.run("send", "--to", "+4915112345678", "--text", "later", "--send-at", "2h", "--tags", "nas,disk", "--ttl", "1h", "--category", "marketing", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	id := regexp.MustCompile(`"id": "(\d+)"`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no id in %s", out)
	}
	code, out, errs = e.run("status", id[1], "--json")
	if code != 0 || !strings.Contains(out, `"send_at"`) || !strings.Contains(out, `"nas"`) || !strings.Contains(out, `"disk"`) || !strings.Contains(out, `"category": "marketing"`) {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
}

func TestUnixSocketNamedInErrors(t *testing.T) {
	sock := t.TempDir() + "/api.sock"
	code, _, errs := runArgs("modems", "--addr", "unix:"+sock)
	if code != exitUnreachable || !strings.Contains(errs, "at unix:"+sock) || strings.Contains(errs, "http://smsgw") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// helpExits returns the codes listed under "exit codes:" in a help text.
func helpExits(help string) []int {
	_, list, ok := strings.Cut(help, "\nexit codes")
	if !ok {
		return nil
	}
	var codes []int
	for _, m := range regexp.MustCompile(`(?m)^  (\d+) `).FindAllStringSubmatch(list, -1) {
		var c int
		for _, d := range m[1] {
			c = c*10 + int(d-'0')
		}
		codes = append(codes, c)
	}
	return codes
}

// helpFlags returns the flag names a help text lists.
func helpFlags(help string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  --?([a-z0-9-]+)`).FindAllStringSubmatch(help, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names
}

// manSections splits the man page's COMMANDS into "smsgw CMD" subsections
// and returns the flags each documents.
func manSections(t *testing.T, man string) map[string][]string {
	t.Helper()
	secs := map[string][]string{}
	cur := ""
	flagLine := regexp.MustCompile(`^\.BI? \\-(?:\\-)?([a-z0-9\\-]+)`)
	prevTP := false
	for _, line := range strings.Split(man, "\n") {
		switch {
		case strings.HasPrefix(line, ".SH"):
			cur = ""
		case strings.HasPrefix(line, `.SS "smsgw `):
			cur = strings.TrimSuffix(strings.TrimPrefix(line, `.SS "`), `"`)
			secs[cur] = []string{}
		case cur != "" && prevTP:
			if m := flagLine.FindStringSubmatch(line); m != nil {
				secs[cur] = append(secs[cur], strings.ReplaceAll(m[1], `\-`, "-"))
			}
		}
		prevTP = line == ".TP"
	}
	for k := range secs {
		sort.Strings(secs[k])
	}
	return secs
}

// TestManPageMatchesHelp: every subcommand has a section in the man page,
// documenting exactly the flags its --help lists, and EXIT STATUS lists
// every exit code.
func TestManPageMatchesHelp(t *testing.T) {
	b, err := os.ReadFile("../../packaging/smsgw.1")
	if err != nil {
		t.Fatal(err)
	}
	man := string(b)
	secs := manSections(t, man)
	for _, path := range commandPaths() {
		name := "smsgw " + strings.Join(path, " ")
		_, help, _ := runArgs(append(append([]string{}, path...), "--help")...)
		want := helpFlags(help)
		if (path[0] == "modem" || path[0] == "pdu" || path[0] == "config" || path[0] == "consent" || path[0] == "contacts" || path[0] == "campaign") && len(path) == 1 {
			continue // the sections are per subcommand
		}
		got, ok := secs[name]
		if !ok {
			t.Errorf("man page has no section %q", name)
			continue
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: man page documents %v, --help lists %v", name, got, want)
		}
	}
	_, status, _ := strings.Cut(man, `.SH "EXIT STATUS"`)
	status, _, _ = strings.Cut(status, "\n.SH ")
	for _, c := range exitCodes() {
		if !strings.Contains(status, ".TP\n.B "+strconvItoa(c)+"\n") {
			t.Errorf("EXIT STATUS does not list %d", c)
		}
	}
}

func strconvItoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

// manExamples returns the command lines of the man page's EXAMPLES, with
// roff escapes undone and continued lines joined.
func manExamples(man string) []string {
	_, ex, _ := strings.Cut(man, ".SH EXAMPLES")
	ex, _, _ = strings.Cut(ex, "\n.SH ")
	var out []string
	in := false
	cur := ""
	for _, line := range strings.Split(ex, "\n") {
		switch {
		case line == ".nf":
			in = true
		case line == ".fi":
			in = false
		case in:
			line = strings.ReplaceAll(line, `\-`, "-")
			if strings.HasSuffix(line, `\e`) {
				cur += strings.TrimSuffix(line, `\e`) + `\` + "\n"
				continue
			}
			out = append(out, cur+line)
			cur = ""
		}
	}
	return out
}

// TestManPageExamplesRun runs the man page's examples as written against a
// real API: the smsgw lines through the CLI, the curl line with curl.
func TestManPageExamplesRun(t *testing.T) {
	b, err := os.ReadFile("../../packaging/smsgw.1")
	if err != nil {
		t.Fatal(err)
	}
	examples := manExamples(string(b))
	if len(examples) < 3 {
		t.Fatalf("examples: %q", examples)
	}
	e := newCLIEnv(t)
	for _, ex := range examples {
		words := shellWords(t, ex)
		switch words[0] {
		case "smsgw":
			for i, w := range words {
				if w == "/etc/smsgw/smsgw.toml" {
					words[i] = "../../packaging/smsgw.toml"
				}
			}
			var wg sync.WaitGroup
			if words[1] == "send" {
				wg.Add(1)
				go func() { defer wg.Done(); e.deliver(true) }()
			}
			code, out, errs := e.run(words[1:]...)
			wg.Wait()
			if code != 0 {
				t.Errorf("%s: exit %d\n%s%s", ex, code, out, errs)
			}
		case "curl":
			if _, err := exec.LookPath("curl"); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal("curl is missing")
				}
				t.Log("no curl: the curl example is not run")
				continue
			}
			script := strings.ReplaceAll(ex, "http://127.0.0.1:8787", e.url)
			cmd := exec.CommandContext(context.Background(), "bash", "-c", script+` -o /dev/null -w '%{http_code}'`)
			cmd.Env = append(os.Environ(), "SMSGW_TOKEN=tok")
			got, err := cmd.Output()
			if err != nil || string(got) != "202" {
				t.Errorf("%s: %v, HTTP %s", ex, err, got)
			}
		case "journalctl":
			// Needs the installed service; the package check covers it.
		default:
			t.Errorf("example %q: no way to run it here", ex)
		}
	}
	if e.queued() != 2 {
		t.Errorf("the send examples queued %d messages, want 2", e.queued())
	}
}

// shellWords splits a command line the way sh would for the simple quoting
// the examples use.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == ' ' || c == '\n' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				t.Fatalf("unbalanced quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestInboxLimitNewestFirst: --limit N shows the newest N, newest first.
func TestInboxLimitNewestFirst(t *testing.T) {
	e := newCLIEnv(t)
	for i := 1; i <= 3; i++ {
		p := queue.InboundPart{Modem: "office", Sender: "+491700000000" + strconvItoa(i), SCTS: time.Now(), PDU: []byte("1:hi")}
		if _, err := e.q.AddInboundPart(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := e.run("inbox", "--limit", "2")
	second, third := strings.Index(out, "+4917000000002"), strings.Index(out, "+4917000000003")
	if code != 0 || third < 0 || second < third || strings.Contains(out, "+4917000000001") {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
}

// TestConfigCheck: every problem is named, one per line, exit 1; a good
// file is ok; nothing is created and no port is bound either way.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close() // the port stays taken: binding it would fail the check
	db := filepath.Join(dir, "state", "smsgw.db")
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte(fmt.Sprintf("[server]\nlisten = %q\n[storage]\npath = %q\n", ln.Addr().String(), db)), 0o600)
	code, out, errs := runArgs("config", "check", good)
	if code != 0 || out != good+": ok\n" || errs != "" {
		t.Fatalf("good file: exit %d %q %q", code, out, errs)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte(fmt.Sprintf("[server]\nlisen = \"x\"\nmax_parts = 300\n[storage]\npath = %q\nfoo = 1\n[log]\nlevel = \"loud\"\n", db)), 0o600)
	code, out, errs = runArgs("config", "check", bad)
	if code != exitRefused || out != "" {
		t.Fatalf("bad file: exit %d %q %q", code, out, errs)
	}
	for _, want := range []string{"4 problem(s)", "\n  unknown key server.lisen\n", "\n  unknown key storage.foo\n", "\n  server.max_parts: 300", "\n  log.level: \"loud\""} {
		if !strings.Contains(errs, want) {
			t.Errorf("missing %q in\n%s", want, errs)
		}
	}
	if _, err := os.Stat(filepath.Dir(db)); !os.IsNotExist(err) {
		t.Errorf("config check created %s: %v", filepath.Dir(db), err)
	}
	if code, _, errs := runArgs("config", "check", filepath.Join(dir, "none.toml")); code != exitRefused || !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: exit %d %q", code, errs)
	}
}
