package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"smsgw/modem/sim"
)

// TestBenchDaemon measures the whole daemon from outside: the real `smsgw
// serve` process on emulated modems, driven over HTTP from this process,
// which also runs the emulated network (so the daemon's own CPU and memory
// are its alone). It prints one table, beside the figures of the parts
// measured alone (the API on a bare handler, the queue, the gateway core in
// one process), so the gap shows.
//
// `make bench-daemon` runs the full version (SMSGW_BENCH=1) on bin/smsgw;
// `go test` runs a short one that checks only that every phase runs and
// every row gets a figure. No figure is asserted: on a shared 2-core machine
// a timed assertion would only flake.
//
// Every size and duration is an environment variable (short / full):
//
//	SMSGW_BENCH_BIN            daemon binary (default: this test binary as smsgw)
//	SMSGW_BENCH_MODEMS         emulated modems, K (4)
//	SMSGW_BENCH_SUBMIT_DELAY   time per submit, L (50ms / 500ms)
//	SMSGW_BENCH_LATENCY_N      sequential single sends for acceptance->AT+CMGS (3 / 50)
//	SMSGW_BENCH_DISPATCH_N     messages for the dispatch efficiency (8 / 80)
//	SMSGW_BENCH_INBOUND_N      inbound SMS for +CMTI->script start (2 / 30)
//	SMSGW_BENCH_IDLE           idle window for CPU (1s / 60s)
//	SMSGW_BENCH_CONNS          connections of the accept phase (16)
//	SMSGW_BENCH_ACCEPT         length of the accept phase (300ms / 5s)
//	SMSGW_BENCH_BATCH          recipients per batch request (50 / 500)
//	SMSGW_BENCH_BATCH_CONNS    connections of the batch phase (4)
//	SMSGW_BENCH_BATCHES        length of the batch phase (300ms / 5s)
//	SMSGW_BENCH_PROFILE        directory: CPU and allocation profiles of the
//	                           daemon during the accept phase, and a CPU profile
//	                           of the batch phase (turns [debug] pprof on)
//	SMSGW_BENCH_QUEUED         messages to leave queued (behind offline modems)
//	                           before timing /metrics, lists and a send from
//	                           outside (0: no such phase; 1000000 for the figure)
//	SMSGW_BENCH_PROBES         requests of each kind timed in that phase (50)
//	SMSGW_BENCH_BARE           1: also run the bare benchmarks (default in the full version)
//	SMSGW_BENCH_GO             the go command for them (go)
func TestBenchDaemon(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the emulated modems need Linux ptys, /proc for CPU and RSS")
	}
	full := os.Getenv("SMSGW_BENCH") == "1"
	if testing.Short() && !full {
		t.Skip("bench-daemon: not with -short")
	}
	p := benchParams(full)
	b := newBench(t, p)
	load0 := loadAvg()

	var bare bareFigures
	if p.bare {
		bare = runBare(t, p)
	}

	b.startDaemon()
	rows := b.run()
	if !full {
		for _, r := range rows {
			if r.daemon == "" {
				t.Errorf("row %q has no figure", r.what)
			}
		}
	}
	b.stopDaemon()
	bare.fill(rows)

	var out strings.Builder
	fmt.Fprintf(&out, "\nsmsgw bench-daemon, %s, %d CPUs, load average before %s, after %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), load0, loadAvg())
	fmt.Fprintf(&out, "K=%d emulated modems, L=%g s per submit; daemon %s\n\n", p.modems, p.submitDelay.Seconds(), b.binName())
	fmt.Fprintln(&out, "| figure | whole daemon (smsgw serve, HTTP from a second process) | parts alone |")
	fmt.Fprintln(&out, "|---|---|---|")
	// In the order the figures are usually quoted: ingest, latency,
	// dispatch, inbound, cost per SMS, idle cost.
	order := []string{"durable single accepts", "recipients in batches", "acceptance to AT+CMGS", "dispatch efficiency",
		"dispatch gap", "dispatch idle", "+CMTI", "AT commands per", "idle CPU", "RSS", "with "}
	rank := func(r *row) int {
		for i, p := range order {
			if strings.HasPrefix(r.what, p) {
				return i
			}
		}
		return len(order)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rank(rows[i]) < rank(rows[j]) })
	for _, r := range rows {
		alone := r.alone
		if alone == "" {
			alone = "–"
		}
		fmt.Fprintf(&out, "| %s | %s | %s |\n", r.what, r.daemon, alone)
	}
	fmt.Print(out.String())
}

type benchP struct {
	full                          bool
	bin                           string
	modems                        int
	submitDelay                   time.Duration
	latencyN, dispatchN, inboundN int
	idle                          time.Duration
	conns, batch, batchConns      int
	accept, batches               time.Duration
	profile                       string
	queued, probes                int
	bare                          bool
	goCmd                         string
}

func benchParams(full bool) benchP {
	p := benchP{full: full, modems: 4, submitDelay: 50 * time.Millisecond, latencyN: 3, dispatchN: 8, inboundN: 2,
		idle: time.Second, conns: 16, batch: 50, batchConns: 4, accept: 300 * time.Millisecond, batches: 300 * time.Millisecond, probes: 50}
	if full {
		p.submitDelay, p.latencyN, p.dispatchN, p.inboundN = 500*time.Millisecond, 50, 80, 30
		p.idle, p.batch, p.accept, p.batches = 60*time.Second, 500, 5*time.Second, 5*time.Second
		p.bare = true
	}
	num := func(name string, v *int) {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
			*v = n
		}
	}
	dur := func(name string, v *time.Duration) {
		if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d >= 0 {
			*v = d
		}
	}
	num("SMSGW_BENCH_MODEMS", &p.modems)
	dur("SMSGW_BENCH_SUBMIT_DELAY", &p.submitDelay)
	num("SMSGW_BENCH_LATENCY_N", &p.latencyN)
	num("SMSGW_BENCH_DISPATCH_N", &p.dispatchN)
	num("SMSGW_BENCH_INBOUND_N", &p.inboundN)
	dur("SMSGW_BENCH_IDLE", &p.idle)
	num("SMSGW_BENCH_CONNS", &p.conns)
	dur("SMSGW_BENCH_ACCEPT", &p.accept)
	num("SMSGW_BENCH_BATCH", &p.batch)
	num("SMSGW_BENCH_BATCH_CONNS", &p.batchConns)
	dur("SMSGW_BENCH_BATCHES", &p.batches)
	num("SMSGW_BENCH_QUEUED", &p.queued)
	num("SMSGW_BENCH_PROBES", &p.probes)
	p.profile = os.Getenv("SMSGW_BENCH_PROFILE")
	if v := os.Getenv("SMSGW_BENCH_BARE"); v != "" {
		p.bare = v == "1"
	}
	p.bin = os.Getenv("SMSGW_BENCH_BIN")
	p.goCmd = os.Getenv("SMSGW_BENCH_GO")
	if p.goCmd == "" {
		p.goCmd = "go"
	}
	return p
}

type row struct{ what, daemon, alone string }

// atWatch reads the emulated modems' AT traffic (their debug log): every
// command line they read, and when each AT+CMGS= arrived. This is the
// moment the command reached the modem, seen from the modem's side.
type atWatch struct {
	commands atomic.Int64
	last     atomic.Int64 // unix ns of the last command line
	cmgs     chan time.Time

	// Every AT+CMGS= by modem name, while keep is set.
	mu     sync.Mutex
	keep   bool
	cmgsBy map[string][]time.Time
}

// modemWatch is the watch as seen by one modem's logger (which carries
// the modem's name as an attribute).
type modemWatch struct {
	*atWatch
	modem string
}

func (w *atWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *atWatch) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		if a.Key == "modem" {
			return &modemWatch{atWatch: w, modem: a.Value.String()}
		}
	}
	return w
}
func (w *atWatch) WithGroup(string) slog.Handler { return w }
func (w *atWatch) Handle(ctx context.Context, r slog.Record) error {
	return w.handle("", r)
}

func (w *modemWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *modemWatch) WithGroup(string) slog.Handler      { return w }
func (w *modemWatch) Handle(_ context.Context, r slog.Record) error {
	return w.handle(w.modem, r)
}

// keepCMGS starts (or stops) keeping every AT+CMGS= time by modem.
func (w *atWatch) keepCMGS(on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keep = on
	if on {
		w.cmgsBy = map[string][]time.Time{}
	}
}

// nextCMGS is the first AT+CMGS= that modem read after t.
func (w *atWatch) nextCMGS(modem string, t time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, at := range w.cmgsBy[modem] {
		if at.After(t) {
			return at, true
		}
	}
	return time.Time{}, false
}

func (w *atWatch) handle(modem string, r slog.Record) error {
	if r.Message != "at" {
		return nil
	}
	now := time.Now()
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "cmd" {
			return true
		}
		cmd := strings.ToUpper(a.Value.String())
		if strings.HasPrefix(cmd, "AT") {
			w.commands.Add(1)
			w.last.Store(now.UnixNano())
		}
		if strings.HasPrefix(cmd, "AT+CMGS=") {
			w.mu.Lock()
			if w.keep {
				w.cmgsBy[modem] = append(w.cmgsBy[modem], now)
			}
			w.mu.Unlock()
			select {
			case w.cmgs <- now:
			default:
			}
		}
		return false
	})
	return nil
}

type bench struct {
	t      *testing.T
	p      benchP
	dir    string
	net    *sim.Network
	ms     []*sim.Modem
	watch  *atWatch
	stamps chan time.Time // the inbound script's start times, read from a FIFO
	cfg    string
	proc   *exec.Cmd
	done   chan struct{}
	base   string // http://host:port
	hc     *http.Client
}

func newBench(t *testing.T, p benchP) *bench {
	dir, err := os.MkdirTemp("", "smsgw-bench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bench: the daemon's log, configuration and database are kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	b := &bench{t: t, p: p, dir: dir, watch: &atWatch{cmgs: make(chan time.Time, 1)}, stamps: make(chan time.Time, 64)}
	b.net = sim.NewNetwork(sim.NetworkOptions{Logger: slog.New(b.watch)})
	t.Cleanup(func() { b.net.Close(context.Background()) })
	var modems strings.Builder
	for i := 1; i <= p.modems; i++ {
		m, err := b.net.AddModem(context.Background(), sim.Options{
			Dir: filepath.Join(dir, "tty"), Name: fmt.Sprintf("sim%d", i), SubmitDelay: p.submitDelay,
			Number: fmt.Sprintf("+155501%05d", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		b.ms = append(b.ms, m)
		fmt.Fprintf(&modems, "[[modem]]\nid = \"sim%d\"\nport = %q\n\n", i, m.Path())
	}
	// The same script as the in-process figure: the shell and date(1)
	// starting are part of "the script starting". It writes into a FIFO
	// this process holds open, so each start arrives as an event.
	fifo := filepath.Join(dir, "script-starts")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ff, err := os.OpenFile(fifo, os.O_RDWR, 0) // read-write: never blocks, never sees EOF
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ff.Close() })
	go func() {
		sc := bufio.NewScanner(ff)
		for sc.Scan() {
			if ns, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64); err == nil {
				b.stamps <- time.Unix(0, ns)
			}
		}
	}()
	script := filepath.Join(dir, "on-sms")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ndate +%s%N >> \""+fifo+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	debug := ""
	if p.profile != "" {
		debug = "[debug]\npprof = true\n"
	}
	// The defaults a user starts from (full sync, at-least-once, info log),
	// with the modems named rather than searched for.
	conf := fmt.Sprintf(`[server]
listen = "127.0.0.1:0"

[storage]
path = %q

[autodetect]
enabled = false

[inbound]
exec = [%q]

[log]
format = "text"

%s
%s`, filepath.Join(dir, "smsgw.db"), script, debug, modems.String())
	b.cfg = filepath.Join(dir, "smsgw.toml")
	if err := os.WriteFile(b.cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b.proc != nil {
			select {
			case <-b.done:
			default:
				b.proc.Process.Kill()
				<-b.done
			}
		}
	})
	b.hc = &http.Client{Timeout: 30 * time.Second}
	return b
}

func (b *bench) binName() string {
	if b.p.bin != "" {
		return b.p.bin
	}
	return "(the test binary, race detector as built)"
}

// startDaemon runs smsgw serve and waits until its API answers and every
// modem is ready and quiet.
func (b *bench) startDaemon() {
	t := b.t
	bin, env := os.Args[0], append(os.Environ(), "SMSGW_SOAK_CHILD=1")
	if b.p.bin != "" {
		bin, env = b.p.bin, os.Environ()
	}
	env = append(env, "SMSGW_TOKEN=")
	logf, err := os.Create(filepath.Join(b.dir, "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	if b.p.bin != "" {
		evict(t, bin)
	}
	cmd := exec.Command(bin, "serve", "--config", b.cfg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env, cmd.Stderr = env, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.proc, b.done = cmd, make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "API on http://"); ok {
				a, _, _ := strings.Cut(rest, ",")
				select {
				case addr <- a:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); close(b.done) }()
	select {
	case a := <-addr:
		b.base = "http://" + a
	case <-b.done:
		t.Fatalf("the daemon exited before listening; log in %s", logf.Name())
	case <-time.After(60 * time.Second):
		t.Fatal("the daemon did not listen within 60 s")
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		var st struct {
			Modems []struct{ ID, State string } `json:"modems"`
		}
		ready := 0
		if err := b.getJSON("/v1/modems", &st); err == nil {
			for _, m := range st.Modems {
				if m.State == "ready" {
					ready++
				}
			}
		}
		if ready == b.p.modems {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d modems ready after 90 s", ready, b.p.modems)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.quiet()
}

// quiet waits until the modems have read no AT command for 300 ms: the
// start-up sweep and any send are over, so what follows counts alone.
func (b *bench) quiet() {
	deadline := time.Now().Add(60 * time.Second)
	for time.Since(time.Unix(0, b.watch.last.Load())) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			b.t.Fatal("the modems never went quiet for 300 ms")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *bench) stopDaemon() {
	b.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(60 * time.Second):
		b.t.Error("the daemon did not stop within 60 s of SIGTERM")
		b.proc.Process.Kill()
		<-b.done
	}
}

func (b *bench) getJSON(path string, v any) error {
	resp, err := b.hc.Get(b.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// post sends one v1 send request and fails the test on anything but 202.
func (b *bench) post(hc *http.Client, body string) error {
	resp, err := hc.Post(b.base+"/v1/messages", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /v1/messages: %s: %.200s", resp.Status, msg)
	}
	return nil
}

func (b *bench) submitted() int { return len(b.net.Submitted()) }

// run measures every phase in turn on the one daemon: the quiet ones first,
// on an empty queue, then ingest, which leaves thousands queued.
func (b *bench) run() []*row {
	t := b.t
	pid := b.proc.Process.Pid
	var rows []*row
	add := func(what, daemon string) *row {
		r := &row{what: what, daemon: daemon}
		rows = append(rows, r)
		t.Logf("%s: %s", what, daemon)
		return r
	}

	// Acceptance to AT+CMGS, one message at a time on an idle gateway,
	// with the submits answered at once; the AT commands the modems read
	// meanwhile, per message.
	for _, m := range b.ms {
		m.SetSubmitDelay(0)
	}
	var fromReq, from202 []time.Duration
	cmds0 := b.watch.commands.Load()
	for i := 0; i < b.p.latencyN; i++ {
		before := b.submitted()
		select { // a stale signal from before this send
		case <-b.watch.cmgs:
		default:
		}
		t0 := time.Now()
		if err := b.post(b.hc, fmt.Sprintf(`{"to":"+4915170%06d","text":"latency %d"}`, i, i)); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		select {
		case at := <-b.watch.cmgs:
			fromReq, from202 = append(fromReq, at.Sub(t0)), append(from202, at.Sub(t1))
		case <-time.After(30 * time.Second):
			t.Fatal("no AT+CMGS within 30 s of an accepted send")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := b.net.WaitSubmitted(ctx, before+1); err != nil {
			t.Fatal(err)
		}
		cancel()
		b.quiet()
	}
	perSMS := float64(b.watch.commands.Load()-cmds0) / float64(b.p.latencyN)
	add("acceptance to AT+CMGS (the emulator reading it), idle gateway, p50",
		fmt.Sprintf("%s from sending the request (%s from the 202 arriving); n=%d", ms(pct(fromReq, .5)), ms(pct(from202, .5)), len(fromReq)))
	add("AT commands per single-part SMS (command lines the modems read during those sends)", fmt.Sprintf("%.2f", perSMS))

	// Dispatch: K modems at L per submit, N messages in one request, from
	// sending it to the network accepting the last.
	for _, m := range b.ms {
		m.SetSubmitDelay(b.p.submitDelay)
	}
	before := b.submitted()
	b.watch.keepCMGS(true)
	to := make([]string, b.p.dispatchN)
	for i := range to {
		to[i] = fmt.Sprintf(`"+4915171%06d"`, i)
	}
	t0 := time.Now()
	if err := b.post(b.hc, `{"to":[`+strings.Join(to, ",")+`],"text":"dispatch"}`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	sent, err := b.net.WaitSubmitted(ctx, before+b.p.dispatchN)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for _, s := range sent[before:] {
		if s.Time.After(last) {
			last = s.Time
		}
	}
	took := last.Sub(t0)
	ideal := time.Duration(math.Ceil(float64(b.p.dispatchN)/float64(b.p.modems))) * b.p.submitDelay
	add(fmt.Sprintf("dispatch efficiency, %d messages, K=%d, L=%g s (%% of K/L)", b.p.dispatchN, b.p.modems, b.p.submitDelay.Seconds()),
		fmt.Sprintf("%.1f %% (%.2f s against %.2f s)", 100*ideal.Seconds()/took.Seconds(), took.Seconds(), ideal.Seconds()))
	// Where the rest goes: from the network accepting a submit to the same
	// modem reading its next AT+CMGS= (the modem idle between two sends).
	names := map[string]string{}
	for i, m := range b.ms {
		names[m.Number()] = fmt.Sprintf("sim%d", i+1) // as newBench named them
	}
	var gaps []time.Duration
	for _, s := range sent[before:] {
		if at, ok := b.watch.nextCMGS(names[s.From], s.Time); ok {
			gaps = append(gaps, at.Sub(s.Time))
		}
	}
	b.watch.keepCMGS(false)
	add("dispatch gap: a modem's submit accepted to its next AT+CMGS=, p50",
		fmt.Sprintf("%s (p90 %s); n=%d", ms(pct(gaps, .5)), ms(pct(gaps, .9)), len(gaps)))
	// The next AT+CMGS= may go out before the previous send is on record
	// (its PDU then waits at the prompt), so the gap above no longer holds
	// all of a modem's idle time: the spacing of one modem's accepted
	// submits, less L, does.
	var idle []time.Duration
	lastBy := map[string]time.Time{}
	for _, s := range sent[before:] {
		if p, ok := lastBy[s.From]; ok {
			idle = append(idle, s.Time.Sub(p)-b.p.submitDelay)
		}
		lastBy[s.From] = s.Time
	}
	add("dispatch idle: one modem's accepted submits' spacing less L, p50",
		fmt.Sprintf("%s (p90 %s); n=%d", ms(pct(idle, .5)), ms(pct(idle, .9)), len(idle)))
	b.quiet()

	// +CMTI to the [inbound] exec script starting: from handing the SMS
	// to the emulator (which writes +CMTI at once to an idle port) to the
	// time the script wrote down.
	var cmti []time.Duration
	for i := 0; i < b.p.inboundN; i++ {
		t0 := time.Now()
		if err := b.net.Deliver(b.ms[i%len(b.ms)].Number(), "+4915172000000", fmt.Sprintf("inbound %d", i)); err != nil {
			t.Fatal(err)
		}
		select {
		case st := <-b.stamps:
			cmti = append(cmti, st.Sub(t0))
		case <-time.After(30 * time.Second):
			t.Fatal("the inbound script did not run within 30 s")
		}
		b.quiet()
	}
	add("+CMTI to the forwarding script starting, p50", fmt.Sprintf("%s (p90 %s); n=%d", ms(pct(cmti, .5)), ms(pct(cmti, .9)), len(cmti)))

	// Idle: nothing queued, modems registered.
	c0, w0 := procCPU(t, pid), time.Now()
	time.Sleep(b.p.idle)
	c1, w1 := procCPU(t, pid), time.Now()
	add(fmt.Sprintf("idle CPU over %g s", b.p.idle.Seconds()), fmt.Sprintf("%.2f %% of one core", 100*(c1-c0).Seconds()/w1.Sub(w0).Seconds()))
	rssRow := add(fmt.Sprintf("RSS with %d modems", b.p.modems), fmt.Sprintf("%.1f MB idle (%.1f MB anonymous, %.1f MB of the binary and files)",
		procKB(t, pid, "VmRSS")/1024, procKB(t, pid, "RssAnon")/1024, procKB(t, pid, "RssFile")/1024))

	// Ingest: durable single accepts from many connections.
	var prof sync.WaitGroup
	if b.p.profile != "" {
		b.profile(&prof)
	}
	acc := b.hammer(b.p.conns, b.p.accept, func(i int) string {
		return fmt.Sprintf(`{"to":"+4915173%06d","text":"bench message %d"}`, i%1000000, i)
	})
	prof.Wait()
	add(fmt.Sprintf("durable single accepts, %d connections", b.p.conns),
		fmt.Sprintf("%s/s; p50 %s, p99 %s (%d in %.1f s)", thousands(acc.perSec()), ms(pct(acc.lat, .5)), ms(pct(acc.lat, .99)), acc.n, acc.took.Seconds()))

	// Recipients in batch requests.
	if b.p.profile != "" {
		b.profileCPU(&prof, "batch-cpu.pprof", b.p.batches)
	}
	rcpt := make([]string, b.p.batch)
	bat := b.hammer(b.p.batchConns, b.p.batches, func(i int) string {
		for k := range rcpt {
			rcpt[k] = fmt.Sprintf(`"+49152%04d%04d"`, i%10000, k)
		}
		return `{"to":[` + strings.Join(rcpt, ",") + `],"text":"bench batch"}`
	})
	prof.Wait()
	add(fmt.Sprintf("recipients in batches of %d, %d connections", b.p.batch, b.p.batchConns),
		fmt.Sprintf("%s/s; p50 %s per request (%d requests in %.1f s)", thousands(bat.perSec()*float64(b.p.batch)), ms(pct(bat.lat, .5)), bat.n, bat.took.Seconds()))
	rssRow.daemon += fmt.Sprintf(", %.1f MB peak after ingest (%.1f MB now)", procKB(t, pid, "VmHWM")/1024, procKB(t, pid, "VmRSS")/1024)
	if b.p.queued > 0 {
		b.backlog(add)
	}
	return rows
}

// backlog leaves p.queued messages queued behind offline modems (their
// network registration lost, so no worker claims) and times, from
// outside, what a dashboard and Prometheus ask of a large queue, and a send.
func (b *bench) backlog(add func(what, daemon string) *row) {
	t := b.t
	for _, m := range b.ms {
		m.SetRegistration(0)
	}
	// The workers see the URC and stop claiming; wait for every modem to
	// say so before filling.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st struct {
			Modems []struct{ Registration string } `json:"modems"`
		}
		off := 0
		if err := b.getJSON("/v1/modems", &st); err == nil {
			for _, m := range st.Modems {
				if m.Registration == "unregistered" {
					off++
				}
			}
		}
		if off == b.p.modems {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d modems unregistered after 60 s", off, b.p.modems)
		}
		time.Sleep(50 * time.Millisecond)
	}
	queued := func() int64 {
		var c int64
		body := b.get(b.hc, "/metrics")
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "smsgw_queue_messages{") && strings.Contains(l, `state="queued"`) {
				f := strings.Fields(l)
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				c = int64(v)
			}
		}
		return c
	}
	const per = 500
	rcpt := make([]string, per)
	fill := time.Now()
	var mu sync.Mutex
	left := (b.p.queued - int(queued()) + per - 1) / per
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 60 * time.Second}
			defer hc.CloseIdleConnections()
			for {
				mu.Lock()
				if left <= 0 {
					mu.Unlock()
					return
				}
				left--
				for k := range rcpt {
					rcpt[k] = fmt.Sprintf(`"+49153%04d%04d"`, left%10000, k)
				}
				req := `{"to":[` + strings.Join(rcpt, ",") + `],"text":"backlog"}`
				mu.Unlock()
				if err := b.post(hc, req); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	n := queued()
	t.Logf("backlog: %d queued (filled in %.1f s)", n, time.Since(fill).Seconds())
	hc := &http.Client{Timeout: 60 * time.Second}
	defer hc.CloseIdleConnections()
	probe := func(what string, do func(i int)) {
		do(-1) // a first request opens the connection and warms caches
		lat := make([]time.Duration, 0, b.p.probes)
		for i := 0; i < b.p.probes; i++ {
			t0 := time.Now()
			do(i)
			lat = append(lat, time.Since(t0))
		}
		add(fmt.Sprintf("with %s queued: %s, p50", thousands(float64(n)), what),
			fmt.Sprintf("%s (p99 %s); n=%d", ms(pct(lat, .5)), ms(pct(lat, .99)), len(lat)))
	}
	probe("GET /metrics", func(int) { b.get(hc, "/metrics") })
	probe("GET /v1/messages?state=queued&limit=50", func(int) { b.get(hc, "/v1/messages?state=queued&limit=50") })
	probe("GET /v1/messages?limit=50", func(int) { b.get(hc, "/v1/messages?limit=50") })
	probe("GET /v1/modems", func(int) { b.get(hc, "/v1/modems") })
	probe("POST /v1/messages (one recipient, durable)", func(i int) {
		if err := b.post(hc, fmt.Sprintf(`{"to":"+4915174%06d","text":"backlog probe %d"}`, i+1, i)); err != nil {
			t.Fatal(err)
		}
	})
	add(fmt.Sprintf("with %s queued: RSS", thousands(float64(n))), fmt.Sprintf("%.1f MB", procKB(t, b.proc.Process.Pid, "VmRSS")/1024))
}

// get fetches path and fails the test on anything but 200.
func (b *bench) get(hc *http.Client, path string) string {
	resp, err := hc.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %s: %.200s", path, resp.Status, body)
	}
	return string(body)
}

type hammered struct {
	n    int
	took time.Duration
	lat  []time.Duration
}

func (h hammered) perSec() float64 { return float64(h.n) / h.took.Seconds() }

// hammer posts from conns keep-alive connections for d, bodies from body(i)
// (called under a lock: it may reuse a buffer), and fails on any non-202.
func (b *bench) hammer(conns int, d time.Duration, body func(int) string) hammered {
	var (
		mu   sync.Mutex
		next int
		lats []time.Duration
		errs []error
		wg   sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(d)
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			lc, err := dialLoad(b.base)
			if err != nil {
				fail(err)
				return
			}
			defer lc.Close()
			local := make([]time.Duration, 0, 1024)
			for time.Now().Before(end) {
				mu.Lock()
				i := next
				next++
				req := body(i)
				mu.Unlock()
				t0 := time.Now()
				code, msg, err := lc.post("/v1/messages", req, http.StatusAccepted)
				if err == nil && code != http.StatusAccepted {
					err = fmt.Errorf("POST /v1/messages: %d: %.200s", code, msg)
				}
				if err != nil {
					fail(err)
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if len(errs) > 0 {
		b.t.Fatalf("%d requests failed, the first: %v", len(errs), errs[0])
	}
	return hammered{n: len(lats), took: took, lat: lats}
}

// profile fetches a CPU profile and an allocation profile (a delta over the
// same window) of the daemon during the accept phase into SMSGW_BENCH_PROFILE.
func (b *bench) profile(wg *sync.WaitGroup) {
	secs := int(b.p.accept / time.Second)
	secs = min(max(secs, 1), 25) // within the server's 30 s write timeout
	if err := os.MkdirAll(b.p.profile, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for name, path := range map[string]string{"cpu.pprof": "/debug/pprof/profile", "allocs.pprof": "/debug/pprof/allocs"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: time.Duration(secs+30) * time.Second}
			resp, err := hc.Get(fmt.Sprintf("%s%s?seconds=%d", b.base, path, secs))
			if err != nil {
				b.t.Errorf("profile %s: %v", path, err)
				return
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				b.t.Errorf("profile %s: %s %v: %.200s", path, resp.Status, err, data)
				return
			}
			file := filepath.Join(b.p.profile, name)
			if err := os.WriteFile(file, data, 0o644); err != nil {
				b.t.Error(err)
				return
			}
			b.t.Logf("profile: %s (%d s of the accept phase); go tool pprof -top %s", file, secs, file)
		}()
	}
}

// profileCPU fetches a CPU profile of the daemon over the next d into
// SMSGW_BENCH_PROFILE/name.
func (b *bench) profileCPU(wg *sync.WaitGroup, name string, d time.Duration) {
	secs := min(max(int(d/time.Second), 1), 25)
	wg.Add(1)
	go func() {
		defer wg.Done()
		hc := &http.Client{Timeout: time.Duration(secs+30) * time.Second}
		resp, err := hc.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", b.base, secs))
		if err != nil {
			b.t.Errorf("profile: %v", err)
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.t.Errorf("profile: %s %v: %.200s", resp.Status, err, data)
			return
		}
		file := filepath.Join(b.p.profile, name)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			b.t.Error(err)
			return
		}
		b.t.Logf("profile: %s (%d s); go tool pprof -top %s", file, secs, file)
	}()
}

// procCPU is the user+system CPU time of a process, from /proc/PID/stat
// (in clock ticks of 1/100 s, USER_HZ on Linux).
// evict drops the daemon's binary from the page cache before it starts, as
// it is after a boot: a binary just linked is wholly in the cache, and the
// kernel then maps 64 kB around every page the daemon touches, which puts
// nearly all of it in the RSS; read from disk, only what start-up reads is.
func evict(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatalf("evict %s from the page cache: %v", path, err)
	}
}

func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procKB is a "VmRSS:   1234 kB" line of /proc/PID/status.
func procKB(t *testing.T, pid int, key string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func thousands(f float64) string {
	s := strconv.FormatInt(int64(math.Round(f)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// bareFigures are the parts measured alone, by their own benchmarks.
type bareFigures struct {
	apiLoad, queueAccept, queueBatch, gwLatency, gwDispatch, gwCMTI, gwAT string
}

// fill puts the bare figures beside the daemon's rows, in order.
func (f bareFigures) fill(rows []*row) {
	set := func(prefix, v string) {
		for _, r := range rows {
			if strings.HasPrefix(r.what, prefix) && v != "" {
				r.alone = v
			}
		}
	}
	join := func(a ...string) string {
		var out []string
		for _, s := range a {
			if s != "" {
				out = append(out, s)
			}
		}
		return strings.Join(out, "; ")
	}
	set("durable single accepts", join(f.apiLoad, f.queueAccept))
	set("recipients in batches", f.queueBatch)
	set("acceptance to AT+CMGS", f.gwLatency)
	set("AT commands per", f.gwAT)
	set("dispatch efficiency", f.gwDispatch)
	set("+CMTI", f.gwCMTI)
}

// runBare runs the API, queue and gateway benchmarks in their own test
// processes and picks their figures out of the output.
func runBare(t *testing.T, p benchP) bareFigures {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gotest := func(env []string, args ...string) string {
		cmd := exec.Command(p.goCmd, append([]string{"test", "-count=1"}, args...)...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("go test %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	var f bareFigures
	out := gotest([]string{"SMSGW_LOAD=1"}, "-run", "^TestLoad$", "-v", "./api/")
	if m := regexp.MustCompile(`= ([\d.]+) msg/s over (\d+) connections; latency p50 ([\d.]+) ms, p99 ([\d.]+) ms`).FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		f.apiLoad = fmt.Sprintf("API alone (`TestLoad`, %s connections): %s/s; p50 %s ms, p99 %s ms", m[2], thousands(v), m[3], m[4])
	}
	out = gotest(nil, "-run", "^$", "-bench", "EnqueueConcurrent/sync=full$|EnqueueBatch/per=500$", "-benchtime", "3s", "./store/sqlite/")
	if m := regexp.MustCompile(`EnqueueConcurrent/sync=full\S*\s.*?([\d.]+) msgs/s`).FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		f.queueAccept = fmt.Sprintf("queue alone (`BenchmarkEnqueueConcurrent`, 16 callers): %s/s", thousands(v))
	}
	if m := regexp.MustCompile(`EnqueueBatch/per=500\S*\s.*?([\d.]+) recipients/s`).FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		f.queueBatch = fmt.Sprintf("queue alone (`BenchmarkEnqueueBatch/per=500`, 1 caller): %s/s", thousands(v))
	}
	out = gotest([]string{"SMSGW_FIGURES=1"}, "-run", "^TestFigures$|^TestSteadyStateATCommandsPerSMS$", "-v", "./gateway/")
	if m := regexp.MustCompile(`FIGURE throughput: (\d+) messages in ([\d.]+) s = ([\d.]+) msg/s`).FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[3], 64)
		f.gwDispatch = fmt.Sprintf("gateway in one process (`TestFigures`, %s messages): %.1f %% (%s s)", m[1], 100*v/8, m[2])
	}
	if m := regexp.MustCompile(`FIGURE acceptance->first AT\+CMGS: n=\d+ p50=(\S+)`).FindStringSubmatch(out); m != nil {
		f.gwLatency = "gateway in one process (`TestFigures`, commit to the write): " + durMS(m[1])
	}
	if m := regexp.MustCompile(`FIGURE \+CMTI->script start: n=\d+ p50=(\S+)`).FindStringSubmatch(out); m != nil {
		f.gwCMTI = "gateway in one process (`TestFigures`): " + durMS(m[1])
	}
	if m := regexp.MustCompile(`AT commands per single-part SMS in steady state: ([\d.]+)`).FindStringSubmatch(out); m != nil {
		f.gwAT = "gateway in one process (`TestSteadyStateATCommandsPerSMS`): " + m[1]
	}
	return f
}

func durMS(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return ms(d)
}
