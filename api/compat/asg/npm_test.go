package asg_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"smsgw/api"
	"smsgw/api/compat/asg"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
	"strings"
	"testing"
	"time"
)

// needTool skips when a tool is missing, except in CI where it must exist.
func needTool(t *testing.T, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (CI=true): %s", name, hint)
		}
		t.Skipf("%s not found: %s", name, hint)
	}
	return p
}

// TestSMSGateNpmClient runs the published android-sms-gateway client (npm
// package android-sms-gateway, pinned in testdata/npm/package-lock.json)
// against the handler on a real loopback listener: send, poll the state to
// Delivered, webhooks, devices, health and the inbox.
func TestSMSGateNpmClient(t *testing.T) {
	node := needTool(t, "node", "install Debian's nodejs (and npm)")
	npm := needTool(t, "npm", "install Debian's npm")
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "smsgate.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "npm", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ci := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	ci.Dir = dir
	if out, err := ci.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
		t.Skipf("npm ci failed (no registry access?): %v\n%s", err, out)
	}

	e := httpdtest.New(t, httpd.Options{Tokens: []httpd.Token{{Secret: "s3cret", Scope: api.ScopeFull}}})
	e.AddInbound("m1", "+4915100000009", "inbound for node", time.Now())
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()

	cmd := exec.Command(node, "smsgate.mjs", srv.URL+"/3rdparty/v1", "sms", "s3cret")
	cmd.Dir = dir
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()

	steps := map[string]json.RawMessage{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		step, body, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		steps[step] = json.RawMessage(body)
		if step == "sent" {
			var r struct {
				Status int                 `json:"status"`
				Body   asg.ASGMessageState `json:"body"`
			}
			json.Unmarshal([]byte(body), &r)
			page, err := e.Store.Messages(t.Context(), api.MessageFilter{Batch: r.Body.ID})
			if err != nil || len(page.Messages) != 2 {
				t.Fatalf("batch %q: %v %+v", r.Body.ID, err, page)
			}
			for i, m := range page.Messages {
				e.MarkSent(m.ID, 20+i)
				e.Report(m.ID, 20+i, true)
			}
			io.WriteString(stdin, "go\n")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}

	type reply struct {
		Status   int             `json:"status"`
		Location string          `json:"location"`
		Total    string          `json:"total"`
		Body     json.RawMessage `json:"body"`
	}
	get := func(step string) reply {
		t.Helper()
		var r reply
		if err := json.Unmarshal(steps[step], &r); err != nil {
			t.Fatalf("step %s missing (%v); stderr:\n%s", step, err, stderr.String())
		}
		return r
	}
	var st asg.ASGMessageState
	r := get("sent")
	json.Unmarshal(r.Body, &st)
	if r.Status != 202 || st.State != "Pending" || len(st.Recipients) != 2 || !strings.HasSuffix(r.Location, "/messages/"+st.ID) {
		t.Fatalf("send: %s", steps["sent"])
	}
	r = get("state")
	json.Unmarshal(r.Body, &st)
	if r.Status != 200 || st.State != "Delivered" || st.Recipients[1].State != "Delivered" {
		t.Fatalf("state: %s", steps["state"])
	}
	if r := get("webhook"); r.Status != 201 {
		t.Fatalf("webhook: %s", steps["webhook"])
	}
	if r := get("webhooks"); r.Status != 200 || !strings.Contains(string(r.Body), "https://example.org/sms") {
		t.Fatalf("webhooks: %s", steps["webhooks"])
	}
	if r := get("deleted"); r.Status != 204 {
		t.Fatalf("delete: %s", steps["deleted"])
	}
	if r := get("devices"); r.Status != 200 || !strings.Contains(string(r.Body), `"id":"m1"`) {
		t.Fatalf("devices: %s", steps["devices"])
	}
	if r := get("health"); r.Status != 200 || !strings.Contains(string(r.Body), `"status":"warn"`) {
		t.Fatalf("health: %s", steps["health"])
	}
	if r := get("inbox"); r.Status != 200 || r.Total != "1" || !strings.Contains(string(r.Body), "inbound for node") {
		t.Fatalf("inbox: %s", steps["inbox"])
	}
}
