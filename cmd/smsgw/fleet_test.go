package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"smsgw"
	"smsgw/api"
	"smsgw/internal/daemon"
	"smsgw/modem/sim"
	"smsgw/store/postgres/pgtest"
)

// The fleet tests run real `smsgw serve` processes (this test binary as
// the daemon, as the soak does, or SMSGW_FLEET_BIN) as three gateways on
// one PostgreSQL database, each with two emulated modems. The emulated
// network lives in the test process, so it counts every SUBMIT that
// reached it, whichever gateway sent it, and survives a gateway's kill.
//
// `go test` sends fleetMessages() messages per scenario; `make fleet` sends
// 1,000 (SMSGW_FLEET_MESSAGES) through the built binary.

// fleetMessages is how many messages a scenario sends.
func fleetMessages() int {
	if n, err := strconv.Atoi(os.Getenv("SMSGW_FLEET_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 200
}

// fleetLease is the gateways' [node] lease: 5s (room for a loaded test
// machine's heartbeats), or SMSGW_FLEET_LEASE (make fleet-figures: 3s).
func fleetLease() string {
	if l := os.Getenv("SMSGW_FLEET_LEASE"); l != "" {
		return l
	}
	return "5s"
}

// fleetRig is three (or more) gateways on one database and one network.
type fleetRig struct {
	t   *testing.T
	dir string
	net *sim.Network
	dsn string
	bin string
	env []string
	gws []*fleetGW
	// textOf maps an emulated modem's number to the gateway's modem id.
	byNumber map[string]string
}

type fleetGW struct {
	rig    *fleetRig
	name   string
	cfg    string
	log    string
	sock   string
	c      *client
	modems []*sim.Modem
	ids    []string

	mu   sync.Mutex
	proc *exec.Cmd
	done chan struct{}
}

// skipFleet leaves the fleet tests out where they cannot run.
func skipFleet(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the emulated modems need Linux ptys")
	}
	if testing.Short() && os.Getenv("SMSGW_FLEET") != "1" {
		t.Skip("fleet: not with -short")
	}
	if !daemon.PostgresComplete() {
		t.Skip("fleet: the PostgreSQL driver does not implement everything a gateway needs yet (daemon.Store)")
	}
}

// newFleet starts n gateways named a, b, c... on dsn, each with two
// emulated modems (a1, a2, b1...), and waits until every API answers.
func newFleet(t *testing.T, dsn string, n int) *fleetRig {
	t.Helper()
	dir, err := os.MkdirTemp("", "smsgw-fleet-") // short: unix socket paths have a length limit
	if err != nil {
		t.Fatal(err)
	}
	r := &fleetRig{t: t, dir: dir, dsn: dsn, byNumber: map[string]string{}}
	r.bin, r.env = os.Args[0], append(os.Environ(), "SMSGW_SOAK_CHILD=1")
	if b := os.Getenv("SMSGW_FLEET_BIN"); b != "" {
		r.bin, r.env = b, os.Environ()
	}
	t.Setenv("SMSGW_TOKEN", "")
	r.net = sim.NewNetwork(sim.NetworkOptions{})
	// Cleanups run last-in first-out: the gateways stop before the
	// network closes and the database is dropped.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("fleet: the gateways' logs and configurations are kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	t.Cleanup(func() { r.net.Close(context.Background()) })
	t.Cleanup(func() {
		for _, g := range r.gws {
			g.stop()
		}
	})
	for i := 0; i < n; i++ {
		name := string(rune('a' + i))
		g := &fleetGW{rig: r, name: name, cfg: filepath.Join(dir, name+".toml"), log: filepath.Join(dir, name+".log"),
			sock: filepath.Join(dir, name+".sock")}
		var modems strings.Builder
		for j := 1; j <= 2; j++ {
			id := fmt.Sprintf("%s%d", name, j)
			m, err := r.net.AddModem(context.Background(), sim.Options{
				Dir: filepath.Join(dir, "tty"), Name: id, Number: fmt.Sprintf("+1555020%02d%02d", i+1, j),
				// Time between ^Z and +CMGS: sends overlap, so a kill lands
				// with parts on the wire, and the work spreads.
				SubmitDelay: 20 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			g.modems, g.ids = append(g.modems, m), append(g.ids, id)
			r.byNumber[m.Number()] = id
			fmt.Fprintf(&modems, "[[modem]]\nid = %q\nport = %q\n\n", id, m.Path())
		}
		conf := fmt.Sprintf(`[server]
listen = "unix:%s"

[storage]
driver = "postgres"
dsn = %q
path = %q

[node]
name = %q
lease = %q

[autodetect]
enabled = false

[retry]
max_attempts = 30
backoff = "300ms"
max_backoff = "2s"
send_timeout = "10s"
bench_for = "2s"
max_modem_faults = 100

[inbound]
sweep_interval = "1h"

[log]
level = "info"
format = "text"

%s`, g.sock, dsn, filepath.Join(dir, name, "smsgw.db"), name, fleetLease(), modems.String())
		if err := os.WriteFile(g.cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		if g.c, err = newClient("unix:" + g.sock); err != nil {
			t.Fatal(err)
		}
		r.gws = append(r.gws, g)
	}
	// One after the other: the first migrates the database.
	for _, g := range r.gws {
		g.start()
	}
	return r
}

// start runs the gateway and waits until its API answers.
func (g *fleetGW) start() {
	t := g.rig.t
	t.Helper()
	logf, err := os.OpenFile(g.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "----- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(g.rig.bin, "serve", "--config", g.cfg)
	cmd.Env, cmd.Stdout, cmd.Stderr = g.rig.env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	g.mu.Lock()
	g.proc, g.done = cmd, done
	g.mu.Unlock()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := g.c.do(ctx, "GET", "/healthz", nil, nil)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-done:
			if l, _ := os.ReadFile(g.log); strings.Contains(string(l), "not implemented yet by the PostgreSQL driver") {
				t.Skipf("fleet: the PostgreSQL driver is not complete yet: %s", lastLine(l))
			}
			g.rig.fail("gateway %s exited at start: %v", g.name, cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			g.rig.fail("gateway %s's API did not come up: %v", g.name, err)
		}
	}
}

// lastLine is the last non-empty line of a log.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// kill ends the gateway with SIGKILL and waits until it is gone.
func (g *fleetGW) kill() {
	g.mu.Lock()
	p, done := g.proc, g.done
	g.mu.Unlock()
	if p == nil {
		return
	}
	p.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop ends the gateway gracefully (SIGTERM, then SIGKILL after a while).
func (g *fleetGW) stop() {
	g.mu.Lock()
	p, done := g.proc, g.done
	g.mu.Unlock()
	if p == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	p.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// fail reports with the end of every gateway's log.
func (r *fleetRig) fail(format string, args ...any) {
	r.t.Helper()
	var b strings.Builder
	for _, g := range r.gws {
		l, _ := os.ReadFile(g.log)
		if len(l) > 3000 {
			l = l[len(l)-3000:]
		}
		fmt.Fprintf(&b, "--- gateway %s's log (end):\n%s\n", g.name, l)
	}
	r.t.Fatalf("fleet: %s\n%s", fmt.Sprintf(format, args...), b.String())
}

// fleetMsg is one message the test sends: its request (key), text, the
// gateway it went through and the id it got.
type fleetMsg struct {
	key, text, to string
	via           *fleetGW
	id            string
}

// send posts one message through g. It returns false when no answer came
// (the gateway is gone or the database is) and an error for a refusal.
func (r *fleetRig) send(g *fleetGW, m *fleetMsg, extra map[string]any) (bool, error) {
	body := map[string]any{"to": []string{m.to}, "text": m.text, "delivery_report": false}
	for k, v := range extra {
		body[k] = v
	}
	var res api.SendResponse
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := g.c.do(ctx, "POST", "/v1/messages", body, &res, "Idempotency-Key", m.key)
	if err != nil {
		if st := statusOf(err); st >= 400 && st < 500 {
			return false, fmt.Errorf("%s refused by %s: %w", m.key, g.name, err)
		}
		return false, nil
	}
	if len(res.Messages) != 1 {
		return false, fmt.Errorf("%s: %d messages in the answer", m.key, len(res.Messages))
	}
	m.id, m.via = res.Messages[0].ID, g
	return true, nil
}

// burst sends msgs through the gateways in turn from 8 clients. A
// request that gets no answer is sent again with its Idempotency-Key
// through the next gateway that answers (a careful client's failover):
// each is accepted exactly once. alive tells which gateways to use.
func (r *fleetRig) burst(msgs []*fleetMsg, alive func(*fleetGW) bool) {
	r.t.Helper()
	next := make(chan int)
	errs := make(chan error, len(msgs))
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				m := msgs[i]
				deadline := time.Now().Add(3 * time.Minute)
				for try := 0; ; try++ {
					g := r.gws[(i+try)%len(r.gws)]
					if !alive(g) {
						continue
					}
					ok, err := r.send(g, m, nil)
					if err != nil {
						errs <- err
						break
					}
					if ok {
						break
					}
					if time.Now().After(deadline) {
						errs <- fmt.Errorf("%s: no gateway accepted it in 3 minutes", m.key)
						break
					}
					time.Sleep(100 * time.Millisecond) // a 503 asks to come back later
				}
			}
		}()
	}
	for i := range msgs {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		r.fail("%v", err)
	}
}

// messages makes n messages to numbers outside the emulated network.
func fleetBatch(name string, n int) []*fleetMsg {
	out := make([]*fleetMsg, n)
	for i := range out {
		out[i] = &fleetMsg{key: fmt.Sprintf("%s-%d", name, i), text: fmt.Sprintf("fleet %s message %d", name, i),
			to: fmt.Sprintf("+4915113%06d", i)}
	}
	return out
}

// received counts what the network accepted, by text, and which modems
// sent it.
func (r *fleetRig) received() (byText map[string]int, byModem map[string]int) {
	byText, byModem = map[string]int{}, map[string]int{}
	for _, x := range r.net.Submitted() {
		text, err := x.Text()
		if err != nil {
			r.fail("the network got an undecodable SUBMIT: %v", err)
		}
		byText[text]++
		byModem[r.byNumber[x.From]]++
	}
	return byText, byModem
}

// settle waits until every message is sent (or, with allowUncertain, in
// some final state) as any live gateway reports it, and returns them.
func (r *fleetRig) settle(msgs []*fleetMsg, via *fleetGW, timeout time.Duration) map[string]api.Message {
	r.t.Helper()
	out := map[string]api.Message{}
	deadline := time.Now().Add(timeout)
	for _, m := range msgs {
		for {
			var got api.Message
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := via.c.do(ctx, "GET", "/v1/messages/"+m.id, nil, &got)
			cancel()
			if err == nil && got.Text != m.text {
				r.fail("message %s holds %q, accepted as %q", m.id, got.Text, m.text)
			}
			if err == nil && (got.State == smsgw.StateSent || got.State == smsgw.StateDelivered ||
				got.State == smsgw.StateUncertain || got.State == smsgw.StateFailed) {
				out[m.key] = got
				break
			}
			if time.Now().After(deadline) {
				r.fail("message %s (%s, accepted by %s) is still %s after %v (%v)", m.id, m.key, m.via.name, got.State, timeout, err)
			}
			time.Sleep(50 * time.Millisecond) // the state changes inside the gateways; the test polls it
		}
	}
	return out
}

// fleetDSN is a fresh database on the shared test server.
func fleetDSN(t *testing.T) string {
	t.Helper()
	return pgtest.DSN(t, t.Name())
}

// TestFleetSpread: three gateways with two modems each on one database;
// messages sent through all three APIs are sent over all six modems, none
// twice, and every gateway lists all six modems with their node.
func TestFleetSpread(t *testing.T) {
	skipFleet(t)
	r := newFleet(t, fleetDSN(t), 3)
	for _, g := range r.gws {
		var l api.ModemList
		deadline := time.Now().Add(60 * time.Second)
		for {
			if err := g.c.do(context.Background(), "GET", "/v1/modems", nil, &l); err != nil {
				r.fail("GET /v1/modems on %s: %v", g.name, err)
			}
			if len(l.Modems) == 6 {
				break
			}
			if time.Now().After(deadline) {
				r.fail("gateway %s lists %d modems, want all six: %+v", g.name, len(l.Modems), l.Modems)
			}
			time.Sleep(100 * time.Millisecond) // the others' first beat
		}
		for _, m := range l.Modems {
			if m.Node != m.ID[:1] || m.NodeAlive == nil || !*m.NodeAlive {
				r.fail("gateway %s lists modem %s with node %q (alive %v); want node %q, alive", g.name, m.ID, m.Node, m.NodeAlive, m.ID[:1])
			}
		}
	}
	// The CLI names each modem's gateway on a fleet.
	code, out, errs := runArgs("modems", "--addr", "unix:"+r.gws[1].sock)
	if code != 0 || !strings.HasPrefix(out, "GATEWAY") || strings.Count(out, "\n") != 7 || !strings.Contains(out, "c ") {
		r.fail("smsgw modems on a fleet: exit %d\n%s%s", code, out, errs)
	}
	msgs := fleetBatch("spread", fleetMessages())
	start := time.Now()
	r.burst(msgs, func(*fleetGW) bool { return true })
	accepted := time.Since(start)
	final := r.settle(msgs, r.gws[0], 5*time.Minute)
	byText, byModem := r.received()
	for _, m := range msgs {
		if got := final[m.key]; got.State != smsgw.StateSent {
			r.fail("message %s (%s) ended %s, want sent", m.id, m.key, got.State)
		}
		if byText[m.text] != 1 {
			r.fail("message %s (%s) reached the network %d times, want once", m.id, m.key, byText[m.text])
		}
	}
	for _, g := range r.gws {
		for _, id := range g.ids {
			if byModem[id] == 0 {
				r.fail("modem %s of gateway %s sent nothing (by modem: %v)", id, g.name, byModem)
			}
		}
	}
	t.Logf("fleet spread: %d messages accepted through 3 gateways in %v, all sent once; by modem %v",
		len(msgs), accepted.Round(time.Millisecond), byModem)
}

// TestFleetGatewayKilled: one gateway is killed with SIGKILL mid-burst.
// Its clients fail over to the others with the same Idempotency-Key, the
// others take over its in-flight work once its lease runs out, and every
// message is sent; a message that reached the network twice carries a
// flag for each extra copy (an attempt interrupted by the kill, or an
// uncertain outcome), so duplicates never exceed the parts on the wire at
// the kill.
func TestFleetGatewayKilled(t *testing.T) {
	skipFleet(t)
	r := newFleet(t, fleetDSN(t), 3)
	victim := r.gws[2]
	msgs := fleetBatch("kill", fleetMessages())
	var killedMu sync.Mutex
	killed := false
	var killedAt time.Time
	// The kill comes once a third of the messages reached the network.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		r.net.WaitSubmitted(ctx, len(msgs)/3)
		killedMu.Lock()
		killed, killedAt = true, time.Now()
		killedMu.Unlock()
		victim.kill()
	}()
	r.burst(msgs, func(g *fleetGW) bool {
		killedMu.Lock()
		defer killedMu.Unlock()
		return g != victim || !killed
	})
	killedMu.Lock()
	wasKilled, at := killed, killedAt
	killedMu.Unlock()
	if !wasKilled {
		// The burst outran the network: kill now, with sends in flight.
		at = time.Now()
		victim.kill()
	}
	final := r.settle(msgs, r.gws[0], 5*time.Minute)
	took := time.Since(at)
	byText, _ := r.received()
	dups, flagged, victims := 0, 0, 0
	for _, m := range msgs {
		got := final[m.key]
		if got.State == smsgw.StateFailed {
			r.fail("message %s (%s) failed: %+v", m.id, m.key, got.Attempts)
		}
		flags := 0
		var hist []string
		for _, a := range got.Attempts {
			hist = append(hist, fmt.Sprintf("%s %s %q", a.Modem, a.Outcome, a.Error))
			if strings.HasPrefix(a.Modem, victim.name) {
				victims++
			}
			if a.Outcome == "interrupted" || strings.Contains(a.Error, "uncertain") {
				flags++
			}
		}
		if got.State == smsgw.StateUncertain {
			flags = max(flags, 1)
		}
		n := byText[m.text]
		if n == 0 && got.State == smsgw.StateSent {
			r.fail("message %s (%s) is sent but the network never got it; attempts: %s", m.id, m.key, strings.Join(hist, "; "))
		}
		if n > 1 {
			dups += n - 1
			flagged += flags
			t.Logf("message %s (%s) reached the network %d times; attempts: %s", m.id, m.key, n, strings.Join(hist, "; "))
		}
		if n > 1+flags {
			r.fail("message %s (%s, %s) reached the network %d times with %d flag(s); attempts: %s",
				m.id, m.key, got.State, n, flags, strings.Join(hist, "; "))
		}
	}
	// A modem has at most one message out and not yet on record (the
	// gateway records a message's last part before the next goes out), so
	// the kill left at most one per modem for the others to send again.
	if dups > len(victim.modems) {
		r.fail("%d duplicates after killing a gateway with %d modems; want at most one per modem", dups, len(victim.modems))
	}
	// How long the victim's in-flight messages waited: from the kill to
	// their copy from another gateway's modem reaching the network.
	taken := map[string]bool{}
	for _, m := range msgs {
		for _, a := range final[m.key].Attempts {
			if strings.HasPrefix(a.Modem, victim.name) && a.Outcome == "interrupted" {
				taken[m.text] = true
			}
		}
	}
	var waits []time.Duration
	for _, x := range r.net.Submitted() {
		text, _ := x.Text()
		if taken[text] && !strings.HasPrefix(r.byNumber[x.From], victim.name) && x.Time.After(at) {
			waits = append(waits, x.Time.Sub(at))
		}
	}
	slices.Sort(waits)
	takeover := "none was in flight"
	if len(waits) > 0 {
		takeover = fmt.Sprintf("%d in flight, sent by the others %v to %v after the kill", len(waits),
			waits[0].Round(time.Millisecond), waits[len(waits)-1].Round(time.Millisecond))
	}
	t.Logf("fleet kill: gateway %s killed with SIGKILL; its work: %s (lease %s); all %d messages settled %v after the kill; %d attempts on the victim's modems; %d duplicate(s), each flagged",
		victim.name, takeover, fleetLease(), len(msgs), took.Round(time.Millisecond), victims, dups)
}

// TestFleetStopAcrossGateways: a STOP received by a modem of gateway A
// suppresses a marketing send to that number accepted by gateway B, both
// one queued before the STOP (held by send_at) and one sent after it; a
// transactional message still goes.
func TestFleetStopAcrossGateways(t *testing.T) {
	skipFleet(t)
	r := newFleet(t, fleetDSN(t), 3)
	a, b := r.gws[0], r.gws[1]
	const who = "+4915119000001"
	early := &fleetMsg{key: "stop-early", text: "fleet stop: offer queued before the STOP", to: who}
	if ok, err := r.send(b, early, map[string]any{"category": "marketing", "send_at": time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339Nano)}); err != nil || !ok {
		r.fail("the early marketing send through b: %v, %v", ok, err)
	}
	if err := r.net.Deliver(a.modems[0].Number(), who, "STOP"); err != nil {
		t.Fatal(err)
	}
	// The opt-out is committed by a; b reads the same list.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var l struct {
			OptOuts []struct {
				Number string `json:"number"`
			} `json:"optouts"`
		}
		if err := b.c.do(context.Background(), "GET", "/v1/optouts", nil, &l); err != nil {
			r.fail("GET /v1/optouts on b: %v", err)
		}
		found := false
		for _, o := range l.OptOuts {
			found = found || o.Number == who
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			r.fail("the STOP a1 received is not on b's opt-out list after 60 s: %+v", l)
		}
		time.Sleep(50 * time.Millisecond) // a commits on its own; nothing tells the test
	}
	var res api.SendResponse
	err := b.c.do(context.Background(), "POST", "/v1/messages",
		map[string]any{"to": []string{who}, "text": "fleet stop: offer sent after the STOP", "category": "marketing"}, &res)
	if err != nil || len(res.Messages) != 1 || res.Messages[0].State != smsgw.StateSuppressed {
		r.fail("a marketing send through b after a's STOP = %+v, %v; want suppressed", res, err)
	}
	tx := &fleetMsg{key: "stop-tx", text: "fleet stop: your code is 1234", to: who}
	if ok, err := r.send(b, tx, nil); err != nil || !ok {
		r.fail("the transactional send through b: %v, %v", ok, err)
	}
	final := r.settleAny([]*fleetMsg{early, tx}, b, 2*time.Minute)
	if got := final[early.key]; got.State != smsgw.StateCancelled && got.State != smsgw.StateSuppressed {
		r.fail("the marketing message b queued before the STOP ended %s (%s), want cancelled by the opt-out", got.State, got.Reason)
	}
	if got := final[tx.key]; got.State != smsgw.StateSent {
		r.fail("the transactional message ended %s, want sent", got.State)
	}
	byText, _ := r.received()
	if byText[early.text] != 0 || byText[tx.text] != 1 {
		r.fail("the network got the early offer %d times and the code %d times; want 0 and 1", byText[early.text], byText[tx.text])
	}
}

// settleAny waits until every message is in a final state, whatever it is.
func (r *fleetRig) settleAny(msgs []*fleetMsg, via *fleetGW, timeout time.Duration) map[string]api.Message {
	r.t.Helper()
	out := map[string]api.Message{}
	deadline := time.Now().Add(timeout)
	for _, m := range msgs {
		for {
			var got api.Message
			err := via.c.do(context.Background(), "GET", "/v1/messages/"+m.id, nil, &got)
			if err == nil && got.State != smsgw.StateQueued && got.State != smsgw.StateSending {
				out[m.key] = got
				break
			}
			if time.Now().After(deadline) {
				r.fail("message %s (%s) is still %s after %v (%v)", m.id, m.key, got.State, timeout, err)
			}
			time.Sleep(50 * time.Millisecond) // the state changes inside the gateways; the test polls it
		}
	}
	return out
}

// TestFleetDatabaseRestart: the database stops in the middle of a burst.
// The gateways answer sends with 503 and Retry-After meanwhile (the
// clients come back with the same Idempotency-Key), keep an SMS received
// meanwhile on the SIM, and once the database is back everything goes by
// itself: every message sent, none lost, the SMS in the inbox and gone
// from the SIM.
func TestFleetDatabaseRestart(t *testing.T) {
	skipFleet(t)
	cl := pgtest.StartCluster(t)
	r := newFleet(t, cl.DSN(t, "fleet"), 3)
	a := r.gws[0]
	msgs := fleetBatch("dbrestart", fleetMessages())
	half := len(msgs) / 2
	r.burst(msgs[:half], func(*fleetGW) bool { return true })

	cl.Stop(t)
	// A send now: 503 with Retry-After, nothing queued.
	req, err := a.c.request(context.Background(), "POST", "/v1/messages", map[string]any{"to": []string{"+4915113999999"}, "text": "fleet dbrestart: refused"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.c.hc.Do(req)
	if err != nil {
		r.fail("a send with the database down got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		r.fail("a send with the database down = %s, Retry-After %q; want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	if err := a.c.do(context.Background(), "GET", "/readyz", nil, &ready); statusOf(err) != http.StatusServiceUnavailable {
		r.fail("readyz with the database down: %v; want 503", err)
	}
	// An SMS arrives meanwhile: it stays on a1's SIM.
	if err := r.net.Deliver(a.modems[0].Number(), "+4915119000002", "fleet dbrestart: received while the database was down"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(a.modems[0].Messages()) == 0 {
		if time.Now().After(deadline) {
			r.fail("the SMS never reached a1's SIM")
		}
		time.Sleep(20 * time.Millisecond) // the emulator stores it on its own
	}
	// The rest of the burst starts while the database is down; it comes
	// back a little later.
	// The outage outlasts the lease: every gateway's leases run out, and
	// none may take the others' messages when the database is back.
	lease, err := time.ParseDuration(fleetLease())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(lease + time.Second) // the outage's length; nothing to wait on
		if err := cl.StartErr(); err != nil {
			t.Error(err)
		}
	}()
	r.burst(msgs[half:], func(*fleetGW) bool { return true })
	final := r.settle(msgs, a, 5*time.Minute)
	byText, _ := r.received()
	for _, m := range msgs {
		got := final[m.key]
		if got.State != smsgw.StateSent && got.State != smsgw.StateUncertain {
			r.fail("message %s (%s) ended %s", m.id, m.key, got.State)
		}
		if byText[m.text] == 0 && got.State == smsgw.StateSent {
			r.fail("message %s (%s) is sent but the network never got it", m.id, m.key)
		}
		// No gateway died: a message goes out twice only if its attempt
		// was flagged (interrupted or uncertain).
		flags := 0
		for _, at := range got.Attempts {
			if at.Outcome == "interrupted" || strings.Contains(at.Error, "uncertain") {
				flags++
			}
		}
		if got.State == smsgw.StateUncertain {
			flags = max(flags, 1)
		}
		if byText[m.text] > 1+flags {
			r.fail("message %s (%s) reached the network %d times with %d flag(s): %+v", m.id, m.key, byText[m.text], flags, got.Attempts)
		}
	}
	deadline = time.Now().Add(2 * time.Minute)
	for {
		var in api.InboxList
		if err := a.c.do(context.Background(), "GET", "/v1/inbox?from=%2B4915119000002", nil, &in); err == nil && len(in.Messages) == 1 && len(a.modems[0].Messages()) == 0 {
			break
		}
		if time.Now().After(deadline) {
			r.fail("the SMS received while the database was down is not in the inbox (or still on the SIM: %d) 2 minutes later", len(a.modems[0].Messages()))
		}
		time.Sleep(100 * time.Millisecond) // the gateway sweeps the SIM on its own
	}
	if err := a.c.do(context.Background(), "GET", "/readyz", nil, nil); err != nil {
		r.fail("readyz after the database came back: %v", err)
	}
}
