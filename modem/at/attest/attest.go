// Package attest is a scripted modem at the byte boundary for unit tests of
// code that speaks AT commands: it implements io.ReadWriteCloser, parses the
// command lines written to it, and answers each with scripted bytes. Unlike
// the emulator (modem/sim) it has no behaviour of its own: every reply, echo,
// URC, delay and fault comes from the test.
//
//	m := attest.New()
//	m.On("AT+CMGF=0", "\r\nOK\r\n")
//	m.On("AT+CMGS=*", "\r\n> ")                    // prompt: next bytes up to ^Z are the payload
//	m.On("0011*", "\r\n+CMGS: 7\r\n\r\nOK\r\n")    // the payload is matched like a command
//	m.Inject("\r\n+CMTI: \"SM\",3\r\n")            // unsolicited, at any time
//	m.Unplug()                                       // reads and writes fail from now on
package attest

import (
	"errors"
	"strings"
	"sync"
	"time"
)

// ErrUnplugged is what Read and Write return after Unplug.
var ErrUnplugged = errors.New("read /dev/fake: input/output error")

// ErrClosed is what Read and Write return after Close.
var ErrClosed = errors.New("attest: closed")

type rule struct {
	pattern string
	reply   string
	once    bool
	used    bool
}

// Modem is the scripted fake. The zero value is not usable; call New. All
// methods are safe for concurrent use.
type Modem struct {
	mu      sync.Mutex
	cond    *sync.Cond
	out     []byte // bytes waiting to be read
	closed  bool
	gone    bool
	echo    bool
	hang    bool
	chunk   int
	delay   time.Duration
	partial []byte // command or payload being written
	payload bool   // collecting a payload after a prompt
	rules   []*rule
	handler func(cmd string) (string, bool)
	cmds    []string
	unexp   []string
	notify  chan struct{}
}

// New returns a fake with echo off that answers every unscripted command
// with ERROR. A successful ATE0/ATE1 turns echo off/on.
func New() *Modem {
	m := &Modem{notify: make(chan struct{}, 1)}
	m.cond = sync.NewCond(&m.mu)
	return m
}

// On answers every command matching pattern with reply. A pattern ending in
// '*' matches by prefix; matching ignores case. A reply whose last non-space
// character is '>' is a prompt: the bytes written next, up to ^Z, are a
// payload, matched against the rules like a command (ESC aborts it and is
// matched as "<ESC>").
func (m *Modem) On(pattern, reply string) *Modem {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rules = append(m.rules, &rule{pattern: pattern, reply: reply})
	return m
}

// Once is like On but the rule answers a single time, and takes precedence
// over On rules; several Once rules for one command are used in order.
func (m *Modem) Once(pattern, reply string) *Modem {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rules = append(m.rules, &rule{pattern: pattern, reply: reply, once: true})
	return m
}

// Handle sets a fallback for commands no rule matches: ok false means
// unmatched (ERROR is answered and the command recorded as unexpected). f
// runs with the fake locked: it must not call the Modem's methods.
func (m *Modem) Handle(f func(cmd string) (reply string, ok bool)) *Modem {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handler = f
	return m
}

// SetEcho turns echo of written bytes on or off (modems power up with echo
// on).
func (m *Modem) SetEcho(on bool) { m.mu.Lock(); m.echo = on; m.mu.Unlock() }

// SetHang makes the fake swallow commands without answering (true) or
// answer again (false).
func (m *Modem) SetHang(on bool) { m.mu.Lock(); m.hang = on; m.mu.Unlock() }

// SetChunk makes Read return at most n bytes at a time (0: no limit), to
// exercise split reads.
func (m *Modem) SetChunk(n int) { m.mu.Lock(); m.chunk = n; m.mu.Unlock() }

// SetDelay delays every scripted reply by d.
func (m *Modem) SetDelay(d time.Duration) { m.mu.Lock(); m.delay = d; m.mu.Unlock() }

// Inject queues bytes for the reader as if the modem sent them unprompted.
func (m *Modem) Inject(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.out = append(m.out, s...)
	m.cond.Broadcast()
}

// Unplug makes every later Read and Write fail like a vanished USB device.
func (m *Modem) Unplug() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gone = true
	m.cond.Broadcast()
}

// Commands returns the command lines and payloads received so far, in order.
func (m *Modem) Commands() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.cmds...)
}

// Unexpected returns the commands no rule or handler matched.
func (m *Modem) Unexpected() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.unexp...)
}

// Received returns a channel that gets a value (coalesced) each time a
// command or payload is received, so tests can wait without sleeping.
func (m *Modem) Received() <-chan struct{} { return m.notify }

// WaitCommands blocks until at least n commands were received or d passed;
// it reports whether n were reached.
func (m *Modem) WaitCommands(n int, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		if len(m.Commands()) >= n {
			return true
		}
		select {
		case <-m.notify:
		case <-deadline.C:
			return len(m.Commands()) >= n
		}
	}
}

// Read implements io.Reader; it blocks until bytes are available.
func (m *Modem) Read(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.out) == 0 && !m.closed && !m.gone {
		m.cond.Wait()
	}
	if m.closed {
		return 0, ErrClosed
	}
	if m.gone {
		return 0, ErrUnplugged
	}
	n := len(p)
	if m.chunk > 0 && n > m.chunk {
		n = m.chunk
	}
	n = copy(p[:n], m.out)
	m.out = m.out[n:]
	return n, nil
}

// Write implements io.Writer: it parses command lines (ended by CR) and
// payloads (ended by ^Z, aborted by ESC) and queues the scripted replies.
func (m *Modem) Write(p []byte) (int, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, ErrClosed
	}
	if m.gone {
		m.mu.Unlock()
		return 0, ErrUnplugged
	}
	if m.echo {
		m.out = append(m.out, p...)
		m.cond.Broadcast()
	}
	var replies []string
	for _, b := range p {
		switch {
		case m.payload && b == 0x1A:
			replies = append(replies, m.receive(string(m.partial)))
			m.partial = m.partial[:0]
		case b == 0x1B:
			m.partial = m.partial[:0]
			if m.payload {
				m.payload = false
				replies = append(replies, m.receive("<ESC>"))
			}
		case !m.payload && (b == '\r' || b == '\n'):
			if len(m.partial) > 0 {
				replies = append(replies, m.receive(string(m.partial)))
				m.partial = m.partial[:0]
			}
		default:
			m.partial = append(m.partial, b)
		}
	}
	delay, hang := m.delay, m.hang
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
	if hang {
		return len(p), nil
	}
	send := func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, r := range replies {
			m.out = append(m.out, r...)
		}
		m.cond.Broadcast()
	}
	if delay > 0 {
		time.AfterFunc(delay, send)
	} else {
		send()
	}
	return len(p), nil
}

// receive records cmd and returns its reply; m.mu is held.
func (m *Modem) receive(cmd string) string {
	m.cmds = append(m.cmds, cmd)
	wasPayload := m.payload
	m.payload = false
	reply, ok := m.match(cmd)
	if !ok {
		m.unexp = append(m.unexp, cmd)
		reply = "\r\nERROR\r\n"
		if wasPayload {
			reply = "\r\n+CMS ERROR: 304\r\n"
		}
	}
	if strings.HasSuffix(strings.TrimRight(reply, " \r\n"), ">") {
		m.payload = true
	}
	// The one behaviour of its own: ATE0/ATE1 switch echo (after the
	// command itself was echoed, as on real modems), when they succeed.
	if ok && strings.Contains(reply, "OK") {
		switch strings.ToUpper(cmd) {
		case "ATE0":
			m.echo = false
		case "ATE1":
			m.echo = true
		}
	}
	return reply
}

func (m *Modem) match(cmd string) (string, bool) {
	for _, once := range []bool{true, false} {
		for _, r := range m.rules {
			if r.once != once || (r.once && r.used) || !matches(r.pattern, cmd) {
				continue
			}
			r.used = r.once
			return r.reply, true
		}
	}
	if m.handler != nil {
		return m.handler(cmd)
	}
	return "", false
}

func matches(pattern, cmd string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(cmd) >= len(p) && strings.EqualFold(cmd[:len(p)], p)
	}
	return strings.EqualFold(pattern, cmd)
}

// Close implements io.Closer: pending and later reads fail with ErrClosed.
func (m *Modem) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.cond.Broadcast()
	return nil
}
