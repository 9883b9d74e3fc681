// Package sdnotify tells systemd how the daemon is doing (sd_notify(3)):
// READY=1, STATUS=..., WATCHDOG=1 and STOPPING=1. Every call is a silent
// no-op when the process does not run under a Type=notify unit (no
// NOTIFY_SOCKET), and a failing socket is reported once, not per call.
package sdnotify

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends state to systemd. The zero value is not usable; use New.
// Safe for concurrent use.
type Notifier struct {
	log      *slog.Logger
	failOnce sync.Once
	watchdog time.Duration
}

// New reads the watchdog settings from the environment. log may be nil.
func New(log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{log: log}
	if d, err := daemon.SdWatchdogEnabled(false); err == nil {
		n.watchdog = d
	}
	return n
}

// WatchdogInterval is how often Watchdog should be called (half of
// WatchdogSec), or 0 when the unit sets no watchdog.
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog / 2 }

// Ready says the daemon is up (the database is open, the API listens).
func (n *Notifier) Ready(status string) { n.send("READY=1", status) }

// Status sets the one-line summary `systemctl status` shows.
func (n *Notifier) Status(format string, args ...any) {
	n.send("", fmt.Sprintf(format, args...))
}

// Watchdog proves liveness; call it from the main loop, never from a
// goroutine of its own (a stuck loop must stop the pings).
func (n *Notifier) Watchdog() {
	if n.watchdog > 0 {
		n.send(daemon.SdNotifyWatchdog, "")
	}
}

// Stopping says a graceful shutdown has begun.
func (n *Notifier) Stopping(status string) { n.send(daemon.SdNotifyStopping, status) }

func (n *Notifier) send(state, status string) {
	var lines []string
	if state != "" {
		lines = append(lines, state)
	}
	if status != "" {
		// One line: a newline would start a new assignment.
		lines = append(lines, "STATUS="+strings.ReplaceAll(status, "\n", " "))
	}
	if len(lines) == 0 {
		return
	}
	if _, err := daemon.SdNotify(false, strings.Join(lines, "\n")); err != nil {
		n.failOnce.Do(func() { n.log.Warn("sd_notify failed; systemd will not see our state", "err", err) })
	}
}
