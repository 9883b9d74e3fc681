package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"smsgw"
)

// TestMetricsPresentAtStart scrapes a freshly started daemon (listening
// where --listen says, not where the file does): the runtime
// and process collectors, the build, the queue's age and each hook's
// backlog are there, every modem state has its series (zeros included),
// and the failure counters exist at 0 before the first failure, so rates
// and alerts work from the start.
func TestMetricsPresentAtStart(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "smsgw.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[server]\nlisten = \"unix:/nonexistent/api.sock\"\n[storage]\npath = %q\n[simulate]\ndir = %q\n[inbound]\nexec = [\"/bin/true\"]\n[log]\nlevel = \"warn\"\n",
		filepath.Join(dir, "smsgw.db"), filepath.Join(dir, "sim"))), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	sigs := make(chan os.Signal, 2)
	code := make(chan int, 1)
	go func() {
		c := serve(sigs, make(chan os.Signal), []string{"--config", cfg, "--simulate", "1", "--listen", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		code <- c
	}()
	defer func() {
		sigs <- syscall.SIGTERM
		select {
		case <-code:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
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
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	want := []string{
		"go_goroutines ",
		"go_memstats_heap_inuse_bytes ",
		"process_resident_memory_bytes ",
		"process_open_fds ",
		`smsgw_build_info{commit="unknown",goversion="go`,
		"smsgw_queue_oldest_message_age_seconds 0\n",
		`smsgw_hook_backlog_events{hook="exec"} 0` + "\n",
		`smsgw_hook_deliveries_total{hook="exec",result="failed"} 0` + "\n",
		`smsgw_hook_deliveries_total{hook="exec",result="ok"} 0` + "\n",
		`smsgw_modem_messages_failed_total{modem="sim1"} 0` + "\n",
		`smsgw_modem_reconnects_total{modem="sim1"} 0` + "\n",
	}
	for _, st := range smsgw.ModemStates {
		want = append(want, fmt.Sprintf(`smsgw_modem_state{modem="sim1",state=%q} `, st))
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if n := strings.Count(body, `smsgw_modem_state{modem="sim1"`); n != len(smsgw.ModemStates) {
		t.Errorf("%d modem_state series for sim1, want %d", n, len(smsgw.ModemStates))
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
