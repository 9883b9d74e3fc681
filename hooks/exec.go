package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"smsgw"
)

// Exec runs a program for each received SMS, without a shell: Argv[0] is
// the program, the rest its arguments, exactly as configured. The message
// goes to the program as JSON on stdin and as environment variables:
//
//	SMS_MESSAGES       number of physical parts            (gammu-smsd)
//	SMS_n_NUMBER       sender of part n                    (gammu-smsd)
//	SMS_n_TEXT         text of part n                      (gammu-smsd)
//	SMS_n_CLASS        message class, -1 when none         (gammu-smsd)
//	SMS_n_REFERENCE    concatenation reference of part n   (gammu-smsd)
//	DECODED_PARTS      1                                   (gammu-smsd)
//	DECODED_1_TEXT     the whole joined text               (gammu-smsd)
//	PHONE_ID           the modem id                        (gammu-smsd)
//	SMSGW_ID, SMSGW_MODEM, SMSGW_FROM, SMSGW_TO, SMSGW_TEXT,
//	SMSGW_RECEIVED_AT, SMSGW_INCOMPLETE, SMSGW_EVENT
//	SMSGW_UNDECODABLE  1 for a PDU no decoder could read, with
//	SMSGW_PDU and SMSGW_ERROR (its hex and the decoder's error)
//	SMSGW_DATA         an 8-bit or port-addressed message's octets in
//	base64 (sms:data-received), with SMSGW_PORT and SMSGW_SOURCE_PORT
//	when it was addressed to a port
//
// so a script written for gammu-smsd's RunOnReceive works unchanged. Exec is
// stateless and safe for concurrent use; the Dispatcher bounds concurrency
// and retries.
type Exec struct {
	Argv    []string
	Timeout time.Duration // per run; 0 means 30 s
	// Env is the base environment; nil means the daemon's own, minus the
	// systemd variables meant for the daemon alone.
	Env []string
}

// ExitError is a run that ended with a non-zero status or was killed.
type ExitError struct {
	Code     int    // -1 when killed by a signal or the timeout
	TimedOut bool   // killed because Timeout passed
	Stderr   string // the last few hundred bytes the program wrote there
}

func (e *ExitError) Error() string {
	msg := "exit status " + strconv.Itoa(e.Code)
	if e.TimedOut {
		msg = "killed after timeout"
	} else if e.Code < 0 {
		msg = "killed by a signal"
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// Deliver runs the program once for an sms:received or sms:data-received event; other events are
// skipped (ErrSkip). It returns nil on exit status 0, an *ExitError otherwise, and a
// PermanentError when the program cannot be started at all.
func (x *Exec) Deliver(ctx context.Context, ev smsgw.Event) error {
	if !smsgw.IsReceived(ev.Event) {
		return ErrSkip
	}
	var m Received
	if err := json.Unmarshal(ev.Payload, &m); err != nil {
		return &PermanentError{fmt.Errorf("exec: event %s payload: %w", ev.ID, err)}
	}
	return x.Run(ctx, &m, ev)
}

// Run runs the program for one message.
func (x *Exec) Run(ctx context.Context, m *Received, ev smsgw.Event) error {
	if len(x.Argv) == 0 || x.Argv[0] == "" {
		return &PermanentError{errors.New("exec: no program configured")}
	}
	timeout := x.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	stdin, err := json.Marshal(m)
	if err != nil {
		return &PermanentError{fmt.Errorf("exec: encode message: %w", err)}
	}
	cmd := exec.CommandContext(ctx, x.Argv[0], x.Argv[1:]...)
	cmd.Stdin = bytes.NewReader(append(stdin, '\n'))
	var stderr tailBuffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr // stdout is not read; keep its tail for the log
	cmd.Env = append(x.baseEnv(), MessageEnv(m, ev)...)
	// Its own process group, so a timeout kills the script's children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// A child that keeps stdout open must not hold us past the kill.
	cmd.WaitDelay = 2 * time.Second

	if err := cmd.Start(); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) || errors.Is(err, exec.ErrNotFound) {
			return &PermanentError{fmt.Errorf("exec %s: %w", x.Argv[0], err)}
		}
		return fmt.Errorf("exec %s: %w", x.Argv[0], err)
	}
	err = cmd.Wait()
	if err == nil {
		return nil
	}
	xe := &ExitError{Code: -1, Stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		xe.Code = ee.ExitCode()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		xe.TimedOut = true
		xe.Code = -1
	}
	return fmt.Errorf("exec %s: %w", x.Argv[0], xe)
}

// daemonOnly are variables systemd passes to the daemon that must not leak
// into scripts (a script could otherwise notify or steal sockets).
var daemonOnly = []string{"NOTIFY_SOCKET=", "LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=", "WATCHDOG_PID=", "WATCHDOG_USEC="}

func (x *Exec) baseEnv() []string {
	if x.Env != nil {
		return append([]string(nil), x.Env...)
	}
	var out []string
	for _, kv := range os.Environ() {
		keep := true
		for _, p := range daemonOnly {
			if strings.HasPrefix(kv, p) {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// MessageEnv returns the environment variables describing m (see Exec).
func MessageEnv(m *Received, ev smsgw.Event) []string {
	parts := m.Parts
	if len(parts) == 0 {
		parts = []ReceivedPart{{Seq: 1, Text: m.Text}}
	}
	class := "-1"
	if m.Class != nil {
		class = strconv.Itoa(*m.Class)
	}
	env := []string{
		"SMS_MESSAGES=" + strconv.Itoa(len(parts)),
		"DECODED_PARTS=1",
		"DECODED_1_TEXT=" + envSafe(m.Text),
		"PHONE_ID=" + envSafe(m.Modem),
	}
	for i, p := range parts {
		n := "SMS_" + strconv.Itoa(i+1) + "_"
		env = append(env,
			n+"NUMBER="+envSafe(m.From),
			n+"TEXT="+envSafe(p.Text),
			n+"CLASS="+class,
			n+"REFERENCE="+strconv.Itoa(p.Reference),
		)
	}
	incomplete := "0"
	if m.Incomplete {
		incomplete = "1"
	}
	env = append(env,
		"SMSGW_EVENT="+envSafe(ev.Event),
		"SMSGW_ID="+envSafe(m.ID),
		"SMSGW_MODEM="+envSafe(m.Modem),
		"SMSGW_FROM="+envSafe(m.From),
		"SMSGW_TO="+envSafe(m.To),
		"SMSGW_TEXT="+envSafe(m.Text),
		"SMSGW_RECEIVED_AT="+envSafe(m.ReceivedAt),
		"SMSGW_INCOMPLETE="+incomplete,
	)
	if m.Undecodable {
		env = append(env, "SMSGW_UNDECODABLE=1", "SMSGW_PDU="+envSafe(m.PDU), "SMSGW_ERROR="+envSafe(m.Error))
	}
	if m.Data != "" {
		env = append(env, "SMSGW_DATA="+m.Data)
	}
	if m.Port != nil {
		env = append(env, "SMSGW_PORT="+strconv.Itoa(*m.Port))
	}
	if m.SourcePort != nil {
		env = append(env, "SMSGW_SOURCE_PORT="+strconv.Itoa(*m.SourcePort))
	}
	return env
}

// envSafe drops NUL, which cannot travel in an environment variable (an
// 8-bit SMS can hold one).
func envSafe(s string) string { return strings.ReplaceAll(s, "\x00", "") }

// tailBuffer keeps the last bytes written to it: enough of a failing
// script's output for the log line, bounded whatever the script prints.
type tailBuffer struct{ b []byte }

const tailMax = 512

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > tailMax {
		t.b = append(t.b[:0], t.b[len(t.b)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }
