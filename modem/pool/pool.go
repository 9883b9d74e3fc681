// Package pool keeps a set of modems alive: the ones the configuration
// names and, when asked, the ones it finds by itself (/dev/serial/by-id
// globs, USB VID/PID from sysfs, each interface of a multi-port stick probed
// with AT). A modem is known by its identity (IMEI, with the SIM's ICCID),
// so a stick replugged into another socket keeps its id and counters.
//
// One supervisor goroutine per port opens the device, hands it to the
// caller's SessionFunc for as long as it works, and recovers it when it
// does not: a vanished port takes the modem offline until the port comes
// back; a silent modem is resynced, then its port reopened, then the modem
// reset, with backoff, and benched after repeated failures. A port held by
// another process (ModemManager, usually) is logged with the udev fix.
//
// The pool knows nothing of messages or queues; package gateway runs the
// sessions.
package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Sentinels a SessionFunc wraps to tell the supervisor what went wrong.
var (
	// ErrPortLost: the port went away (unplugged, I/O error).
	ErrPortLost = errors.New("pool: port lost")
	// ErrUnresponsive: the modem stopped answering; recover it.
	ErrUnresponsive = errors.New("pool: modem not answering")
	// ErrClosed is returned by calls on a closed pool.
	ErrClosed = errors.New("pool: closed")
	// ErrUnknownModem: Reset named no modem of the pool.
	ErrUnknownModem = errors.New("pool: unknown modem")
	// ErrNotReady: Reset asked of a modem that is not in a session (it is
	// opening, recovering, benched or offline already).
	ErrNotReady = errors.New("pool: modem not ready")
	// errResetRequested ends a session on Reset's behalf.
	errResetRequested = errors.New("pool: reset requested")
)

// State of a modem in the pool.
type State string

// States, in the order a healthy modem passes them.
const (
	StateOffline    State = "offline"    // port absent
	StateOpening    State = "opening"    // opening and initialising
	StateReady      State = "ready"      // in a session: can send and receive
	StateRecovering State = "recovering" // failed; being resynced, reopened or reset
	StateBenched    State = "benched"    // failed too often; resting
	StateStopped    State = "stopped"    // the pool is shutting down
)

// Identity is what a device says about itself at init.
type Identity struct {
	IMEI, IMSI, ICCID             string
	Manufacturer, Model, Revision string
	Number                        string // own number, when the SIM has it
}

// Key is the identity key: IMEI, and ICCID for its SIM.
func (id Identity) Key() string {
	if id.IMEI == "" {
		return ""
	}
	return id.IMEI + "/" + id.ICCID
}

// Spec is a configured modem ([[modem]]), or the settings a discovered one
// gets.
type Spec struct {
	ID     string
	Port   string
	IMEI   string // bind to this device wherever it shows up
	Baud   int
	PIN    string
	SMSC   string
	Number string
	Tags   []string
}

// Device is an opened, initialised modem as the pool needs it; the gateway
// asserts the richer interface it sends and receives through. Close is
// bounded by its ctx and safe to call twice.
type Device interface {
	Identity() Identity
	// Ping checks the modem answers (AT), resyncing the line if needed.
	Ping(ctx context.Context) error
	// Reset restarts the modem (AT+CFUN=1,1 or the device's equivalent).
	Reset(ctx context.Context) error
	// Lost is closed when the port goes away under the device.
	Lost() <-chan struct{}
	Close(ctx context.Context) error
}

// OpenFunc opens and initialises the modem on port. With reset set it
// restarts the modem first (the last recovery step).
type OpenFunc func(ctx context.Context, port string, spec Spec, reset bool) (Device, error)

// ProbeFunc checks, quickly, whether port answers AT.
type ProbeFunc func(ctx context.Context, port string, baud int) error

// SessionFunc uses a ready device until ctx ends (return nil) or the device
// fails (return an error wrapping ErrPortLost, ErrUnresponsive, or any
// other error, which counts as unresponsive).
type SessionFunc func(ctx context.Context, m *Member, dev Device) error

// Options configure a Pool. Open and Session are required.
type Options struct {
	Specs      []Spec
	Autodetect bool
	Scanner    Scanner
	// Defaults applied to discovered modems (baud, tags...).
	DiscoveredDefaults Spec
	Interval           time.Duration // rescans and port checks; default 5s
	ProbeTimeout       time.Duration // default 2s
	Backoff            time.Duration // after the first failure; default 1s
	MaxBackoff         time.Duration // default 1m
	BenchAfter         int           // consecutive failures; default 5
	BenchFor           time.Duration // default 10m
	Open               OpenFunc
	Probe              ProbeFunc
	Session            SessionFunc
	// OnChange is called (from pool goroutines, without locks held) when
	// a modem changes state.
	OnChange func(*Member)
	Logger   *slog.Logger
	ProcRoot string // "/proc" unless a test says otherwise
}

// Pool supervises the modems. New -> Close.
type Pool struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex
	members map[string]*Member // by id
	byKey   map[string]*Member // by identity key
	byIMEI  map[string]*Member
	active  map[string]bool // resolved tty paths with a supervisor
	closed  bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks the options, registers the configured modems (offline until
// their supervisor opens them) and starts a supervisor per configured port
// and, with Autodetect, the discovery loop. They run until Close.
func New(o Options) (*Pool, error) {
	if o.Open == nil || o.Session == nil {
		return nil, errors.New("pool: Open and Session are required")
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 2 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = max(time.Minute, o.Backoff)
	}
	if o.BenchAfter <= 0 {
		o.BenchAfter = 5
	}
	if o.BenchFor <= 0 {
		o.BenchFor = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pool{
		o: o, log: o.Logger,
		members: map[string]*Member{}, byKey: map[string]*Member{}, byIMEI: map[string]*Member{},
		active: map[string]bool{},
	}
	for _, s := range o.Specs {
		if _, dup := p.members[s.ID]; dup {
			return nil, fmt.Errorf("pool: duplicate modem id %q", s.ID)
		}
		m := newMember(s, s.Port)
		p.members[s.ID] = m
		if s.IMEI != "" {
			p.byIMEI[s.IMEI] = m
		}
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.mu.Lock()
	for _, s := range p.o.Specs {
		if s.Port == "" {
			continue // IMEI-only binding: waits for discovery
		}
		key := resolve(s.Port)
		p.active[key] = true
		m := p.members[s.ID]
		p.spawn(func() { p.supervise(s.Port, key, s, m, true) })
	}
	p.mu.Unlock()
	if p.o.Autodetect {
		p.spawn(p.discover)
	}
	return p, nil
}

func (p *Pool) spawn(f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}

// Close stops every session and supervisor, waiting until ctx ends. Devices
// are closed by their supervisors, each Close bounded by deviceCloseWait.
// Later calls wait likewise.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pool: close: %w", ctx.Err())
	}
}

// Members returns every modem the pool knows, sorted by id.
func (p *Pool) Members() []*Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*Member, 0, len(p.members))
	for _, m := range p.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

// Member returns the modem with id.
func (p *Pool) Member(id string) (*Member, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.members[id]
	return m, ok
}

// Ready counts the modems in StateReady.
func (p *Pool) Ready() (ready, total int) {
	for _, m := range p.Members() {
		total++
		if m.State() == StateReady {
			ready++
		}
	}
	return ready, total
}

func (p *Pool) setState(m *Member, s State, err error) {
	if m.setState(s, err) && p.o.OnChange != nil {
		p.o.OnChange(m)
	}
}

// deviceCloseWait bounds the Close of one device: a port that does not
// let go must not hold its supervisor (and the pool's Close) for ever.
const deviceCloseWait = 5 * time.Second

func (p *Pool) closeDevice(log *slog.Logger, dev Device) {
	ctx, cancel := context.WithTimeout(context.Background(), deviceCloseWait)
	defer cancel()
	if err := dev.Close(ctx); err != nil {
		log.Debug("closing the modem", "err", err)
	}
}

// resolve follows symlinks so two names of one tty compare equal.
func resolve(port string) string {
	if r, err := filepath.EvalSymlinks(port); err == nil {
		return r
	}
	return filepath.Clean(port)
}

func portPresent(port string) bool {
	_, err := os.Stat(port)
	return err == nil
}

// sleep waits d or until the pool stops; false means stop.
func (p *Pool) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// supervise owns one port. static supervisors live as long as the pool and
// wait for a vanished port to return; discovered ones end when their port
// goes (discovery starts a new one when it reappears, wherever it does).
//
// key is the resolved tty the supervisor holds in p.active; it is taken at
// start since a vanished link no longer resolves.
func (p *Pool) supervise(port, key string, spec Spec, m *Member, static bool) {
	log := p.log.With("port", port)
	if m != nil {
		log = log.With("modem", m.ID())
	}
	defer func() {
		p.mu.Lock()
		delete(p.active, key)
		p.mu.Unlock()
	}()
	failures := 0 // consecutive
	step := 0     // recovery step for the next open: 0 plain, 1 reopen, 2 reset
	warnedHolders := false
	for p.ctx.Err() == nil {
		if !portPresent(port) {
			if m != nil {
				if m.State() != StateOffline {
					log.Warn("modem port gone; modem offline")
				}
				p.setState(m, StateOffline, nil)
			}
			if !static {
				return
			}
			if !p.sleep(p.o.Interval / 5) {
				break
			}
			continue
		}
		if m != nil {
			p.setState(m, StateOpening, nil)
		}
		octx, cancel := context.WithTimeout(p.ctx, 2*time.Minute)
		dev, err := p.o.Open(octx, port, spec, step >= 2)
		cancel()
		if err != nil {
			if p.ctx.Err() != nil {
				break
			}
			failures++
			if !warnedHolders {
				warnedHolders = p.explainOpenFailure(log, port, err)
			}
			if !portPresent(port) {
				continue // unplugged while opening: not the modem's fault
			}
			if m != nil {
				p.setState(m, StateRecovering, err)
			}
			log.Warn("modem open failed", "err", err, "failures", failures)
			step = min(step+1, 2)
			// A modem benched for silence is watched while it rests.
			watch := ""
			if errors.Is(err, ErrUnresponsive) {
				watch = port
			}
			if !p.restAfterFailure(log, m, &failures, watch, spec.Baud) {
				break
			}
			continue
		}
		warnedHolders = false
		mm, err := p.adopt(port, spec, m, dev)
		if err != nil {
			log.Error("modem refused", "err", err)
			p.closeDevice(log, dev)
			if !p.sleep(p.o.Interval) {
				break
			}
			continue
		}
		if m == nil || m != mm {
			log = p.log.With("port", port, "modem", mm.ID())
		}
		m = mm
		if m.spec.ID != "" && spec.ID == "" {
			spec = m.spec
		}

		// The session, with in-place resyncs while Ping keeps answering.
		for {
			p.setState(m, StateReady, nil)
			log.Info("modem ready", "imei", m.Identity().IMEI, "model", m.Identity().Model)
			failures, step = 0, 0
			err = p.runSession(m, dev)
			if p.ctx.Err() != nil {
				break
			}
			if errors.Is(err, ErrPortLost) || !portPresent(port) {
				log.Warn("modem port lost", "err", err)
				break
			}
			if errors.Is(err, errResetRequested) {
				// The same path as a modem that stopped answering: the
				// session has ended (the part on the wire finished), the
				// port is closed and opened again.
				p.setState(m, StateRecovering, nil)
				log.Info("modem reset requested; reopening the port")
				break
			}
			p.setState(m, StateRecovering, err)
			log.Warn("modem failed; resyncing", "err", err)
			pctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
			perr := dev.Ping(pctx)
			cancel()
			if perr != nil {
				step = 1
				failures++
				log.Warn("resync failed; reopening the port", "err", perr)
				break
			}
			m.reconnects.Add(1)
		}
		p.closeDevice(log, dev)
		m.clearDevice(dev)
		if p.ctx.Err() != nil {
			break
		}
		if failures > 0 && !p.restAfterFailure(log, m, &failures, "", 0) {
			break
		}
		if !static && !portPresent(port) {
			p.setState(m, StateOffline, nil)
			return
		}
		m.reconnects.Add(1)
	}
	if m != nil {
		p.setState(m, StateStopped, nil)
	}
}

// Reset closes and reopens the modem id the way the supervisor recovers a
// modem that stopped answering: its session ends (a message on the wire
// finishes first), the port is closed and opened again and the modem
// initialised afresh. It returns at once; the modem passes recovering and
// opening on its way back to ready.
func (p *Pool) Reset(id string) error {
	m, ok := p.Member(id)
	if !ok {
		return fmt.Errorf("modem %q: %w", id, ErrUnknownModem)
	}
	m.mu.Lock()
	kick := m.kick
	m.mu.Unlock()
	if kick == nil {
		return fmt.Errorf("modem %q is %s: %w", id, m.State(), ErrNotReady)
	}
	kick(errResetRequested)
	return nil
}

func (p *Pool) runSession(m *Member, dev Device) error {
	sctx, cancel := context.WithCancelCause(p.ctx)
	defer cancel(nil)
	m.mu.Lock()
	m.kick = cancel
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.kick = nil
		m.mu.Unlock()
	}()
	// The port vanishing ends the session even if the worker is idle.
	go func() {
		select {
		case <-dev.Lost():
			cancel(nil)
		case <-sctx.Done():
		}
	}()
	err := p.o.Session(sctx, m, dev)
	select {
	case <-dev.Lost():
		return fmt.Errorf("%w: %v", ErrPortLost, err)
	default:
	}
	if cause := context.Cause(sctx); errors.Is(cause, errResetRequested) && p.ctx.Err() == nil {
		if err != nil {
			return fmt.Errorf("%w: %v", errResetRequested, err)
		}
		return errResetRequested
	}
	if err == nil && p.ctx.Err() == nil {
		err = ErrUnresponsive
	}
	return err
}

// restAfterFailure waits the backoff for the failure count, benching the
// modem after BenchAfter failures. False means the pool is stopping.
//
// watch, when set, is the port of a modem that failed because it did not
// answer at all: while it is benched it is probed (a bare AT, every
// Interval), and the bench ends as soon as it answers again, so a modem
// that was silent for a while is back in service within seconds of
// waking rather than after BenchFor. A modem that answers but fails in
// some other way rests the whole BenchFor.
func (p *Pool) restAfterFailure(log *slog.Logger, m *Member, failures *int, watch string, baud int) bool {
	if *failures >= p.o.BenchAfter {
		log.Error("modem benched after repeated failures", "failures", *failures, "for", p.o.BenchFor)
		if m != nil {
			p.setState(m, StateBenched, nil)
		}
		*failures = 0
		if watch == "" || p.o.Probe == nil {
			return p.sleep(p.o.BenchFor)
		}
		until := time.Now().Add(p.o.BenchFor)
		for {
			left := time.Until(until)
			if left <= 0 {
				return true
			}
			if !p.sleep(min(p.o.Interval, left)) {
				return false
			}
			if !portPresent(watch) {
				continue
			}
			ctx, cancel := context.WithTimeout(p.ctx, p.o.ProbeTimeout)
			err := p.o.Probe(ctx, watch, baud)
			cancel()
			if err == nil {
				log.Info("benched modem answers again; trying it now")
				return true
			}
			if p.ctx.Err() != nil {
				return false
			}
		}
	}
	d := p.o.Backoff << min(*failures-1, 20)
	d = min(d, p.o.MaxBackoff)
	d -= time.Duration(rand.Float64() * 0.2 * float64(d))
	return p.sleep(d)
}

// explainOpenFailure logs who holds the port, with the udev fix when it is
// ModemManager. It reports whether it said anything.
func (p *Pool) explainOpenFailure(log *slog.Logger, port string, err error) bool {
	hs := Holders(p.o.ProcRoot, port)
	if len(hs) == 0 {
		if mm, ok := ModemManagerRunning(p.o.ProcRoot); ok {
			// Root ModemManager is not kept out by TIOCEXCL: it may be
			// talking on the port right now and eating our answers.
			log.Warn("ModemManager is running and may be probing this modem",
				"modemmanager", mm.String(), "fix", UdevHint(p.candidateFor(port)))
			return true
		}
		return false
	}
	for _, h := range hs {
		if h.Name == "ModemManager" {
			log.Error("ModemManager holds the modem's port", "holder", h.String(), "fix", UdevHint(p.candidateFor(port)))
			return true
		}
	}
	log.Error("another process holds the modem's port", "holders", fmt.Sprint(hs), "err", err)
	return true
}

func (p *Pool) candidateFor(port string) Candidate {
	c := Candidate{Port: port, Dev: resolve(port), Interface: -1}
	root := p.o.Scanner.SysfsRoot
	if root == "" {
		root = "/sys"
	}
	fillUSB(&c, root)
	return c
}

// adopt ties an opened device to its member: the configured one for a
// static port, else the member already known by this identity (a replug),
// else a member bound to the IMEI in the config, else a new one named after
// the IMEI.
func (p *Pool) adopt(port string, spec Spec, m *Member, dev Device) (*Member, error) {
	id := dev.Identity()
	p.mu.Lock()
	defer p.mu.Unlock()
	if m == nil {
		switch {
		case id.Key() != "" && p.byKey[id.Key()] != nil:
			m = p.byKey[id.Key()]
		case id.IMEI != "" && p.byIMEI[id.IMEI] != nil:
			m = p.byIMEI[id.IMEI]
		default:
			mid := "modem-" + id.IMEI
			if id.IMEI == "" {
				mid = "modem-" + filepath.Base(port)
			}
			if old, ok := p.members[mid]; ok {
				m = old
			} else {
				s := p.o.DiscoveredDefaults
				s.ID, s.Port = mid, port
				m = newMember(s, port)
				p.members[mid] = m
			}
		}
		if cur := m.State(); cur == StateReady || cur == StateOpening && m.Port() != port {
			return nil, fmt.Errorf("modem %s (IMEI %s) is already in use on %s", m.ID(), id.IMEI, m.Port())
		}
	} else if m.spec.IMEI != "" && id.IMEI != "" && m.spec.IMEI != id.IMEI {
		return nil, fmt.Errorf("port %s has IMEI %s, but modem %s is configured for IMEI %s", port, id.IMEI, m.ID(), m.spec.IMEI)
	}
	if id.Key() != "" {
		if prev := p.byKey[id.Key()]; prev != nil && prev != m && prev.State() == StateReady {
			return nil, fmt.Errorf("the same modem (IMEI %s) is already ready as %s on %s: two names for one device?", id.IMEI, prev.ID(), prev.Port())
		}
		p.byKey[id.Key()] = m
	}
	if id.IMEI != "" && p.byIMEI[id.IMEI] == nil {
		p.byIMEI[id.IMEI] = m
	}
	m.setDevice(port, id, dev)
	return m, nil
}

// discover rescans the globs every Interval and starts a supervisor for
// each new device, on the first of its interfaces that answers AT.
func (p *Pool) discover() {
	probed := map[string]time.Time{} // USB device or tty -> last failed probe
	for {
		for _, g := range Group(p.o.Scanner.Scan()) {
			key := g[0].USBDevice
			if key == "" {
				key = g[0].Dev
			}
			if p.groupActive(g) {
				continue
			}
			if t, ok := probed[key]; ok && time.Since(t) < 6*p.o.Interval {
				continue // it did not answer a moment ago
			}
			c, ok := p.probeGroup(g)
			if !ok {
				probed[key] = time.Now()
				continue
			}
			delete(probed, key)
			p.mu.Lock()
			if p.closed || p.active[c.Dev] {
				p.mu.Unlock()
				continue
			}
			p.active[c.Dev] = true
			p.mu.Unlock()
			spec := p.o.DiscoveredDefaults
			spec.Port = c.Port
			p.log.Info("modem found", "port", c.Port, "usb", fmt.Sprintf("%04x:%04x", c.VID, c.PID), "interface", c.Interface)
			p.spawn(func() { p.supervise(c.Port, c.Dev, spec, nil, false) })
		}
		if !p.sleep(p.o.Interval) {
			return
		}
	}
}

func (p *Pool) groupActive(g []Candidate) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range g {
		if p.active[c.Dev] {
			return true
		}
	}
	return false
}

func (p *Pool) probeGroup(g []Candidate) (Candidate, bool) {
	if p.o.Probe == nil {
		return g[0], true
	}
	baud := p.o.DiscoveredDefaults.Baud
	for _, c := range g {
		ctx, cancel := context.WithTimeout(p.ctx, p.o.ProbeTimeout)
		err := p.o.Probe(ctx, c.Port, baud)
		cancel()
		if err == nil {
			return c, true
		}
		p.log.Debug("no AT answer", "port", c.Port, "interface", c.Interface, "err", err)
		if hs := Holders(p.o.ProcRoot, c.Dev); len(hs) > 0 {
			for _, h := range hs {
				if h.Name == "ModemManager" {
					p.log.Error("ModemManager holds a modem port", "port", c.Port, "holder", h.String(), "fix", UdevHint(c))
				}
			}
		}
	}
	return Candidate{}, false
}
