package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// TestFigures measures what the README reports. It takes about a minute,
// so it runs only with SMSGW_FIGURES=1:
//
//	SMSGW_FIGURES=1 go test -run TestFigures -v ./gateway/
func TestFigures(t *testing.T) {
	if os.Getenv("SMSGW_FIGURES") == "" {
		t.Skip("set SMSGW_FIGURES=1 to measure throughput and latencies")
	}
	t.Run("throughput 4 modems at 0.5 s per submit", func(t *testing.T) {
		r := newRig(t, rigOptions{modems: 4, submitDelay: 500 * time.Millisecond})
		r.waitReady(4)
		const n = 120
		var all []int64
		start := time.Now()
		for i := 0; i < n; i++ {
			all = append(all, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: fmt.Sprintf("bulk %d", i)}))...)
		}
		r.waitStates(all, 120*time.Second, smsgw.StateSent)
		d := time.Since(start)
		t.Logf("FIGURE throughput: %d messages in %.2f s = %.2f msg/s (ideal 8.00 msg/s: 4 modems / 0.5 s)", n, d.Seconds(), n/d.Seconds())
	})
	t.Run("acceptance to first CMGS, idle gateway", func(t *testing.T) {
		r := newRig(t, rigOptions{modems: 2})
		r.waitReady(2)
		var lat []time.Duration
		for i := 0; i < 50; i++ {
			time.Sleep(20 * time.Millisecond) // idle: every worker waits in Claim
			ms := r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: "otp 123456", Priority: 10})
			accepted := time.Now()
			r.waitFor("first CMGS", 10*time.Second, func() bool { _, ok := r.firstCMGS(ms[0].ID); return ok })
			at, _ := r.firstCMGS(ms[0].ID)
			lat = append(lat, at.Sub(accepted))
		}
		t.Logf("FIGURE acceptance->first AT+CMGS: %s", quantiles(lat))
	})
	t.Run("CMTI to script start", func(t *testing.T) {
		dir := t.TempDir()
		stamp := filepath.Join(dir, "stamps")
		script := filepath.Join(dir, "on-sms")
		os.WriteFile(script, []byte("#!/bin/sh\ndate +%s%N >> \""+stamp+"\"\n"), 0o755)
		r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) { c.Inbound.Exec = []string{script} }})
		r.waitReady(1)
		var lat []time.Duration
		for i := 0; i < 30; i++ {
			before := countLines(stamp)
			if err := r.net.Deliver(r.modems[0].Number(), "+4915100000001", fmt.Sprintf("ping %d", i)); err != nil {
				t.Fatal(err)
			}
			r.waitFor("script", 10*time.Second, func() bool { return countLines(stamp) > before })
			lines := readLines(stamp)
			ns, _ := strconv.ParseInt(lines[len(lines)-1], 10, 64)
			lat = append(lat, time.Unix(0, ns).Sub(r.lastCMTI("sim0")))
		}
		t.Logf("FIGURE +CMTI->script start: %s", quantiles(lat))
	})
}

func readLines(p string) []string {
	b, _ := os.ReadFile(p)
	return strings.Fields(string(b))
}

func countLines(p string) int { return len(readLines(p)) }

func quantiles(d []time.Duration) string {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(f float64) time.Duration { return d[int(f*float64(len(d)-1))].Round(10 * time.Microsecond) }
	return fmt.Sprintf("n=%d p50=%v p90=%v max=%v", len(d), q(0.5), q(0.9), d[len(d)-1].Round(10*time.Microsecond))
}
