package modem

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
)

// ATTrace keeps the last lines of a modem's raw AT traffic (PIN redacted
// by the AT engine) for a bug report, and counts the commands written. It
// is the io.Writer given to Open as Options.Trace; safe for
// concurrent use.
type ATTrace struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
	part  []byte

	commands atomic.Int64
}

// NewATTrace keeps the last n lines (n <= 0 keeps none, but still counts).
func NewATTrace(n int) *ATTrace {
	if n < 0 {
		n = 0
	}
	return &ATTrace{lines: make([]string, n)}
}

// Write implements io.Writer; each trace line ends with '\n'.
func (t *ATTrace) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.add(string(t.part[:i]))
		t.part = t.part[i+1:]
	}
	if len(t.part) > 4096 {
		t.part = t.part[:0] // a line that never ends is not a trace line
	}
	return len(p), nil
}

func (t *ATTrace) add(line string) {
	// "15:04:05.000 tx \"AT+CMGS=23\\r\"": a command is a tx line that
	// starts with AT (the PDU payload after the prompt is a tx line too).
	if _, rest, ok := strings.Cut(line, " tx \""); ok && len(rest) >= 2 && strings.EqualFold(rest[:2], "AT") {
		t.commands.Add(1)
	}
	if len(t.lines) == 0 {
		return
	}
	t.lines[t.next] = line
	t.next = (t.next + 1) % len(t.lines)
	if t.next == 0 {
		t.full = true
	}
}

// Commands returns how many AT commands were written so far.
func (t *ATTrace) Commands() int64 { return t.commands.Load() }

// Lines returns the kept lines, oldest first.
func (t *ATTrace) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	if t.full {
		out = append(out, t.lines[t.next:]...)
	}
	return append(out, t.lines[:t.next]...)
}
