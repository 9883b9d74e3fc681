// Package integrations holds forwarding scripts for Home Assistant, Zabbix,
// Nagios/Icinga and Grafana. The scripts are not Go; these tests run them
// for real (sh, curl, /usr/bin/python3) against local HTTP listeners.
package integrations

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// need finds an external tool; without it the test is skipped, except in
// CI (CI=true), where a missing tool is a broken setup.
func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found; CI must install Debian package %s", tool, pkg)
		}
		t.Skipf("%s not found; install Debian package %s", tool, pkg)
	}
	return p
}

// request is what a capture server saw.
type request struct {
	Path   string
	Header http.Header
	Body   []byte
}

// capture is an HTTP listener that records requests and answers status.
type capture struct {
	*httptest.Server
	mu     sync.Mutex
	got    []request
	status int
}

func newCapture(t *testing.T, status int) *capture {
	c := &capture{status: status}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.got = append(c.got, request{r.URL.RequestURI(), r.Header.Clone(), b})
		st := c.status
		c.mu.Unlock()
		w.WriteHeader(st)
		io.WriteString(w, `{"id":"m1"}`)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *capture) requests() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]request(nil), c.got...)
}

// run starts a script with exactly env (plus PATH), stdin, and returns its
// exit code and combined output.
func run(t *testing.T, env []string, stdin string, script string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./"+script, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "SMSGW_NOTIFY_CONF=/nonexistent"}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	default:
		t.Fatalf("%s: %v", script, err)
		return -1, ""
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestHomeAssistantPostsStdinJSON(t *testing.T) {
	need(t, "curl", "curl")
	srv := newCapture(t, http.StatusOK)
	msg := `{"id":"01J","from":"+4915112345678","text":"Garage \"open\"? 😀","modem":"office","receivedAt":"2026-11-21T22:00:00Z"}`
	code, out := run(t, nil, msg, "home-assistant.sh", srv.URL+"/api/webhook/smsgw-received")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	got := srv.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	if got[0].Path != "/api/webhook/smsgw-received" || got[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s with Content-Type %q", got[0].Path, got[0].Header.Get("Content-Type"))
	}
	if string(got[0].Body) != msg {
		t.Errorf("body changed:\n got %s\nwant %s", got[0].Body, msg)
	}
}

// Called the gammu-smsd way: nothing on stdin, the message in SMS_* vars.
func TestHomeAssistantGammuEnvironment(t *testing.T) {
	need(t, "curl", "curl")
	srv := newCapture(t, http.StatusOK)
	tests := []struct {
		name string
		env  []string
		want map[string]any
	}{
		{"decoded text", []string{"SMS_MESSAGES=1", "SMS_1_NUMBER=+4917", "SMS_1_TEXT=x", "DECODED_1_TEXT=a\"b\\c\nd\té😀\x01", "PHONE_ID=m1"},
			map[string]any{"from": "+4917", "text": "a\"b\\c\nd\té😀\x01", "modem": "m1"}},
		{"parts joined", []string{"SMS_MESSAGES=2", "SMS_1_NUMBER=+4917", "SMS_1_TEXT=part one, ", "SMS_2_TEXT=\"two\""},
			map[string]any{"from": "+4917", "text": "part one, \"two\"", "modem": ""}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := run(t, tc.env, "", "home-assistant.sh", srv.URL+"/hook")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			got := srv.requests()
			if len(got) != i+1 {
				t.Fatalf("%d requests, want %d", len(got), i+1)
			}
			if diff := cmp.Diff(tc.want, decode(t, got[i].Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHomeAssistantFailureIsNonZero(t *testing.T) {
	need(t, "curl", "curl")
	srv := newCapture(t, http.StatusInternalServerError)
	if code, out := run(t, nil, `{"from":"+1","text":"x"}`, "home-assistant.sh", srv.URL); code == 0 {
		t.Fatalf("exit 0 on HTTP 500, want non-zero so smsgw retries: %s", out)
	}
	if code, _ := run(t, nil, "", "home-assistant.sh", srv.URL); code == 0 {
		t.Fatal("exit 0 with neither stdin JSON nor SMS_1_NUMBER")
	}
}

func TestNotifySendsThroughAPI(t *testing.T) {
	need(t, "curl", "curl")
	srv := newCapture(t, http.StatusAccepted)
	tests := []struct {
		name  string
		env   []string
		stdin string
		args  []string
		want  map[string]any
	}{
		{"zabbix three args", []string{"SMSGW_TOKEN=send:s3cret"}, "",
			[]string{"+4915112345678", "PROBLEM: Disk full", "Host nas, /srv 97%"},
			map[string]any{"to": []any{"+4915112345678"}, "text": "PROBLEM: Disk full\nHost nas, /srv 97%"}},
		{"nagios two args, two numbers", nil, "",
			[]string{"+4915112345678, +4930123", `PROBLEM web/http is "CRITICAL"`},
			map[string]any{"to": []any{"+4915112345678", "+4930123"}, "text": `PROBLEM web/http is "CRITICAL"`}},
		{"stdin", nil, "from stdin\n", []string{"+4930123", "-"},
			map[string]any{"to": []any{"+4930123"}, "text": "from stdin"}},
		{"cut by characters, not bytes", []string{"SMSGW_MAX_CHARS=5"}, "", []string{"+4930123", "é😀abcdef"},
			map[string]any{"to": []any{"+4930123"}, "text": "é😀abc"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := run(t, append([]string{"SMSGW_URL=" + srv.URL}, tc.env...), tc.stdin, "smsgw-notify.sh", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			got := srv.requests()[i]
			if got.Path != "/v1/messages" {
				t.Errorf("path %s, want /v1/messages", got.Path)
			}
			wantAuth := ""
			for _, e := range tc.env {
				if tok, ok := strings.CutPrefix(e, "SMSGW_TOKEN="); ok {
					wantAuth = "Bearer " + tok
				}
			}
			if a := got.Header.Get("Authorization"); a != wantAuth {
				t.Errorf("Authorization %q, want %q", a, wantAuth)
			}
			if diff := cmp.Diff(tc.want, decode(t, got.Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// Zabbix and Nagios retry on non-zero; a refused message must say so
// differently from an unreachable gateway.
func TestNotifyExitCodes(t *testing.T) {
	need(t, "curl", "curl")
	for _, tc := range []struct {
		status, want int
	}{{http.StatusAccepted, 0}, {http.StatusBadRequest, 1}, {http.StatusUnprocessableEntity, 1}, {http.StatusServiceUnavailable, 75}} {
		srv := newCapture(t, tc.status)
		if code, out := run(t, []string{"SMSGW_URL=" + srv.URL}, "", "smsgw-notify.sh", "+4930123", "x"); code != tc.want {
			t.Errorf("HTTP %d: exit %d, want %d (%s)", tc.status, code, tc.want, out)
		}
	}
	down := newCapture(t, 200)
	url := down.URL
	down.Close()
	if code, _ := run(t, []string{"SMSGW_URL=" + url}, "", "smsgw-notify.sh", "+4930123", "x"); code != 75 {
		t.Errorf("unreachable: exit %d, want 75", code)
	}
	if code, _ := run(t, nil, "", "smsgw-notify.sh", "+4930123"); code != 2 {
		t.Errorf("one argument: exit %d, want 2", code)
	}
}

// Monitoring systems start scripts with an empty environment: the settings
// come from a KEY=VALUE file that is read, never executed.
func TestNotifyConfFile(t *testing.T) {
	need(t, "curl", "curl")
	srv := newCapture(t, http.StatusAccepted)
	dir := t.TempDir()
	marker := filepath.Join(dir, "executed")
	conf := filepath.Join(dir, "notify.conf")
	os.WriteFile(conf, []byte("# comment\nSMSGW_URL="+srv.URL+"\nSMSGW_TOKEN=send:fromfile\nSMSGW_MAX_CHARS=$(touch "+marker+")\n"), 0o600)
	code, out := run(t, []string{"SMSGW_NOTIFY_CONF=" + conf, "SMSGW_MAX_CHARS=100"}, "", "smsgw-notify.sh", "+4930123", "x")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	if a := srv.requests()[0].Header.Get("Authorization"); a != "Bearer send:fromfile" {
		t.Errorf("Authorization %q, want the token from the file", a)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a value in notify.conf was executed")
	}
}

// startAdapter runs grafana-to-sms.py on a free port and returns its URL.
func startAdapter(t *testing.T, env []string) string {
	t.Helper()
	need(t, "/usr/bin/python3", "python3")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "grafana-to-sms.py", "--listen", "127.0.0.1:0")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	addr := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if a, ok := strings.CutPrefix(lines.Text(), "grafana-to-sms: listening on "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(20 * time.Second):
		t.Fatal("grafana-to-sms.py did not start")
		return ""
	}
}

func post(t *testing.T, url string, body []byte, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestGrafanaAdapter(t *testing.T) {
	smsgw := newCapture(t, http.StatusAccepted)
	adapter := startAdapter(t, []string{"SMSGW_URL=" + smsgw.URL, "SMSGW_TOKEN=send:tok"})
	payload, err := os.ReadFile("testdata/grafana-firing.json")
	if err != nil {
		t.Fatal(err)
	}

	if code, body := post(t, adapter+"/alert?to=%2B4915112345678,%2B4930123", payload, nil); code != 200 {
		t.Fatalf("HTTP %d: %s", code, body)
	}
	got := smsgw.requests()
	if len(got) != 1 {
		t.Fatalf("smsgw got %d requests, want 1", len(got))
	}
	if got[0].Path != "/v1/messages" || got[0].Header.Get("Authorization") != "Bearer send:tok" {
		t.Errorf("request %s, Authorization %q", got[0].Path, got[0].Header.Get("Authorization"))
	}
	want := map[string]any{
		"to":   []any{"+4915112345678", "+4930123"},
		"text": "[FIRING:2] DiskFull (critical)\n!! Disk /srv 97% full (nas:9100)\n!! Disk /var 95% full (backup:9100)",
	}
	if diff := cmp.Diff(want, decode(t, got[0].Body)); diff != "" {
		t.Errorf("SMS (-want +got):\n%s", diff)
	}

	// Grafana repeats an unresolved notification: no second SMS.
	if code, body := post(t, adapter+"/alert?to=%2B4915112345678", payload, nil); code != 200 || !strings.Contains(body, "duplicate") {
		t.Errorf("repeat: HTTP %d %q, want 200 duplicate", code, body)
	}
	// Resolved is news.
	resolved := strings.ReplaceAll(string(payload), `"firing"`, `"resolved"`)
	if code, body := post(t, adapter+"/alert?to=%2B4915112345678", []byte(resolved), nil); code != 200 || body != "queued\n" {
		t.Errorf("resolved: HTTP %d %q", code, body)
	}
	if n := len(smsgw.requests()); n != 2 {
		t.Errorf("smsgw got %d requests, want 2", n)
	}

	for _, tc := range []struct {
		name, url, body string
		want            int
	}{
		{"no recipients", adapter + "/alert", string(payload), 400},
		{"bad JSON", adapter + "/alert?to=1", "{", 400},
		{"not an object", adapter + "/alert?to=1", "[]", 400},
	} {
		if code, body := post(t, tc.url, []byte(tc.body), nil); code != tc.want {
			t.Errorf("%s: HTTP %d %q, want %d", tc.name, code, body, tc.want)
		}
	}
}

func TestGrafanaAdapterSignatureAndFailures(t *testing.T) {
	smsgw := newCapture(t, http.StatusServiceUnavailable)
	adapter := startAdapter(t, []string{"SMSGW_URL=" + smsgw.URL, "SMSGW_TO=+4930123",
		"GRAFANA_HMAC_SECRET=k", "GRAFANA_TIMESTAMP_HEADER=X-Grafana-Alerting-Signature-Timestamp"})
	payload, _ := os.ReadFile("testdata/grafana-firing.json")
	sign := func(ts string) string {
		m := hmac.New(sha256.New, []byte("k"))
		m.Write([]byte(ts + ":"))
		m.Write(payload)
		return hex.EncodeToString(m.Sum(nil))
	}
	now := time.Now().Unix()
	ts := func(d int64) string { return strconv.FormatInt(now+d, 10) }

	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"unsigned", nil, 401},
		{"wrong signature", map[string]string{"X-Grafana-Alerting-Signature": sign(ts(1)), "X-Grafana-Alerting-Signature-Timestamp": ts(0)}, 401},
		{"stale timestamp", map[string]string{"X-Grafana-Alerting-Signature": sign(ts(-600)), "X-Grafana-Alerting-Signature-Timestamp": ts(-600)}, 401},
		// Signed correctly, but smsgw answers 503: Grafana must retry.
		{"smsgw down", map[string]string{"X-Grafana-Alerting-Signature": sign(ts(0)), "X-Grafana-Alerting-Signature-Timestamp": ts(0)}, 502},
	} {
		if code, body := post(t, adapter+"/alert", payload, tc.header); code != tc.want {
			t.Errorf("%s: HTTP %d %q, want %d", tc.name, code, body, tc.want)
		}
	}
	if n := len(smsgw.requests()); n != 1 {
		t.Errorf("smsgw got %d requests, want 1 (only the signed one)", n)
	}
}

func TestShellcheck(t *testing.T) {
	sc := need(t, "shellcheck", "shellcheck")
	scripts, _ := filepath.Glob("*.sh")
	if len(scripts) == 0 {
		t.Fatal("no scripts found")
	}
	out, err := exec.Command(sc, append([]string{"-s", "sh"}, scripts...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
