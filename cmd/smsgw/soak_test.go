package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"smsgw"
	"smsgw/api"
	"smsgw/modem/sim"
)

// TestMain lets the soak run this test binary as the daemon: with
// SMSGW_SOAK_CHILD=1 it is smsgw itself.
func TestMain(m *testing.M) {
	if os.Getenv("SMSGW_SOAK_CHILD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestSoak kills the whole daemon with SIGKILL at random moments during
// bursts of sends, while emulated modems hang, fail submits and are
// unplugged, and restarts it on the same database, round after round.
//
// The emulated network lives in this process, so what it received survives
// every kill. After each restart, and once more when the queue has drained:
//   - every message the API accepted (202) is still there (none lost), and
//     one accepted as sent was received by the network;
//   - a message the network received n times carries at least n-1 flags:
//     an attempt the restart found on the wire ("interrupted") or one that
//     ended with its outcome unknown ("uncertain"). So duplicates never
//     exceed the parts that were on the wire at a kill or a timeout, and
//     each one is marked.
//
// Requests left unanswered by a kill are sent again with the same
// Idempotency-Key, as a careful client would: that must not queue twice.
//
// `go test` runs 3 rounds with a fixed seed (skipped with -short); `make
// soak` runs SMSGW_SOAK_ROUNDS rounds on the built binary (SMSGW_SOAK_BIN)
// with a random seed, printed so that SMSGW_SOAK_SEED replays the same kill
// moments and faults.
func TestSoak(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the emulated modems need Linux ptys")
	}
	long := os.Getenv("SMSGW_SOAK") == "1"
	if testing.Short() && !long {
		t.Skip("soak: not with -short")
	}
	rounds, seed := 3, int64(1)
	if long {
		rounds, seed = 25, time.Now().UnixNano()
		if n, err := strconv.Atoi(os.Getenv("SMSGW_SOAK_ROUNDS")); err == nil && n > 0 {
			rounds = n
		}
	}
	if s, err := strconv.ParseInt(os.Getenv("SMSGW_SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("soak: %d rounds, seed %d (SMSGW_SOAK_SEED=%d replays it)", rounds, seed, seed)
	s := newSoak(t, seed)
	for r := 1; r <= rounds; r++ {
		s.round(r)
	}
	s.finish()
}

type soakMsg struct {
	key, text, to string
	id            string // empty while the request's answer is unknown
}

type soak struct {
	t    *testing.T
	rng  *rand.Rand
	seed int64
	dir  string
	net  *sim.Network
	ms   []*sim.Modem
	bin  string
	env  []string
	cfg  string
	conf string // the configuration, with the retry policy left open
	log  string
	c    *client
	proc *exec.Cmd
	done chan struct{}

	mu   sync.Mutex
	msgs []*soakMsg

	kills, interrupted, dups int
}

func newSoak(t *testing.T, seed int64) *soak {
	dir, err := os.MkdirTemp("", "smsgw-soak-") // short: a unix socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("soak: the daemon's log, configuration and database are kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	s := &soak{t: t, rng: rand.New(rand.NewSource(seed)), seed: seed, dir: dir, log: filepath.Join(dir, "daemon.log")}
	s.net = sim.NewNetwork(sim.NetworkOptions{})
	t.Cleanup(func() { s.net.Close(context.Background()) })
	t.Cleanup(func() {
		// A failed check leaves the daemon running.
		if s.proc != nil {
			select {
			case <-s.done:
			default:
				s.proc.Process.Kill()
				<-s.done
			}
		}
	})
	var modems strings.Builder
	for i, prof := range []string{"simcom-sim800", "quectel-ec25", "huawei-e173"} {
		m, err := s.net.AddModem(context.Background(), sim.Options{
			Dir: filepath.Join(dir, "tty"), Name: fmt.Sprintf("m%d", i+1), Profile: prof,
			// Time between ^Z and +CMGS, so that kills land mid-send.
			SubmitDelay: 150 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		s.ms = append(s.ms, m)
		fmt.Fprintf(&modems, "[[modem]]\nid = \"m%d\"\nport = %q\n\n", i+1, m.Path())
	}
	sock := filepath.Join(dir, "api.sock")
	s.cfg = filepath.Join(dir, "smsgw.toml")
	s.conf = fmt.Sprintf(`[server]
listen = "unix:%s"

[storage]
path = %q

[autodetect]
enabled = false

[retry]
policy = "@POLICY@"
max_attempts = 30
backoff = "300ms"
max_backoff = "2s"
send_timeout = "6s"
bench_for = "2s"
max_modem_faults = 100

[inbound]
sweep_interval = "1h"

[log]
level = "info"
format = "text"

%s`, sock, filepath.Join(dir, "smsgw.db"), modems.String())
	s.bin, s.env = os.Args[0], append(os.Environ(), "SMSGW_SOAK_CHILD=1")
	if b := os.Getenv("SMSGW_SOAK_BIN"); b != "" {
		s.bin, s.env = b, os.Environ()
	}
	t.Setenv("SMSGW_TOKEN", "")
	if s.c, err = newClient("unix:" + sock); err != nil {
		t.Fatal(err)
	}
	return s
}

// start runs the daemon under the given retry policy (which decides what
// its recovery does with the parts the last kill left on the wire) and
// waits until its API answers.
func (s *soak) start(policy string) {
	t := s.t
	if err := os.WriteFile(s.cfg, []byte(strings.ReplaceAll(s.conf, "@POLICY@", policy)), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "----- start %s, %s\n", time.Now().Format(time.RFC3339Nano), policy)
	cmd := exec.Command(s.bin, "serve", "--config", s.cfg)
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.proc, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(s.done)
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := s.c.do(ctx, "GET", "/healthz", nil, nil)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-s.done:
			s.fail("the daemon exited at start: %v", cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.fail("the daemon's API did not come up: %v", err)
		}
	}
}

// kill ends the daemon with SIGKILL and waits until it is gone. It runs on
// a timer's goroutine, so it cannot stop the test itself.
func (s *soak) kill() {
	if err := s.proc.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Errorf("kill: %v", err)
	}
	<-s.done
	s.kills++
}

// fail reports with the end of the daemon's log.
func (s *soak) fail(format string, args ...any) {
	s.t.Helper()
	b, _ := os.ReadFile(s.log)
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	s.t.Fatalf("soak (seed %d): %s\n--- daemon log (end):\n%s", s.seed, fmt.Sprintf(format, args...), b)
}

// send posts one message. It returns false when no answer came (the
// daemon is gone: queued or not, the retry with its key tells), and an
// error for an answer that breaks the test.
func (s *soak) send(m *soakMsg) (bool, error) {
	var res api.SendResponse
	err := s.c.do(context.Background(), "POST", "/v1/messages",
		map[string]any{"to": []string{m.to}, "text": m.text, "delivery_report": false}, &res, "Idempotency-Key", m.key)
	if err != nil {
		if st := statusOf(err); st >= 400 && st < 500 {
			return false, fmt.Errorf("%s refused: %w", m.key, err)
		}
		return false, nil
	}
	if len(res.Messages) != 1 {
		return false, fmt.Errorf("%s: %d messages in the answer", m.key, len(res.Messages))
	}
	s.mu.Lock()
	m.id = res.Messages[0].ID
	s.mu.Unlock()
	return true, nil
}

// fault picks what goes wrong during a round, applied at a random moment.
func (s *soak) fault(at time.Duration) (string, func(), func()) {
	i := s.rng.Intn(len(s.ms))
	m := s.ms[i]
	d := time.Duration(500+s.rng.Intn(3500)) * time.Millisecond
	var desc string
	var apply, undo func()
	switch s.rng.Intn(4) {
	case 0:
		desc = fmt.Sprintf("m%d hangs for %v", i+1, d)
		apply, undo = func() { m.HangFor(d) }, func() { m.Hang(false) }
	case 1:
		n := 1 + s.rng.Intn(3)
		desc = fmt.Sprintf("m%d fails %d submits (+CMS ERROR: 38)", i+1, n)
		apply, undo = func() { m.FailSubmits(n, 38) }, func() { m.FailSubmits(0, 38) }
	case 2:
		desc = fmt.Sprintf("m%d unplugged for %v", i+1, d)
		var mu sync.Mutex
		plugged := true
		apply = func() {
			mu.Lock()
			defer mu.Unlock()
			if m.Unplug() == nil {
				plugged = false
				time.AfterFunc(d, func() {
					mu.Lock()
					defer mu.Unlock()
					if !plugged && m.Replug() == nil {
						plugged = true
					}
				})
			}
		}
		undo = func() {
			mu.Lock()
			defer mu.Unlock()
			if !plugged && m.Replug() == nil {
				plugged = true
			}
		}
	default:
		return "no fault", func() {}, func() {}
	}
	return fmt.Sprintf("%s at %v", desc, at.Round(time.Millisecond)), apply, undo
}

// round: start, check, a burst with a fault, SIGKILL at a random moment.
func (s *soak) round(r int) {
	// One restart in three recovers at-most-once: what was on the wire
	// becomes uncertain instead of going out again.
	policy := "at-least-once"
	if s.rng.Intn(3) == 0 {
		policy = "at-most-once"
	}
	s.start(policy)
	s.settleUnanswered()
	before := s.interrupted
	s.check(fmt.Sprintf("round %d, after restart", r))
	n := 15 + s.rng.Intn(30)
	// Requests are spread over the round, so that kills also land while
	// the API is taking them.
	gap := time.Duration(10+s.rng.Intn(70)) * time.Millisecond
	killAt := time.Duration(100+s.rng.Intn(2900)) * time.Millisecond
	faultAt := time.Duration(s.rng.Int63n(int64(killAt)))
	desc, apply, undo := s.fault(faultAt)
	batch := make([]*soakMsg, n)
	for i := range batch {
		batch[i] = &soakMsg{
			key:  fmt.Sprintf("soak-%d-r%d-%d", s.seed, r, i),
			text: fmt.Sprintf("soak %d round %d message %d", s.seed, r, i),
			to:   fmt.Sprintf("+4915112%06d", s.rng.Intn(1000000)),
		}
	}
	faultT := time.AfterFunc(faultAt, apply)
	killed := make(chan struct{})
	killT := time.AfterFunc(killAt, func() { s.kill(); close(killed) })
	// Four clients, as a burst from several applications; a message is
	// only "sent" by this test once its request started.
	next := make(chan *soakMsg)
	var wg sync.WaitGroup
	errs := make(chan error, len(batch))
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				if _, err := s.send(m); err != nil {
					errs <- err
				}
			}
		}()
	}
	started := 0
feed:
	for _, m := range batch {
		wait := time.Duration(0)
		if started > 0 {
			wait = gap
		}
		select {
		case <-killed:
			break feed
		case <-time.After(wait):
		}
		select {
		case next <- m:
			// Recorded once handed to a client: from here on it may be
			// queued, so it must be found (or settled at the restart).
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			started++
		case <-killed:
			break feed
		}
	}
	close(next)
	wg.Wait()
	<-killed
	close(errs)
	for err := range errs {
		s.fail("round %d: %v", r, err)
	}
	killT.Stop()
	faultT.Stop()
	undo()
	accepted := 0
	for _, m := range batch[:started] {
		if m.id != "" {
			accepted++
		}
	}
	s.t.Logf("round %d (%s): %s; killed at %v; %d requests, %d accepted, %d unanswered; %d kills so far; the restart before it found %d attempt(s) on the wire",
		r, policy, desc, killAt.Round(time.Millisecond), started, accepted, started-accepted, s.kills, s.interrupted-before)
}

// settleUnanswered repeats each request the last kill left unanswered, with
// its Idempotency-Key: whether or not it was queued, it is queued once now.
func (s *soak) settleUnanswered() {
	s.mu.Lock()
	var todo []*soakMsg
	for _, m := range s.msgs {
		if m.id == "" {
			todo = append(todo, m)
		}
	}
	s.mu.Unlock()
	for _, m := range todo {
		if ok, err := s.send(m); err != nil || !ok {
			s.fail("%s: no answer from a running daemon (%v)", m.key, err)
		}
	}
}

// check asserts the promise on everything accepted so far.
func (s *soak) check(when string) (states map[string]int) {
	// Copies are counted before the flags are read (flags only grow, so
	// reading them later can only explain more), and "sent" is checked
	// against a count taken after the states were read (the network got
	// the part before the daemon could record it).
	received := s.received(when)
	s.mu.Lock()
	msgs := append([]*soakMsg(nil), s.msgs...)
	s.mu.Unlock()
	states = map[string]int{}
	var sent []*soakMsg
	var sentHist [][]string
	interrupted, dups := 0, 0
	known := map[string]bool{}
	for _, m := range msgs {
		known[m.text] = true
		if m.id == "" {
			continue
		}
		var got api.Message
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := s.c.do(ctx, "GET", "/v1/messages/"+m.id, nil, &got)
		cancel()
		if err != nil {
			s.fail("%s: message %s (%s), accepted with 202, is missing: %v", when, m.id, m.key, err)
		}
		if got.Text != m.text {
			s.fail("%s: message %s holds %q, accepted as %q", when, m.id, got.Text, m.text)
		}
		states[string(got.State)]++
		flags := 0
		var hist []string
		for _, a := range got.Attempts {
			hist = append(hist, fmt.Sprintf("%s %s %q", a.Modem, a.Outcome, a.Error))
			switch {
			case a.Outcome == "interrupted":
				flags++
				interrupted++
			case strings.Contains(a.Error, "uncertain"):
				flags++
			}
		}
		if got.State == smsgw.StateUncertain {
			flags = max(flags, 1)
		}
		n := received[m.text]
		if n > 1 {
			dups += n - 1
		}
		if n > len(got.Attempts) {
			s.fail("%s: message %s (%s, state %s) reached the network %d times in %d attempt(s): %s",
				when, m.id, m.key, got.State, n, len(got.Attempts), strings.Join(hist, "; "))
		}
		if n > 1+flags {
			s.fail("%s: message %s (%s, state %s) reached the network %d times with %d flag(s); attempts: %s",
				when, m.id, m.key, got.State, n, flags, strings.Join(hist, "; "))
		}
		if got.State == smsgw.StateSent || got.State == smsgw.StateDelivered {
			sent, sentHist = append(sent, m), append(sentHist, hist)
		}
	}
	after := s.received(when)
	for i, m := range sent {
		if after[m.text] == 0 {
			s.fail("%s: message %s (%s) is sent but the network never got it; attempts: %s",
				when, m.id, m.key, strings.Join(sentHist[i], "; "))
		}
	}
	for text := range after {
		if !known[text] {
			s.fail("%s: the network got %q, which nobody sent", when, text)
		}
	}
	s.interrupted, s.dups = interrupted, dups
	return states
}

// received counts what the emulated network accepted, by text.
func (s *soak) received(when string) map[string]int {
	out := map[string]int{}
	for _, x := range s.net.Submitted() {
		text, err := x.Text()
		if err != nil {
			s.fail("%s: the network got an undecodable SUBMIT: %v", when, err)
		}
		out[text]++
	}
	return out
}

// finish restarts once more without faults, waits until nothing is queued
// or sending, checks, and stops the daemon gracefully.
func (s *soak) finish() {
	s.start("at-least-once")
	s.settleUnanswered()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var page api.MessageList
		err := s.c.do(context.Background(), "GET", "/v1/messages?state=queued,sending&limit=1", nil, &page)
		if err != nil {
			s.fail("listing pending messages: %v", err)
		}
		if len(page.Messages) == 0 {
			break
		}
		if time.Now().After(deadline) {
			s.fail("the queue did not drain: message %s still %s", page.Messages[0].ID, page.Messages[0].State)
		}
		time.Sleep(200 * time.Millisecond)
	}
	states := s.check("after the last restart, drained")
	if err := s.proc.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(90 * time.Second):
		s.fail("the daemon did not stop on SIGTERM")
	}
	if code := s.proc.ProcessState.ExitCode(); code != 0 {
		s.fail("graceful stop exited %d", code)
	}
	var keys []string
	for k := range states {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var st []string
	total := 0
	for _, k := range keys {
		st = append(st, fmt.Sprintf("%s %d", k, states[k]))
		total += states[k]
	}
	s.t.Logf("soak: %d kills, %d messages accepted (%s), %d submits on the network, %d attempts found on the wire after a kill, %d duplicates (each flagged)",
		s.kills, total, strings.Join(st, ", "), len(s.net.Submitted()), s.interrupted, s.dups)
	if total == 0 {
		s.fail("no message was accepted at all")
	}
}
