package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/modem/sim"
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
	t.Run("dispatch efficiency 4 modems at 0.5 s per submit", func(t *testing.T) {
		// As the whole daemon's benchmark measures it: one request of 80
		// recipients with delivery reports (the API's default; the
		// emulated network reports at once), from the enqueue to the
		// network accepting the last.
		const k, n, l = 4, 80, 500 * time.Millisecond
		w := newCMGSWatch()
		net := sim.NewNetwork(sim.NetworkOptions{Logger: slog.New(w)})
		defer net.Close(context.Background())
		r := newRig(t, rigOptions{modems: k, submitDelay: l, net: net})
		r.waitReady(k)
		names := map[string]string{}
		for i, m := range r.modems {
			names[m.Number()] = fmt.Sprintf("sim%d", i)
		}
		before := len(net.Submitted())
		to := make([]string, n)
		for i := range to {
			to[i] = fmt.Sprintf("+4915171%06d", i)
		}
		start := time.Now()
		r.enqueue(queue.NewMessage{To: to, Text: "dispatch", Report: true})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		sent, err := net.WaitSubmitted(ctx, before+n)
		if err != nil {
			t.Fatal(err)
		}
		sent = sent[before:]
		var last time.Time
		by := map[string][]time.Time{}
		for _, s := range sent {
			last = maxTime(last, s.Time)
			by[s.From] = append(by[s.From], s.Time)
		}
		ideal := time.Duration((n+k-1)/k) * l
		took := last.Sub(start)
		// Idle: from the network accepting a modem's submit to that modem
		// reading its next AT+CMGS= (cmgs), and to it taking the next PDU
		// (pdu: the next acceptance less L, the emulator's delay counting
		// from the PDU's ^Z).
		var cmgs, pdu []time.Duration
		for from, ts := range by {
			for i, at := range ts {
				if next, ok := w.next(names[from], at); ok {
					cmgs = append(cmgs, next.Sub(at))
				}
				if i+1 < len(ts) {
					pdu = append(pdu, ts[i+1].Sub(at)-l)
				}
			}
		}
		// The start: from the enqueue to each modem taking its first PDU.
		var counts []int
		var slowest time.Duration
		for _, ts := range by {
			counts = append(counts, len(ts))
			slowest = max(slowest, ts[0].Add(-l).Sub(start))
		}
		sort.Ints(counts)
		t.Logf("FIGURE dispatch efficiency: %.1f %% (%d messages in %.3f s, ideal %.2f s; per modem %v; last modem's first PDU %.1f ms after the enqueue began)",
			100*ideal.Seconds()/took.Seconds(), n, took.Seconds(), ideal.Seconds(), counts, float64(slowest.Microseconds())/1000)
		t.Logf("FIGURE dispatch gap, submit accepted -> next AT+CMGS=: %s", quantiles(cmgs))
		t.Logf("FIGURE dispatch gap, submit accepted -> next PDU taken: %s", quantiles(pdu))
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

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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
