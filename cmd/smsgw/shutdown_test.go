package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"smsgw"
	"smsgw/config"
	"smsgw/internal/daemon"
	"smsgw/store/sqlite"
)

// A graceful stop with an HTTP client that never finishes its request: the
// HTTP side gives up after [server] shutdown_timeout, and the send already
// on the wire, on its own [retry] drain_timeout, still finishes and is
// recorded sent. The stop does not wait for the stuck client's read
// timeout (30 s).
func TestStopWithStuckClientFinishesSend(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db", "smsgw.db")
	cfg := filepath.Join(dir, "smsgw.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
[server]
listen = "127.0.0.1:0"
shutdown_timeout = "1s"
[retry]
drain_timeout = "60s"
[storage]
path = %q
[simulate]
dir = %q
submit_delay = "4s"
[log]
level = "warn"
`, db, filepath.Join(dir, "sim"))), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	sigs := make(chan os.Signal, 2)
	code := make(chan int, 1)
	go func() {
		c := serve(sigs, make(chan os.Signal), []string{"--config", cfg, "--simulate", "1"}, pw, io.Discard)
		pw.Close()
		code <- c
	}()
	addrRE := regexp.MustCompile(`API on (http://\S+),`)
	var base string
	sc := bufio.NewScanner(pr)
	for base == "" && sc.Scan() {
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatal("no API address in the output")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(base+"/v1/messages", "application/json", strings.NewReader(`{"to": "+15557770001", "text": "drain me"}`))
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Messages []struct{ ID string }
	}
	json.NewDecoder(resp.Body).Decode(&sent)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || len(sent.Messages) != 1 {
		t.Fatalf("POST /v1/messages: %s %+v", resp.Status, sent)
	}
	id := sent.Messages[0].ID

	// The send is on the wire: the emulated network answers after 4 s.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("message never went to the modem")
		}
		r, err := client.Get(base + "/v1/messages/" + url.PathEscape(id))
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ State string }
		json.NewDecoder(r.Body).Decode(&m)
		r.Body.Close()
		if m.State == "sending" {
			break
		}
	}
	// A client that announces a body and never sends it.
	u, _ := url.Parse(base)
	stuck, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	fmt.Fprintf(stuck, "POST /v1/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"to\":", u.Host)
	// Wait until the server is in the handler (its request is active),
	// using an ordinary request behind it as the marker of progress.
	if r, err := client.Get(base + "/healthz"); err == nil {
		r.Body.Close()
	}

	start := time.Now()
	sigs <- syscall.SIGTERM
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit code %d after SIGTERM", c)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("stop took %v: the drain waited for the stuck client", el)
	}

	st, err := sqlite.Open(db, daemon.QueueOptions(config.Default(), nil), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	counts, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[smsgw.StateSent]+counts[smsgw.StateDelivered] != 1 {
		t.Errorf("after the stop: %v; want the message on the wire sent", counts)
	}
}
