package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/modem/pool"
)

// Device is what a worker needs from an opened modem: package modem's
// *Modem, behind the pool's lifecycle methods.
type Device interface {
	pool.Device
	// SendPartsFunc sends a message's parts in one burst (AT+CMMS=1 where
	// the modem has it), calling onPart with each part's MR before the next
	// part is written, so the caller can commit it first.
	SendPartsFunc(ctx context.Context, parts []modem.Part, onPart func(i, mr int) error) ([]int, error)
	Events() <-chan modem.Event
	Setup() modem.Setup
	ListStored(ctx context.Context) ([]modem.Stored, error)
	ReadStoredIn(ctx context.Context, storage string, index int) (modem.Stored, error)
	DeleteStoredIn(ctx context.Context, storage string, index int) error
	Signal(ctx context.Context) (modem.Signal, error)
	Registration(ctx context.Context) (modem.Registration, error)
	Operator(ctx context.Context) (modem.Operator, error)
	Storage(ctx context.Context) (modem.StorageStatus, error)
	USSD(ctx context.Context, code string) (modem.USSDReply, error)
	Trace() *modem.ATTrace
}

// device adapts *modem.Modem to Device.
type device struct {
	*modem.Modem
	id    pool.Identity
	trace *modem.ATTrace
	wait  time.Duration // periodic reads wait this long for the port (0: periodicWait)
}

func (d *device) Identity() pool.Identity { return d.id }
func (d *device) Trace() *modem.ATTrace   { return d.trace }
func (d *device) Lost() <-chan struct{}   { return d.Done() }

// The periodic reads of a session (storage sweeps, health probes) slip in
// between other commands but never queue behind one for long: a send may
// hold the port for the whole network round trip, a stuck command for its
// timeout. When the port stays taken for periodicWait they fail with
// at.ErrBusy and the session skips them until the next tick.

// periodicWait bounds how long a periodic read waits for the port.
const periodicWait = 3 * time.Second

func (d *device) queueLimit(ctx context.Context) context.Context {
	w := d.wait
	if w <= 0 {
		w = periodicWait
	}
	return at.QueueLimit(ctx, w)
}

// ListStored lists the storage unless the port is busy.
func (d *device) ListStored(ctx context.Context) ([]modem.Stored, error) {
	return d.Modem.ListStored(d.queueLimit(ctx))
}

// Registration reads the registration unless the port is busy.
func (d *device) Registration(ctx context.Context) (modem.Registration, error) {
	return d.Modem.Registration(d.queueLimit(ctx))
}

// Signal reads the signal unless the port is busy.
func (d *device) Signal(ctx context.Context) (modem.Signal, error) {
	return d.Modem.Signal(d.queueLimit(ctx))
}

// Operator reads the operator unless the port is busy.
func (d *device) Operator(ctx context.Context) (modem.Operator, error) {
	return d.Modem.Operator(d.queueLimit(ctx))
}

// Storage reads the storage use unless the port is busy.
func (d *device) Storage(ctx context.Context) (modem.StorageStatus, error) {
	return d.Modem.Storage(d.queueLimit(ctx))
}

// Ping resyncs with a bare AT.
func (d *device) Ping(ctx context.Context) error {
	_, err := d.Exec(ctx, "AT")
	return err
}

// Reset restarts the modem: AT+CFUN=1,1 is the 27.007 full reset most
// families accept; the port usually drops and comes back.
func (d *device) Reset(ctx context.Context) error {
	_, err := d.Exec(ctx, "AT+CFUN=1,1")
	return err
}

// opener opens modems for the pool with the daemon's settings, keeping
// each modem's AT trace across reopens.
type opener struct {
	log           *slog.Logger
	sendTimeout   time.Duration
	promptTimeout time.Duration
	periodicWait  time.Duration // see device.wait
	traceFor      func(port string) *modem.ATTrace
}

func (o *opener) open(ctx context.Context, port string, spec pool.Spec, reset bool) (pool.Device, error) {
	tr := o.traceFor(port)
	cfg := modem.Config{
		ID: spec.ID, Baud: spec.Baud, PIN: spec.PIN, SMSC: spec.SMSC,
		Logger: o.log, Trace: tr, SendTimeout: o.sendTimeout, PromptTimeout: o.promptTimeout,
	}
	if cfg.ID == "" {
		cfg.ID = port
	}
	if reset {
		m, err := modem.Open(ctx, port, cfg)
		if err == nil {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, rerr := m.Exec(rctx, "AT+CFUN=1,1")
			cancel()
			closeModem(m)
			o.log.Warn("modem reset with AT+CFUN=1,1", "port", port, "err", rerr)
			// The modem reboots (and may re-enumerate): give it a moment.
			select {
			case <-time.After(3 * time.Second):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	m, err := modem.Open(ctx, port, cfg)
	if err != nil {
		if errors.Is(err, modem.ErrNoResponse) || errors.Is(err, at.ErrTimeout) {
			// Silent, not broken: the pool watches a benched silent
			// modem and takes it back as soon as it answers.
			return nil, fmt.Errorf("%w: %w", pool.ErrUnresponsive, err)
		}
		return nil, err
	}
	id, err := m.Identity(ctx)
	if err != nil {
		closeModem(m)
		return nil, fmt.Errorf("modem %s: identity: %w", cfg.ID, err)
	}
	return &device{Modem: m, trace: tr, wait: o.periodicWait, id: pool.Identity{
		IMEI: id.IMEI, IMSI: id.IMSI, ICCID: id.ICCID,
		Manufacturer: id.Manufacturer, Model: id.Model, Revision: id.Revision, Number: id.Number,
	}}, nil
}

// probe checks whether a port answers AT, without the full init.
func probe(ctx context.Context, port string, baud int) error {
	m, err := modem.Open(ctx, port, modem.Config{Baud: baud, SyncAttempts: 2, RetryInterval: 500 * time.Millisecond,
		ReadyTimeout: time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		// A modem whose SIM needs a PIN still answered AT: it is a modem.
		if errors.Is(err, modem.ErrPINRequired) || errors.Is(err, modem.ErrNoSIM) || errors.Is(err, modem.ErrPUKRequired) ||
			errors.Is(err, modem.ErrPINRejected) || errors.Is(err, modem.ErrPINLastAttempt) {
			return nil
		}
		return err
	}
	cctx, cancel := context.WithTimeout(context.Background(), modemCloseWait)
	defer cancel()
	return m.Close(cctx)
}

// modemCloseWait bounds the Close of a modem the opener or the prober let
// go (a port that does not let go must not hold the supervisor).
const modemCloseWait = 5 * time.Second

func closeModem(m *modem.Modem) {
	ctx, cancel := context.WithTimeout(context.Background(), modemCloseWait)
	defer cancel()
	_ = m.Close(ctx) // only a port that would not close; the next open says more
}
