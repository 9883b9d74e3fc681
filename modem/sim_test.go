package modem_test

// Driver tests against the emulator (modem/sim): real ptys opened through
// go.bug.st/serial, every profile, every fault the emulator can inject.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/modem/pdu"
	"smsgw/modem/sim"
)

const simGuard = 20 * time.Second

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func simNet(t *testing.T) *sim.Network {
	t.Helper()
	n := sim.NewNetwork(sim.NetworkOptions{})
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

func simModem(t *testing.T, n *sim.Network, o sim.Options) *sim.Modem {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	m, err := n.AddModem(context.Background(), o)
	if err != nil {
		t.Fatalf("AddModem: %v", err)
	}
	return m
}

// traceBuf collects the AT trace; safe for the engine's writes and the
// test's reads.
type traceBuf struct {
	mu      sync.Mutex
	b       bytes.Buffer
	watches map[string]chan struct{}
}

func (t *traceBuf) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for s, ch := range t.watches {
		if bytes.Contains(p, []byte(s)) {
			close(ch)
			delete(t.watches, s)
		}
	}
	return t.b.Write(p)
}

// watch returns a channel closed when a later trace line contains s.
func (t *traceBuf) watch(s string) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.watches == nil {
		t.watches = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	t.watches[s] = ch
	return ch
}

func (t *traceBuf) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

// writes returns the traced writes after offset: AT commands and payloads.
func (t *traceBuf) writes(offset int) (cmds, payloads []string) {
	s := t.String()[offset:]
	for _, l := range strings.Split(s, "\n") {
		i := strings.Index(l, ` tx "`)
		if i < 0 {
			continue
		}
		w := l[i+5 : len(l)-1]
		if strings.HasPrefix(strings.ToUpper(w), "AT") {
			cmds = append(cmds, strings.TrimSuffix(w, `\r`))
		} else {
			payloads = append(payloads, w)
		}
	}
	return cmds, payloads
}

func (t *traceBuf) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.Len()
}

func simCfg() modem.Config {
	return modem.Config{Logger: quietLog(), ReadyTimeout: 8 * time.Second, RetryInterval: 50 * time.Millisecond, SendTimeout: 10 * time.Second}
}

func openSim(t *testing.T, path string, cfg modem.Config) *modem.Modem {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), simGuard)
	defer cancel()
	m, err := modem.Open(ctx, path, cfg)
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

func sctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), simGuard)
	t.Cleanup(cancel)
	return c
}

// waitEvent returns the first event of kind, skipping others.
func waitEvent(t *testing.T, m *modem.Modem, kind modem.EventKind) modem.Event {
	t.Helper()
	deadline := time.After(simGuard)
	for {
		select {
		case ev, ok := <-m.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", kind)
			}
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event", kind)
		}
	}
}

// receiveText reads n stored parts announced by +CMTI, deletes them and
// joins their text.
func receiveText(t *testing.T, m *modem.Modem, n int) string {
	t.Helper()
	var msgs []pdu.Message
	for range n {
		ev := waitEvent(t, m, modem.EventMessageStored)
		st, err := m.ReadStored(sctx(t), ev.Index)
		if err != nil {
			t.Fatalf("read %d: %v", ev.Index, err)
		}
		msg, err := pdu.DecodeHex(st.PDU)
		if err != nil {
			t.Fatalf("decode %q: %v", st.PDU, err)
		}
		msgs = append(msgs, msg)
		if err := m.DeleteStored(sctx(t), ev.Index); err != nil {
			t.Fatalf("delete %d: %v", ev.Index, err)
		}
	}
	c, err := pdu.JoinContent(msgs)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return c.Text
}

// statusReportMR waits for the status report of a send, delivered directly
// (+CDS) or stored (+CDSI, read from its storage and deleted), and returns
// its TP-MR.
func statusReportMR(t *testing.T, m *modem.Modem) int {
	t.Helper()
	deadline := time.After(simGuard)
	for {
		var ev modem.Event
		select {
		case ev = <-m.Events():
		case <-deadline:
			t.Fatal("no status report")
		}
		hexPDU := ev.PDU
		switch ev.Kind {
		case modem.EventStatusReport:
		case modem.EventStatusReportStored:
			st, err := m.ReadStoredIn(sctx(t), ev.Storage, ev.Index)
			if err != nil {
				t.Fatalf("read report %s %d: %v", ev.Storage, ev.Index, err)
			}
			if err := m.DeleteStoredIn(sctx(t), ev.Storage, ev.Index); err != nil {
				t.Fatalf("delete report: %v", err)
			}
			hexPDU = st.PDU
		default:
			continue
		}
		msg, err := pdu.DecodeHex(hexPDU)
		if err != nil {
			t.Fatalf("decode report %q: %v", hexPDU, err)
		}
		sr, ok := msg.(*pdu.StatusReport)
		if !ok {
			t.Fatalf("not a status report: %T", msg)
		}
		return int(sr.MR)
	}
}

func encode(t *testing.T, to, text string, srr bool) []modem.Part {
	t.Helper()
	ps, err := pdu.EncodeSubmit(to, text, pdu.SubmitOptions{StatusReport: srr})
	if err != nil {
		t.Fatal(err)
	}
	return modem.PartsOf(ps)
}

// TestEmulatorProfiles runs the driver against every profile: init, identity,
// health, a single-part and a three-part send to another emulated modem, and
// counts the AT commands a send costs in steady state.
func TestEmulatorProfiles(t *testing.T) {
	long := strings.Repeat("Grüße aus Köln ✓ ", 10) // UCS-2, 3 parts
	for _, prof := range sim.Profiles() {
		t.Run(prof, func(t *testing.T) {
			n := simNet(t)
			a := simModem(t, n, sim.Options{Profile: prof})
			b := simModem(t, n, sim.Options{Profile: "generic"})
			var tr traceBuf
			cfg := simCfg()
			cfg.Trace = &tr
			ma := openSim(t, a.Path(), cfg)
			mb := openSim(t, b.Path(), simCfg())

			id, err := ma.Identity(sctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if id.IMEI != a.IMEI() || id.IMSI != a.IMSI() || id.ICCID != a.ICCID() || id.Manufacturer == "" {
				t.Errorf("identity %+v, emulator IMEI %s IMSI %s ICCID %s", id, a.IMEI(), a.IMSI(), a.ICCID())
			}
			sig, err := ma.Signal(sctx(t))
			if err != nil || sig.DBm == nil {
				t.Errorf("signal %+v %v", sig, err)
			}
			reg, err := ma.Registration(sctx(t))
			if err != nil || !reg.Registered {
				t.Errorf("registration %+v %v", reg, err)
			}
			op, err := ma.Operator(sctx(t))
			if err != nil || op.Name == "" {
				t.Errorf("operator %+v %v", op, err)
			}
			if ma.Setup().CNMI == "" {
				t.Errorf("no CNMI accepted: %+v", ma.Setup())
			}

			off := tr.Len()
			mrs, err := ma.SendParts(sctx(t), encode(t, b.Number(), "hello from "+prof, true))
			if err != nil || len(mrs) != 1 || mrs[0] < 0 {
				t.Fatalf("single send: %v %v", mrs, err)
			}
			cmds, payloads := tr.writes(off)
			if len(cmds) != 1 || !strings.HasPrefix(cmds[0], "AT+CMGS=") || len(payloads) != 1 {
				t.Errorf("single-part send wrote %q + %d payloads, want one AT+CMGS", cmds, len(payloads))
			}
			if got := receiveText(t, mb, 1); got != "hello from "+prof {
				t.Errorf("received %q", got)
			}
			if mr := statusReportMR(t, ma); mr != mrs[0] {
				t.Errorf("status report for MR %d, sent MR %d", mr, mrs[0])
			}

			parts := encode(t, b.Number(), long, false)
			if len(parts) != 3 {
				t.Fatalf("%d parts", len(parts))
			}
			// Twice: the first burst learns whether AT+CMMS is accepted; the
			// second shows the steady state.
			for range 2 {
				off = tr.Len()
				mrs, err = ma.SendParts(sctx(t), parts)
				if err != nil || len(mrs) != 3 {
					t.Fatalf("3-part send: %v %v", mrs, err)
				}
				cmds, _ = tr.writes(off)
				if got := receiveText(t, mb, 3); got != long {
					t.Errorf("received %q", got)
				}
			}
			wantCmds := 3
			if a.Profile().CMMS {
				wantCmds = 4
			}
			if len(cmds) != wantCmds {
				t.Errorf("3-part send wrote %q, want %d AT commands", cmds, wantCmds)
			}
			t.Logf("%s: CNMI %s, single part 1 AT command, 3 parts %d AT commands", prof, ma.Setup().CNMI, len(cmds))

			// And the other way: the profile's modem receives.
			if _, err := mb.SendParts(sctx(t), encode(t, a.Number(), "reply", false)); err != nil {
				t.Fatal(err)
			}
			if got := receiveText(t, ma, 1); got != "reply" {
				t.Errorf("profile modem received %q", got)
			}
		})
	}
}

func TestEmulatorRoundTrips(t *testing.T) {
	// The figure for the notes: AT exchanges per send in steady state on a
	// modem with AT+CMMS (generic profile).
	n := simNet(t)
	a := simModem(t, n, sim.Options{Profile: "generic"})
	var tr traceBuf
	cfg := simCfg()
	cfg.Trace = &tr
	m := openSim(t, a.Path(), cfg)
	for _, tc := range []struct {
		text      string
		wantCmds  int
		wantParts int
	}{
		{"one part", 1, 1},
		{strings.Repeat("x", 400), 4, 3},
		{strings.Repeat("y", 450), 4, 3},
	} {
		parts := encode(t, "+4915112345678", tc.text, false)
		off := tr.Len()
		if _, err := m.SendParts(sctx(t), parts); err != nil {
			t.Fatal(err)
		}
		cmds, payloads := tr.writes(off)
		if len(parts) != tc.wantParts || len(cmds) != tc.wantCmds || len(payloads) != tc.wantParts {
			t.Errorf("%d parts: %q and %d payloads; want %d commands", len(parts), cmds, len(payloads), tc.wantCmds)
		}
		t.Logf("%d part(s): %d AT commands (%s), %d write/answer exchanges", len(parts), len(cmds), strings.Join(cmds, " "), len(cmds)+len(payloads))
	}
}

// TestEmulatorFaults runs every fault the emulator injects against every
// profile, in parallel per profile.
func TestEmulatorFaults(t *testing.T) {
	for _, prof := range sim.Profiles() {
		t.Run(prof, func(t *testing.T) {
			t.Parallel()
			emulatorFaults(t, prof)
		})
	}
}

func emulatorFaults(t *testing.T, prof string) {
	t.Run("hang during send, then recover", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		cfg := simCfg()
		cfg.PromptTimeout = 300 * time.Millisecond
		m := openSim(t, a.Path(), cfg)
		a.Hang(true)
		_, err := m.SendParts(sctx(t), encode(t, "+4915112345678", "hi", false))
		var se *modem.SendError
		if !errors.Is(err, at.ErrTimeout) || at.Classify(err) != at.ClassTemporary || !errors.As(err, &se) || se.OnWire {
			t.Fatalf("got %v", err)
		}
		a.Hang(false)
		if _, err := m.SendParts(sctx(t), encode(t, "+4915112345678", "after", false)); err != nil {
			t.Fatalf("after hang: %v", err)
		}
		if _, err := m.Signal(sctx(t)); err != nil {
			t.Fatalf("after hang: %v", err)
		}
	})
	t.Run("hang at open", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		a.Hang(true)
		cfg := simCfg()
		cfg.SyncAttempts = 2
		_, err := modem.Open(sctx(t), a.Path(), cfg)
		if !errors.Is(err, modem.ErrNoResponse) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unplug and replug", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		m := openSim(t, a.Path(), simCfg())
		id1, _ := m.Identity(sctx(t))
		if err := a.Unplug(); err != nil {
			t.Fatal(err)
		}
		ev := waitEvent(t, m, modem.EventPortLost)
		if !errors.Is(ev.Err, at.ErrClosed) {
			t.Fatalf("port lost with %v", ev.Err)
		}
		if !strings.Contains(ev.Err.Error(), "disconnected") {
			t.Errorf("port lost error does not say why: %v", ev.Err)
		}
		if _, err := m.SendParts(sctx(t), encode(t, "+4915112345678", "x", false)); !errors.Is(err, at.ErrClosed) {
			t.Fatalf("send on lost port: %v", err)
		}
		m.Close(context.Background())
		if err := a.Replug(); err != nil {
			t.Fatal(err)
		}
		m2 := openSim(t, a.Path(), simCfg())
		id2, err := m2.Identity(sctx(t))
		if err != nil || id2.IMEI != id1.IMEI {
			t.Fatalf("after replug %+v %v", id2, err)
		}
		if _, err := m2.SendParts(sctx(t), encode(t, "+4915112345678", "again", false)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unplug mid-send fails the waiter", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof, SubmitDelay: time.Minute})
		var tr traceBuf
		cfg := simCfg()
		cfg.Trace = &tr
		m := openSim(t, a.Path(), cfg)
		payload := tr.watch(`\x1a"`)
		errc := make(chan error, 1)
		go func() {
			_, err := m.SendParts(context.Background(), encode(t, "+4915112345678", "x", false))
			errc <- err
		}()
		select {
		case <-payload: // the PDU is written; the network sits on it
		case <-time.After(simGuard):
			t.Fatal("PDU never written")
		}
		if err := a.Unplug(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, at.ErrClosed) {
				t.Fatalf("got %v", err)
			}
		case <-time.After(simGuard):
			t.Fatal("waiter not failed")
		}
	})
	t.Run("CMS errors", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		m := openSim(t, a.Path(), simCfg())
		for _, tc := range []struct {
			code  int
			class at.Class
		}{{38, at.ClassTemporary}, {1, at.ClassPermanent}, {500, at.ClassTemporary}, {330, at.ClassModemFault}} {
			a.FailSubmits(1, tc.code)
			_, err := m.SendParts(sctx(t), encode(t, "+4915112345678", "x", false))
			var cms *at.CMSError
			var se *modem.SendError
			if !errors.As(err, &cms) || cms.Code != tc.code || !errors.As(err, &se) || at.Classify(err) != tc.class {
				t.Errorf("code %d: got %v (class %v)", tc.code, err, at.Classify(err))
			}
		}
		// Second part of three fails: the first MR is reported.
		a.FailSubmits(0, 0)
		parts := encode(t, "+4915112345678", strings.Repeat("x", 400), false)
		if _, err := m.SendParts(sctx(t), parts[:1]); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("full SIM", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof, SIMCapacity: 3})
		m := openSim(t, a.Path(), simCfg())
		a.FillStorage()
		st, err := m.Storage(sctx(t))
		if err != nil || st.Used != st.Total || st.Total != 3 {
			t.Fatalf("storage %+v %v", st, err)
		}
		if err := n.Deliver(a.Number(), "+491700000001", "held by the network"); err != nil {
			t.Fatal(err)
		}
		list, err := m.ListStored(sctx(t))
		if err != nil || len(list) != 3 {
			t.Fatalf("list %d %v", len(list), err)
		}
		// Making room lets the held message in.
		if err := m.DeleteStored(sctx(t), list[0].Index); err != nil {
			t.Fatal(err)
		}
		if got := receiveText(t, m, 1); got != "held by the network" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("URCs inside responses", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		b := simModem(t, n, sim.Options{})
		a.ResponseNoise(true)
		a.StartNoise(5 * time.Millisecond)
		defer a.StopNoise()
		m := openSim(t, a.Path(), simCfg())
		mb := openSim(t, b.Path(), simCfg())
		if _, err := m.Identity(sctx(t)); err != nil {
			t.Fatal(err)
		}
		text := strings.Repeat("noise-proof ", 25) // 300 chars: 2 parts
		if _, err := m.SendParts(sctx(t), encode(t, b.Number(), text, false)); err != nil {
			t.Fatal(err)
		}
		if got := receiveText(t, mb, 2); got != text {
			t.Errorf("got %q", got)
		}
		if _, err := mb.SendParts(sctx(t), encode(t, a.Number(), "to the noisy one", false)); err != nil {
			t.Fatal(err)
		}
		if got := receiveText(t, m, 1); got != "to the noisy one" {
			t.Errorf("got %q", got)
		}
		for range 20 {
			if _, err := m.Signal(sctx(t)); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("output fragmented at arbitrary bytes", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		b := simModem(t, n, sim.Options{})
		a.FragmentOutput(true)
		m := openSim(t, a.Path(), simCfg())
		mb := openSim(t, b.Path(), simCfg())
		if _, err := m.Identity(sctx(t)); err != nil {
			t.Fatal(err)
		}
		text := strings.Repeat("fragments ", 20)
		if _, err := m.SendParts(sctx(t), encode(t, b.Number(), text, false)); err != nil {
			t.Fatal(err)
		}
		if got := receiveText(t, mb, 2); got != text {
			t.Errorf("got %q", got)
		}
		if _, err := mb.SendParts(sctx(t), encode(t, a.Number(), "in pieces", false)); err != nil {
			t.Fatal(err)
		}
		if got := receiveText(t, m, 1); got != "in pieces" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("garbage bytes", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		m := openSim(t, a.Path(), simCfg())
		a.InjectGarbage([]byte("\x00\xff\xfe#@!\r\n\x1b~~"))
		if _, err := m.SendParts(sctx(t), encode(t, "+4915112345678", "x", false)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reboot re-applies settings", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		m := openSim(t, a.Path(), simCfg())
		if err := a.Reboot(); err != nil {
			t.Fatal(err)
		}
		// Profiles with a boot banner are noticed by it; a silent reboot
		// (generic, Telit) by the echo the next command meets, as the
		// pool's health checks or Keepalive would send. The command may
		// fail while the modem boots.
		_, _ = m.Signal(sctx(t))
		ev := waitEvent(t, m, modem.EventReset)
		if ev.Err != nil {
			t.Fatalf("re-init: %v", ev.Err)
		}
		// Indications work again: a message arrives as +CMTI.
		if err := n.Deliver(a.Number(), "+491700000001", "after reboot"); err != nil {
			t.Fatal(err)
		}
		if got := receiveText(t, m, 1); got != "after reboot" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("registration lost", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: prof})
		m := openSim(t, a.Path(), simCfg())
		a.SetRegistration(0)
		ev := waitEvent(t, m, modem.EventRegistration)
		if ev.Registration.Registered {
			t.Fatalf("got %+v", ev.Registration)
		}
		_, err := m.SendParts(sctx(t), encode(t, "+4915112345678", "x", false))
		if at.Classify(err) != at.ClassModemFault {
			t.Fatalf("send without network: %v (%v)", err, at.Classify(err))
		}
		a.SetRegistration(1)
		for ev := waitEvent(t, m, modem.EventRegistration); !ev.Registration.Registered; ev = waitEvent(t, m, modem.EventRegistration) {
		}
	})
}

func TestEmulatorPIN(t *testing.T) {
	n := simNet(t)
	a := simModem(t, n, sim.Options{PIN: "4321"})
	cfg := simCfg()
	cfg.ID = "pin-wrong-" + a.Path()
	cfg.PIN = "1111"
	for range 3 {
		if _, err := modem.Open(sctx(t), a.Path(), cfg); !errors.Is(err, modem.ErrPINRejected) {
			t.Fatalf("wrong PIN: %v", err)
		}
	}
	// Three opens with a wrong PIN tried it once: the SIM is not PUK-locked.
	cfg.ID = ""
	cfg.PIN = "4321"
	m := openSim(t, a.Path(), cfg)
	if st, err := m.SIMState(sctx(t)); err != nil || st != "READY" {
		t.Fatalf("state %q %v", st, err)
	}
}

// TestEmulatorPINAcrossRestarts: a process restart forgets which PIN was
// refused; the SIM's retry counter still stops the driver before the PUK.
func TestEmulatorPINAcrossRestarts(t *testing.T) {
	n := simNet(t)
	a := simModem(t, n, sim.Options{PIN: "4321"})
	cfg := simCfg()
	cfg.PIN = "1111"
	for i, want := range []error{modem.ErrPINRejected, modem.ErrPINRejected, modem.ErrPINLastAttempt, modem.ErrPINLastAttempt} {
		cfg.ID = fmt.Sprintf("restart-%d-%s", i, a.Path()) // a fresh process each time
		if _, err := modem.Open(sctx(t), a.Path(), cfg); !errors.Is(err, want) {
			t.Fatalf("open %d: got %v, want %v", i, err, want)
		}
	}
	cfg.ID = "check-" + a.Path()
	cfg.PIN = ""
	_, err := modem.Open(sctx(t), a.Path(), cfg)
	if !errors.Is(err, modem.ErrPINRequired) {
		t.Fatalf("SIM should still ask for its PIN, not its PUK: %v", err)
	}
}

func TestEmulatorReceivePaths(t *testing.T) {
	t.Run("direct delivery and status reports", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{})
		b := simModem(t, n, sim.Options{})
		cfg := simCfg()
		cfg.Direct = true
		ma := openSim(t, a.Path(), simCfg())
		mb := openSim(t, b.Path(), cfg)
		mrs, err := ma.SendParts(sctx(t), encode(t, b.Number(), "direct", true))
		if err != nil {
			t.Fatal(err)
		}
		ev := waitEvent(t, mb, modem.EventMessage)
		msg, err := pdu.DecodeHex(ev.PDU)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := pdu.JoinContent([]pdu.Message{msg}); err != nil || c.Text != "direct" {
			t.Errorf("got %q %v", c.Text, err)
		}
		rep := waitEvent(t, ma, modem.EventStatusReport)
		sr, err := pdu.DecodeHex(rep.PDU)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := sr.(*pdu.StatusReport)
		if !ok || int(r.MR) != mrs[0] {
			t.Errorf("status report %+v for MR %d", sr, mrs[0])
		}
	})
	t.Run("stored at start-up", func(t *testing.T) {
		n := simNet(t)
		a := simModem(t, n, sim.Options{Profile: "huawei-e173"})
		for i := range 3 {
			if err := n.Deliver(a.Number(), "+491700000001", fmt.Sprintf("waiting %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		m := openSim(t, a.Path(), simCfg())
		deadline := time.Now().Add(simGuard)
		var list []modem.Stored
		for len(list) < 3 && time.Now().Before(deadline) {
			var err error
			if list, err = m.ListStored(sctx(t)); err != nil {
				t.Fatal(err)
			}
			if len(list) < 3 {
				waitEvent(t, m, modem.EventMessageStored)
			}
		}
		if len(list) != 3 {
			t.Fatalf("listed %d", len(list))
		}
		for _, s := range list {
			if _, err := pdu.DecodeHex(s.PDU); err != nil {
				t.Errorf("index %d: %v", s.Index, err)
			}
			if err := m.DeleteStored(sctx(t), s.Index); err != nil {
				t.Fatal(err)
			}
		}
		if list, _ := m.ListStored(sctx(t)); len(list) != 0 {
			t.Errorf("left %d", len(list))
		}
	})
	for _, prof := range []string{"generic", "huawei-e173"} {
		t.Run("ussd/"+prof, func(t *testing.T) {
			n := simNet(t)
			a := simModem(t, n, sim.Options{Profile: prof, Balance: "Balance: 1.23 EUR"})
			m := openSim(t, a.Path(), simCfg())
			r, err := m.USSD(sctx(t), "*100#")
			if err != nil || r.Text != "Balance: 1.23 EUR" {
				t.Fatalf("%+v %v", r, err)
			}
		})
	}
}
