// Package modem drives one GSM/LTE modem over its AT port: open and
// initialise it so that it works whatever state it was left in, identify it,
// report its health, send SMS parts, read and delete stored messages, turn
// unsolicited codes into events and run USSD requests.
//
// It stands on the AT engine (modem/at) and takes the PDUs from the codec
// (modem/pdu); it never encodes or decodes message content itself. The
// daemon's pool owns one *Modem per device.
package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"smsgw/modem/at"
)

// Errors of the SIM and init sequence.
var (
	// ErrNoResponse: nothing answered AT (wrong port, dead modem, wrong baud).
	ErrNoResponse = errors.New("modem: no answer to AT")
	// ErrNoSIM: no SIM inserted, or the SIM failed.
	ErrNoSIM = errors.New("modem: SIM not inserted or failed")
	// ErrPINRequired: the SIM asks for a PIN and none is configured.
	ErrPINRequired = errors.New("modem: SIM PIN required but none configured")
	// ErrPINRejected: the configured PIN was refused. It is never entered
	// again on this device in this process: a retry loop would lock the SIM
	// behind its PUK.
	ErrPINRejected = errors.New("modem: SIM PIN rejected; not retrying (fix the PIN, then restart)")
	// ErrPINLastAttempt: the SIM has one PIN attempt left (or none); the
	// configured PIN is not risked on it. Enter it by hand in a phone.
	ErrPINLastAttempt = errors.New("modem: SIM has at most one PIN attempt left; not entering the PIN (enter it by hand)")
	// ErrPUKRequired: the SIM is PUK-locked; smsgw never enters a PUK.
	ErrPUKRequired = errors.New("modem: SIM PUK required (SIM blocked); unblock it in a phone")
	// ErrNotReady: the modem kept answering busy/not-ready for longer than
	// Config.ReadyTimeout.
	ErrNotReady = errors.New("modem: not ready")
	// ErrEmptySlot: no message at that storage index.
	ErrEmptySlot = errors.New("modem: no message at that index")
)

// Config tunes a Modem. The zero value works for a modem without PIN.
type Config struct {
	// ID names the modem in logs and errors; Open defaults it to the port.
	ID string
	// Baud rate for Open (default 115200; USB modems ignore it).
	Baud int
	// PIN is entered once when the SIM asks for it. Never logged.
	PIN string
	// SMSC, when set, is written with AT+CSCA at init (E.164, "+" optional).
	SMSC string
	// Direct asks for direct delivery of new messages (+CMT, CNMI mt=2)
	// instead of storing them and announcing the index (+CMTI, mt=1).
	Direct bool
	// Logger (default slog.Default()) and Trace (raw AT traffic, PIN
	// redacted) as in at.Config.
	Logger *slog.Logger
	Trace  io.Writer
	// SendTimeout bounds the network round trip of each AT+CMGS, from the
	// PDU's ^Z to the +CMGS result (default 3 min, see at.DefaultTimeouts).
	SendTimeout time.Duration
	// PromptTimeout bounds the wait for the "> " prompt after AT+CMGS=<n>
	// (real modems give it within a second or two), on its own: a modem
	// that misses it has nothing on the wire and is resynced. It also
	// bounds how long any command may go without a single byte of answer
	// before the modem counts as silent (at.Config.AnswerTimeout).
	// Default 10 s.
	PromptTimeout time.Duration
	// ReadyTimeout bounds how long init keeps retrying while the modem or
	// SIM answers busy/not ready after power-up or PIN entry (default 45 s).
	ReadyTimeout time.Duration
	// RetryInterval is the pause between those retries, the timeout of each
	// sync probe, and how long a command waits for the late answer of one
	// that timed out before it (default 1 s).
	RetryInterval time.Duration
	// SyncAttempts is how many AT probes init sends before giving up
	// (default 10).
	SyncAttempts int
	// USSDTimeout bounds the wait for the +CUSD reply (default 30 s).
	USSDTimeout time.Duration
	// EventBuffer is the capacity of the Events channel (default 64).
	EventBuffer int
	// Keepalive, when positive, sends a bare AT this often while the modem
	// is idle, so that a silent reboot (UART modules print no banner with
	// autobaud) is noticed by its echo and the settings re-applied. The
	// pool's periodic health queries do the same; 0 turns it off.
	Keepalive time.Duration
	// NoSIMOK makes Open succeed even when the SIM is missing, locked, or
	// refuses the PIN, for diagnostics (smsgw modem probe): the device can
	// be identified, the SMS settings are not applied, and Setup().SIMErr
	// says why.
	NoSIMOK bool
	// DTR raises DTR after Open; it is off by default because ptys and
	// some adapters reject modem-line ioctls.
	DTR bool
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Baud == 0 {
		c.Baud = 115200
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 45 * time.Second
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = time.Second
	}
	if c.SyncAttempts <= 0 {
		c.SyncAttempts = 10
	}
	if c.USSDTimeout <= 0 {
		c.USSDTimeout = 30 * time.Second
	}
	if c.PromptTimeout <= 0 {
		c.PromptTimeout = 10 * time.Second
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = 64
	}
}

// Setup is what init found and chose.
type Setup struct {
	Manufacturer string
	// Storage is the message storage in use for reading and receiving
	// ("SM" preferred), "" if the modem took no AT+CPMS.
	Storage string
	// StorageUsed and StorageTotal are from the AT+CPMS reply at init.
	StorageUsed, StorageTotal int
	// CNMI is the AT+CNMI setting that was accepted, "" if none was.
	CNMI string
	// AckRequired is set when the modem runs +CSMS service 1, so every
	// +CMT/+CDS is acknowledged with AT+CNMA (done by the driver).
	AckRequired bool
	// CURC reports whether Huawei status spam was silenced with AT^CURC=0.
	CURC bool
	// SIMErr is why the SIM is unusable when Config.NoSIMOK let Open
	// succeed anyway (ErrPINRequired, ErrNoSIM, ...); nil otherwise.
	SIMErr error
}

// Modem is one initialised device. Methods are safe for concurrent use; AT
// commands are serialised by the engine, and multi-command operations
// (init, re-init, multi-part sends, USSD) are kept whole.
//
// Lifecycle: Open (or New) runs the init sequence and starts one goroutine
// that turns URCs into Events; Close stops it and closes the port. The owner
// must drain Events.
type Modem struct {
	cfg    Config
	log    *slog.Logger
	e      *at.Engine
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	events chan Event
	op     chan struct{} // held by multi-command operations

	ready     atomic.Bool // init finished; echo from now on means a reset
	resetting atomic.Bool // a reset check runs
	resetSig  chan struct{}

	mu       sync.Mutex
	setup    Setup
	vendor   vendor
	ident    *Identity
	iccidCmd string
	cmms     int // 0 unknown, 1 supported, -1 not
	cesq     int // 0 unknown, 1 supported, -1 not
	ussdCh   chan at.URC
	closed   bool
	stopped  chan struct{} // closed when the first Close returns
}

// rejectedPINs remembers PINs a SIM refused, per device and PIN, for the life
// of the process, so that reopening a port never tries a refused PIN again.
var rejectedPINs sync.Map

// New initialises a modem reached through rw (a serial port, pty, pipe or
// the attest fake) and returns it ready to use. rw is closed by Close, or
// when New fails.
func New(ctx context.Context, rw io.ReadWriteCloser, cfg Config) (*Modem, error) {
	cfg.defaults()
	m := &Modem{
		cfg:      cfg,
		log:      cfg.Logger.With("modem", cfg.ID),
		events:   make(chan Event, cfg.EventBuffer),
		op:       make(chan struct{}, 1),
		resetSig: make(chan struct{}, 1),
		stopped:  make(chan struct{}),
	}
	var secrets []string
	if cfg.PIN != "" {
		secrets = append(secrets, cfg.PIN)
	}
	m.e = at.New(rw, at.Config{Logger: m.log, Trace: cfg.Trace, Secrets: secrets, OnEcho: m.onEcho,
		DrainWindow: cfg.RetryInterval, AnswerTimeout: cfg.PromptTimeout})
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go m.eventLoop()
	if err := m.lock(ctx); err != nil {
		m.closeAfterFailure()
		return nil, err
	}
	err := m.init(ctx)
	m.unlock()
	if err != nil {
		m.closeAfterFailure()
		if cfg.ID != "" {
			return nil, fmt.Errorf("modem %s: init: %w", cfg.ID, err)
		}
		return nil, fmt.Errorf("modem: init: %w", err)
	}
	m.ready.Store(true)
	return m, nil
}

// failedCloseWait bounds the Close of a modem whose New failed: the
// caller's ctx may be what ended.
const failedCloseWait = 5 * time.Second

func (m *Modem) closeAfterFailure() {
	ctx, cancel := context.WithTimeout(context.Background(), failedCloseWait)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		m.log.Warn("closing the port after a failed open", "err", err)
	}
}

// Close stops the event goroutine and closes the port, waiting for both
// until ctx ends. It is safe to call more than once; later calls wait for
// the first to finish (or their own ctx) and return nil.
func (m *Modem) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		select {
		case <-m.stopped:
		case <-ctx.Done():
		}
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	defer close(m.stopped)
	m.cancel()
	err := m.e.Close(ctx)
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("modem: close: %w", ctx.Err())
		}
	}
	return err
}

// Events returns the channel of events (new messages, status reports,
// registration changes, resets, port lost). It is closed after Close or
// after EventPortLost.
func (m *Modem) Events() <-chan Event { return m.events }

// Setup returns what init found and chose.
func (m *Modem) Setup() Setup {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.setup
}

// Done is closed when the port is closed or lost.
func (m *Modem) Done() <-chan struct{} { return m.e.Done() }

// Err returns why the port stopped (wrapping at.ErrClosed), nil while open.
func (m *Modem) Err() error { return m.e.Err() }

// Exec runs one raw AT command and returns its information lines; for
// diagnostics and features this package does not cover.
func (m *Modem) Exec(ctx context.Context, cmd string) ([]string, error) {
	return m.e.Exec(ctx, cmd)
}

func (m *Modem) lock(ctx context.Context) error {
	var limit <-chan time.Time
	if d, ok := at.QueueLimitOf(ctx); ok {
		select {
		case m.op <- struct{}{}:
			return nil
		default:
		}
		t := time.NewTimer(d)
		defer t.Stop()
		limit = t.C
	}
	select {
	case <-limit:
		return at.ErrBusy
	case m.op <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-m.e.Done():
		return m.e.Err()
	}
}

func (m *Modem) unlock() { <-m.op }

func (m *Modem) onEcho(cmd string) {
	if !m.ready.Load() {
		return
	}
	u := strings.ToUpper(cmd)
	if u == "ATE0" || u == "ATE1" {
		return
	}
	select {
	case m.resetSig <- struct{}{}:
	default:
	}
}

// vendor is the family init detected from AT+CGMI, for the few places where
// behaviour differs.
type vendor int

const (
	vendorOther vendor = iota
	vendorHuawei
	vendorQuectel
	vendorSIMCom
	vendorTelit
	vendorSierra
	vendorZTE
)

func vendorOf(manufacturer string) vendor {
	s := strings.ToLower(manufacturer)
	switch {
	case strings.Contains(s, "huawei"):
		return vendorHuawei
	case strings.Contains(s, "quectel"):
		return vendorQuectel
	case strings.Contains(s, "simcom"):
		return vendorSIMCom
	case strings.Contains(s, "telit"):
		return vendorTelit
	case strings.Contains(s, "sierra"), strings.Contains(s, "wavecom"):
		return vendorSierra
	case strings.Contains(s, "zte"):
		return vendorZTE
	}
	return vendorOther
}
