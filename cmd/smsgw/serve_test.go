package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The newcomer's path: `smsgw serve --simulate 2`, send from one emulated
// modem to the other through the API, read it back from the inbox, stop
// with SIGTERM.
func TestServeSimulateEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "smsgw.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
[server]
listen = "127.0.0.1:0"
[storage]
path = %q
[simulate]
dir = %q
[log]
level = "warn"
`, filepath.Join(dir, "db", "smsgw.db"), filepath.Join(dir, "sim"))), 0o600); err != nil {
		t.Fatal(err)
	}
	// systemd's notify socket: READY once the API listens, STOPPING at the end.
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	t.Setenv("NOTIFY_SOCKET", filepath.Join(dir, "notify"))
	notes := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := notify.Read(buf)
			if err != nil {
				close(notes)
				return
			}
			notes <- string(buf[:n])
		}
	}()

	pr, pw := io.Pipe()
	sigs := make(chan os.Signal, 2)
	dump := make(chan os.Signal, 1)
	code := make(chan int, 1)
	go func() {
		c := serve(sigs, dump, []string{"--config", cfg, "--simulate", "2"}, pw, io.Discard)
		pw.Close()
		code <- c
	}()
	addrRE := regexp.MustCompile(`API on (http://\S+),`)
	numRE := regexp.MustCompile(`emulated modem (sim\d): number (\+\d+)`)
	numbers := map[string]string{}
	var base string
	sc := bufio.NewScanner(pr)
	for base == "" && sc.Scan() {
		if m := numRE.FindStringSubmatch(sc.Text()); m != nil {
			numbers[m[1]] = m[2]
		}
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" || numbers["sim2"] == "" {
		t.Fatalf("no API address / numbers in the output (%v)", numbers)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	body := fmt.Sprintf(`{"to": %q, "text": "hello from sim1 👋", "modem": "sim1"}`, numbers["sim2"])
	resp, err := client.Post(base+"/v1/messages", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/messages: %s", resp.Status)
	}
	deadline := time.Now().Add(20 * time.Second)
	var inbox struct {
		Messages []struct{ From, Text, Modem string }
	}
	for len(inbox.Messages) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("message never reached the inbox")
		}
		time.Sleep(20 * time.Millisecond)
		r, err := client.Get(base + "/v1/inbox")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(r.Body).Decode(&inbox)
		r.Body.Close()
	}
	got := inbox.Messages[0]
	if got.From != numbers["sim1"] || got.Text != "hello from sim1 👋" || got.Modem != "sim2" {
		t.Errorf("inbox: %+v", got)
	}
	r, err := client.Get(base + "/v1/modems")
	if err != nil {
		t.Fatal(err)
	}
	var ms struct {
		Modems []struct{ ID, Number, State string }
	}
	json.NewDecoder(r.Body).Decode(&ms)
	r.Body.Close()
	if len(ms.Modems) != 2 || ms.Modems[0].Number != numbers["sim1"] || ms.Modems[0].State != "ready" {
		t.Errorf("modems: %+v", ms.Modems)
	}

	select {
	case n := <-notes:
		if !strings.HasPrefix(n, "READY=1\nSTATUS=") || !strings.Contains(n, "modems ready") {
			t.Errorf("first notification %q, want READY=1 with a STATUS", n)
		}
	case <-time.After(10 * time.Second):
		t.Error("no READY=1 notification")
	}

	// SIGUSR1: the AT traces land next to the database.
	dump <- syscall.SIGUSR1
	deadline = time.Now().Add(10 * time.Second)
	for {
		traces, _ := filepath.Glob(filepath.Join(dir, "db", "at-trace-sim1-*.log"))
		if len(traces) == 1 {
			b, _ := os.ReadFile(traces[0])
			if !strings.Contains(string(b), "AT+CMGS") {
				t.Errorf("trace without the send:\n%s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no AT trace dumped")
		}
		time.Sleep(10 * time.Millisecond)
	}

	sigs <- syscall.SIGTERM
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit code %d after SIGTERM", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	for stopping := false; !stopping; {
		select {
		case n := <-notes:
			stopping = strings.HasPrefix(n, "STOPPING=1")
		case <-time.After(5 * time.Second):
			t.Error("no STOPPING=1 notification")
			stopping = true
		}
	}
}

func TestServeBadConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(p, []byte("[server]\nlisen = \"x\"\n"), 0o600)
	var errOut strings.Builder
	if c := serve(nil, nil, []string{"--config", p}, io.Discard, &errOut); c != exitRefused || !strings.Contains(errOut.String(), "server.lisen") {
		t.Errorf("exit %d, stderr %q", c, errOut.String())
	}
}

func TestServeSimulateOutOfBounds(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.toml")
	os.WriteFile(p, nil, 0o600)
	var errOut strings.Builder
	if c := serve(nil, nil, []string{"--config", p, "--simulate", "65"}, io.Discard, &errOut); c != 2 ||
		!strings.Contains(errOut.String(), "--simulate: 65: want 0..64") {
		t.Errorf("exit %d, stderr %q", c, errOut.String())
	}
}
