package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"smsgw/internal/logging/logtest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestDaemonLogLinesParse runs the daemon in JSON and in journal format at
// debug level through a send and a stop, and checks every line it wrote:
// JSON lines are objects with each key once (jq reads them), journal lines
// are a priority and key=value pairs with each key once.
func TestDaemonLogLinesParse(t *testing.T) {
	for _, format := range []string{"json", "journal"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "smsgw.toml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = %q\n[simulate]\ndir = %q\n[log]\nlevel = \"debug\"\nformat = %q\n",
				filepath.Join(dir, "smsgw.db"), filepath.Join(dir, "sim"), format)), 0o600); err != nil {
				t.Fatal(err)
			}
			pr, pw := io.Pipe()
			var logs strings.Builder
			var mu sync.Mutex
			lr, lw := io.Pipe()
			copied := make(chan struct{})
			go func() {
				defer close(copied)
				b, _ := io.ReadAll(lr)
				mu.Lock()
				logs.Write(b)
				mu.Unlock()
			}()
			sigs := make(chan os.Signal, 2)
			code := make(chan int, 1)
			go func() {
				c := serve(sigs, make(chan os.Signal), []string{"--config", cfg, "--simulate", "2"}, pw, lw)
				pw.Close()
				lw.Close()
				code <- c
			}()
			addrRE := regexp.MustCompile(`API on (http://\S+),`)
			numRE := regexp.MustCompile(`emulated modem sim2: number (\+\d+)`)
			var base, num string
			sc := bufio.NewScanner(pr)
			for (base == "" || num == "") && sc.Scan() {
				if m := numRE.FindStringSubmatch(sc.Text()); m != nil {
					num = m[1]
				}
				if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
					base = m[1]
				}
			}
			go io.Copy(io.Discard, pr)
			if base == "" || num == "" {
				t.Fatal("no API address or number in the output")
			}
			hc := &http.Client{Timeout: 10 * time.Second}
			resp, err := hc.Post(base+"/v1/messages", "application/json", strings.NewReader(fmt.Sprintf(`{"to": %q, "text": "log test", "modem": "sim1"}`, num)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			deadline := time.Now().Add(20 * time.Second)
			for {
				r, err := hc.Get(base + "/v1/messages/1")
				if err != nil {
					t.Fatal(err)
				}
				var m struct{ State string }
				json.NewDecoder(r.Body).Decode(&m)
				r.Body.Close()
				if m.State == "delivered" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("message state %q", m.State)
				}
				time.Sleep(20 * time.Millisecond)
			}
			sigs <- syscall.SIGTERM
			select {
			case <-code:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
			<-copied
			mu.Lock()
			out := logs.String()
			mu.Unlock()
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) < 5 || !strings.Contains(out, "message_id") {
				t.Fatalf("too little logged (%d lines):\n%s", len(lines), out)
			}
			for _, line := range lines {
				var keys []string
				var err error
				if format == "json" {
					keys, err = logtest.JSONKeys(line)
				} else if len(line) < 3 || line[0] != '<' || line[2] != '>' {
					err = fmt.Errorf("no priority prefix")
				} else {
					keys, err = logtest.LogfmtKeys(line[3:])
				}
				if err != nil {
					t.Errorf("%v: %q", err, line)
					continue
				}
				seen := map[string]bool{}
				for _, k := range keys {
					if seen[k] {
						t.Errorf("key %q twice: %q", k, line)
					}
					seen[k] = true
				}
			}
			if format == "json" {
				jq, err := exec.LookPath("jq")
				if err != nil {
					if os.Getenv("CI") != "" {
						t.Fatal("jq is missing")
					}
					return
				}
				cmd := exec.Command(jq, "-r", "select(.message_id != null) | .msg")
				cmd.Stdin = strings.NewReader(out)
				got, err := cmd.Output()
				if err != nil || !strings.Contains(string(got), "sent\n") {
					t.Errorf("jq: %v %q", err, got)
				}
			}
		})
	}
}
