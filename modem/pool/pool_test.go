package pool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The supervisor's state machine, driven through injected Open/Session
// functions over ports that are plain paths appearing and vanishing. The
// modem side is exercised over real ptys in package gateway's tests.

type fakeDev struct {
	id       Identity
	lost     chan struct{}
	lostOnce sync.Once
	ping     func() error
	closed   atomic.Bool
}

func (d *fakeDev) Identity() Identity { return d.id }
func (d *fakeDev) Ping(context.Context) error {
	if d.ping != nil {
		return d.ping()
	}
	return nil
}
func (d *fakeDev) Reset(context.Context) error { return nil }
func (d *fakeDev) Lost() <-chan struct{}       { return d.lost }
func (d *fakeDev) Close(context.Context) error { d.closed.Store(true); return nil }
func (d *fakeDev) unplug()                     { d.lostOnce.Do(func() { close(d.lost) }) }

type openCall struct {
	port  string
	reset bool
}

type harness struct {
	t       *testing.T
	mu      sync.Mutex
	opens   []openCall
	openErr error
	imei    map[string]string // port -> IMEI
	devs    chan *fakeDev     // each opened device
	session func(ctx context.Context, m *Member, d Device) error
	changes chan State
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, imei: map[string]string{}, devs: make(chan *fakeDev, 16), changes: make(chan State, 256)}
}

func (h *harness) options() Options {
	return Options{
		Interval: 20 * time.Millisecond, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		BenchAfter: 3, BenchFor: time.Hour,
		Open: func(ctx context.Context, port string, spec Spec, reset bool) (Device, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.opens = append(h.opens, openCall{port, reset})
			if h.openErr != nil {
				return nil, h.openErr
			}
			d := &fakeDev{id: Identity{IMEI: h.imei[port], ICCID: "8949"}, lost: make(chan struct{})}
			h.devs <- d
			return d, nil
		},
		Session: func(ctx context.Context, m *Member, d Device) error {
			if h.session != nil {
				return h.session(ctx, m, d)
			}
			select {
			case <-ctx.Done():
			case <-d.Lost():
			}
			return nil
		},
		OnChange: func(m *Member) { h.changes <- m.State() },
		ProcRoot: h.t.TempDir(),
	}
}

func (h *harness) waitState(m *Member, want State) {
	h.t.Helper()
	deadline := time.After(10 * time.Second)
	for m.State() != want {
		select {
		case <-h.changes:
		case <-deadline:
			h.t.Fatalf("modem %s state %s, want %s", m.ID(), m.State(), want)
		}
	}
}

func (h *harness) nextDev() *fakeDev {
	h.t.Helper()
	select {
	case d := <-h.devs:
		return d
	case <-time.After(10 * time.Second):
		h.t.Fatal("no device opened")
		return nil
	}
}

func touch(t *testing.T, p string) {
	t.Helper()
	if err := os.Symlink("/dev/null", p); err != nil {
		t.Fatal(err)
	}
}

func startPool(t *testing.T, o Options) *Pool {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestStaticModemUnplugReplug(t *testing.T) {
	h := newHarness(t)
	port := filepath.Join(t.TempDir(), "ttyUSB0")
	touch(t, port)
	h.imei[port] = "350000000000001"
	o := h.options()
	o.Specs = []Spec{{ID: "office", Port: port}}
	p := startPool(t, o)
	m, _ := p.Member("office")
	h.waitState(m, StateReady)
	d := h.nextDev()
	if m.Device() != d || m.Identity().IMEI != "350000000000001" {
		t.Fatalf("member %+v", m.Status())
	}
	m.CountSent()

	os.Remove(port)
	d.unplug()
	h.waitState(m, StateOffline)
	if !d.closed.Load() || m.Device() != nil {
		t.Error("device not closed / still handed out after unplug")
	}
	touch(t, port)
	h.waitState(m, StateReady)
	h.nextDev()
	st := m.Status()
	if st.ID != "office" || st.Sent != 1 || st.Reconnects < 1 {
		t.Errorf("after replug: %+v", st)
	}
	if r, n := p.Ready(); r != 1 || n != 1 {
		t.Errorf("Ready = %d/%d", r, n)
	}
}

func TestRecoveryStepsAndBench(t *testing.T) {
	h := newHarness(t)
	port := filepath.Join(t.TempDir(), "ttyUSB0")
	touch(t, port)
	var sessions atomic.Int32
	pingOK := atomic.Bool{}
	pingOK.Store(true)
	h.session = func(ctx context.Context, m *Member, d Device) error {
		sessions.Add(1)
		return ErrUnresponsive
	}
	o := h.options()
	o.Specs = []Spec{{ID: "m1", Port: port}}
	o.BenchAfter = 3
	o.Open = func(ctx context.Context, port string, spec Spec, reset bool) (Device, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.opens = append(h.opens, openCall{port, reset})
		if len(h.opens) > 1 {
			return nil, errors.New("no answer")
		}
		return &fakeDev{id: Identity{IMEI: "1"}, lost: make(chan struct{}), ping: func() error {
			if sessions.Load() < 3 {
				return nil // resync works the first times
			}
			return errors.New("silent")
		}}, nil
	}
	p := startPool(t, o)
	m, _ := p.Member("m1")
	h.waitState(m, StateBenched)
	h.mu.Lock()
	defer h.mu.Unlock()
	if sessions.Load() != 3 {
		t.Errorf("sessions = %d, want 3 (two in-place resyncs, then reopen)", sessions.Load())
	}
	// Reopen plain, then with a reset, then benched.
	if len(h.opens) < 3 || h.opens[1].reset || !h.opens[2].reset {
		t.Errorf("opens = %+v, want plain then reset", h.opens)
	}
	if st := m.Status(); st.LastError == "" {
		t.Errorf("no last error recorded: %+v", st)
	}
}

func TestDiscoveredModemKeepsIDOnAnotherPort(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "usb-stick-a"), filepath.Join(dir, "usb-stick-b")
	h.imei[p1], h.imei[p2] = "350000000000077", "350000000000077"
	touch(t, p1)
	o := h.options()
	o.Autodetect = true
	o.Scanner = Scanner{Globs: []string{filepath.Join(dir, "usb-*")}, SysfsRoot: t.TempDir()}
	var probes atomic.Int32
	o.Probe = func(ctx context.Context, port string, baud int) error { probes.Add(1); return nil }
	o.DiscoveredDefaults = Spec{Baud: 115200, Tags: []string{"auto"}}
	p := startPool(t, o)

	var m *Member
	deadline := time.Now().Add(10 * time.Second)
	for m == nil && time.Now().Before(deadline) {
		select {
		case <-h.changes:
		case <-time.After(50 * time.Millisecond):
		}
		m, _ = p.Member("modem-350000000000077")
	}
	if m == nil {
		t.Fatal("discovered modem never appeared")
	}
	h.waitState(m, StateReady)
	d := h.nextDev()
	m.CountReceived()

	os.Remove(p1)
	d.unplug()
	h.waitState(m, StateOffline)
	touch(t, p2) // the stick comes back in another socket
	h.waitState(m, StateReady)
	h.nextDev()
	st := m.Status()
	if st.Port != p2 || st.Received != 1 || len(st.Tags) != 1 {
		t.Errorf("after replug elsewhere: %+v", st)
	}
	if n := len(p.Members()); n != 1 {
		t.Errorf("%d members, want 1", n)
	}
	if probes.Load() < 2 {
		t.Errorf("probes = %d", probes.Load())
	}
}

func TestIMEIMismatchRefused(t *testing.T) {
	h := newHarness(t)
	port := filepath.Join(t.TempDir(), "ttyUSB0")
	touch(t, port)
	h.imei[port] = "350000000000002"
	o := h.options()
	o.Specs = []Spec{{ID: "office", Port: port, IMEI: "350000000000009"}}
	o.Interval = time.Hour // one attempt is enough to look at
	p := startPool(t, o)
	d := h.nextDev()
	deadline := time.Now().Add(10 * time.Second)
	for !d.closed.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	m, _ := p.Member("office")
	if !d.closed.Load() || m.State() == StateReady {
		t.Errorf("wrong device adopted: %+v", m.Status())
	}
}

// A modem benched because it did not answer is watched while it rests and
// comes back as soon as it answers, not after BenchFor; one that fails in
// another way rests the whole time.
func TestBenchedSilentModemBackWhenItAnswers(t *testing.T) {
	for _, silent := range []bool{true, false} {
		h := newHarness(t)
		port := filepath.Join(t.TempDir(), "ttyUSB0")
		touch(t, port)
		var answers atomic.Bool
		var probes atomic.Int32
		o := h.options()
		o.Specs = []Spec{{ID: "m1", Port: port}}
		o.BenchAfter, o.BenchFor = 2, time.Hour
		o.Open = func(ctx context.Context, port string, spec Spec, reset bool) (Device, error) {
			if !answers.Load() {
				if silent {
					return nil, fmt.Errorf("%w: no answer to AT", ErrUnresponsive)
				}
				return nil, errors.New("SIM failure")
			}
			d := &fakeDev{id: Identity{IMEI: "1"}, lost: make(chan struct{})}
			return d, nil
		}
		o.Probe = func(ctx context.Context, port string, baud int) error {
			probes.Add(1)
			if answers.Load() {
				return nil
			}
			return errors.New("no answer")
		}
		p := startPool(t, o)
		m, _ := p.Member("m1")
		h.waitState(m, StateBenched)
		for deadline := time.Now().Add(10 * time.Second); silent && probes.Load() == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("a benched silent modem is never probed")
			}
		}
		answers.Store(true)
		if silent {
			h.waitState(m, StateReady)
			continue
		}
		time.Sleep(200 * time.Millisecond) // ten probe intervals
		if st := m.State(); st != StateBenched || probes.Load() != 0 {
			t.Errorf("a modem benched for another failure: state %s after %d probes; want it resting", st, probes.Load())
		}
	}
}
