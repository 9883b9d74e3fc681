package modem

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
)

// closeBound bounds closing the tty: close(2) on a tty with unsent output can
// block for ~30 s (closing_wait), so the output buffer is discarded first and
// the close itself runs under a deadline.
const closeBound = 3 * time.Second

// Open opens the serial port at path (a /dev/ttyUSB*, /dev/ttyACM*,
// /dev/serial/by-id/... or a pty) and initialises the modem on it (see New
// for the AT sequence). The port is read without a read timeout: the reader
// goroutine blocks and Close unblocks it; command deadlines live in the AT
// engine. Errors from the port name the likely fix (permissions, another
// owner such as ModemManager).
func Open(ctx context.Context, path string, cfg Config) (*Modem, error) {
	if cfg.ID == "" {
		cfg.ID = path
	}
	cfg.defaults()
	p, err := serial.Open(path, &serial.Mode{BaudRate: cfg.Baud})
	if err != nil {
		return nil, fmt.Errorf("modem %s: open: %w%s", path, err, openHint(err))
	}
	if err := p.SetReadTimeout(serial.NoTimeout); err != nil {
		p.Close()
		return nil, fmt.Errorf("modem %s: %w", path, err)
	}
	// Bytes the modem sent before we came (boot banners, answers to a
	// previous owner) are stale. Ptys accept this; failures do not matter.
	_ = p.ResetInputBuffer()
	if cfg.DTR {
		if err := p.SetDTR(true); err != nil {
			cfg.Logger.Debug("modem: DTR not supported on this port", "port", path, "err", err)
		}
	}
	return New(ctx, &port{p: p}, cfg)
}

func openHint(err error) string {
	var pe *serial.PortError
	if !errors.As(err, &pe) {
		return ""
	}
	switch pe.Code() {
	case serial.PermissionDenied:
		return " (add the user to the dialout group, or allow the device in the service unit)"
	case serial.PortBusy:
		return " (another process owns the port: ModemManager? set ID_MM_DEVICE_IGNORE=1 or stop it)"
	case serial.PortNotFound:
		return " (no such device: unplugged, or renumbered; prefer /dev/serial/by-id paths)"
	}
	return ""
}

// port adapts a serial.Port so that Close is bounded and a vanished device
// is reported as such.
type port struct {
	p      serial.Port
	closed atomic.Bool
}

func (p *port) Read(b []byte) (int, error) {
	n, err := p.p.Read(b)
	if err != nil && !p.closed.Load() {
		// Reads block without a timeout, so any error not caused by our own
		// Close means the device went away: a vanished USB device shows as a
		// zero-length read (reported by go.bug.st/serial with the same code
		// as a local Close) or as EIO after the tty hangs up, depending on
		// timing.
		err = fmt.Errorf("device disconnected (unplugged or reset): %w", err)
	}
	return n, err
}

func (p *port) Write(b []byte) (int, error) { return p.p.Write(b) }

func (p *port) Close() error {
	p.closed.Store(true)
	_ = p.p.ResetOutputBuffer()
	done := make(chan error, 1)
	go func() { done <- p.p.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(closeBound):
		return fmt.Errorf("close did not finish within %v", closeBound)
	}
}
