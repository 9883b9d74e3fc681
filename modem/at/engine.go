package at

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
)

// Config tunes an Engine. The zero value works.
type Config struct {
	// Logger receives lines nobody understood, stale results and dropped
	// URCs (debug and warn levels). Default: slog.Default().
	Logger *slog.Logger
	// Trace, when set, receives one line per write, line read, prompt and
	// URC, with PIN/PUK arguments and Secrets redacted.
	Trace io.Writer
	// Secrets are strings never written to Trace or the log (a SIM PIN).
	Secrets []string
	// DrainWindow bounds how long a command waits, before it is written,
	// for the late final results of commands that timed out earlier, so that
	// they are not taken as its own answer. Default 1 s.
	DrainWindow time.Duration
	// URCBuffer bounds the URCs queued while the consumer of URCs lags; the
	// oldest are dropped (and logged) beyond it. Default 1024.
	URCBuffer int
	// OnEcho, when set, is called from the reader goroutine with every
	// command line the modem echoed back. It must not block or call the
	// Engine. The device layer uses it to notice a modem that reset (echo
	// comes back on after a reboot).
	OnEcho func(cmd string)
	// AnswerTimeout, when positive, fails a command with ErrNoAnswer when
	// not a single byte came from the modem within it after the command
	// line was written, instead of waiting out the command's own (possibly
	// minutes long) timeout. It does not apply to the wait after a payload
	// (the network round trip of AT+CMGS) nor to commands that may keep
	// the line quiet for long by design (AT+COPS=, AT+CFUN=, AT+CUSD=,
	// AT+CGATT=, ATD). Zero: off.
	AnswerTimeout time.Duration
}

type queueLimitKey struct{}

// QueueLimit marks ctx so that a command run with it waits at most d for
// the port: if another command still holds it by then (d = 0: at once),
// it fails with ErrBusy. For periodic work (storage sweeps, health
// probes) that may slip in between other commands but must never queue
// behind one that is stuck or waiting on the network.
func QueueLimit(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, queueLimitKey{}, max(d, 0))
}

// QueueLimitOf returns the limit QueueLimit put on ctx, if any.
func QueueLimitOf(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(queueLimitKey{}).(time.Duration)
	return d, ok
}

// Cmd is one command.
type Cmd struct {
	// Line is the command without its CR, e.g. "AT+CMGS=23".
	Line string
	// Payload, when not empty, is written after the "> " prompt, followed by
	// ^Z (0x1A): the PDU of AT+CMGS/AT+CMGW.
	Payload string
	// Expect, when set, is the prefix of an information line the reply
	// always carries ("+CPIN" for AT+CPIN?). An OK that comes before such a
	// line cannot be this command's: it is the late answer of an earlier
	// one, and it is discarded with the lines before it. This heals the
	// command stream when a late answer came after Config.DrainWindow. Do
	// not set it for commands that may answer a bare OK (AT+CMGR on an
	// empty slot).
	Expect string
	// NoFinal, when set, is the prefix of an information line after which
	// the command may end without a final result code: Wavecom and Sierra
	// SL8084 answer AT+CPIN? with "+CPIN: READY" and no OK. The engine then
	// waits NoFinalGrace (default 500 ms) for the OK and otherwise returns
	// the lines with no error.
	NoFinal      string
	NoFinalGrace time.Duration
	// Hold, when set with a Payload, is called once the prompt has come
	// and before any byte of the payload is written: the caller may keep
	// the modem waiting at the prompt while it finishes something the
	// payload must not overtake, so that the command's round trip to the
	// prompt overlaps that work instead of following it. Until the
	// payload's ^Z the modem has sent nothing. An error from Hold aborts
	// the command with ESC (nothing of the payload written) and is
	// returned wrapped in a *CommandError of phase "hold". Hold must return
	// once ctx ends.
	Hold func(ctx context.Context) error
	// PromptTimeout and Timeout override DefaultTimeouts when positive.
	// Timeout counts from the write of the line, or of the payload.
	PromptTimeout time.Duration
	Timeout       time.Duration
}

// Engine runs AT commands over an io.ReadWriteCloser (a serial port, a pty, a
// pipe, a scripted fake). One goroutine owns reading: it splits lines, skips
// echo, recognises the prompt and final result codes, and routes unsolicited
// codes to the URCs channel wherever they arrive. Commands are serialised:
// callers of Do queue in arrival order and each waits for its own answer.
//
// Lifecycle: New starts the reader; Close (or the port failing) ends it and
// fails every waiter with an error wrapping ErrClosed. All methods are safe
// for concurrent use.
type Engine struct {
	rw  io.ReadWriteCloser
	cfg Config
	log *slog.Logger
	tr  *tracer
	spl splitter

	sem  chan struct{} // holds one token while a command is in flight
	rxAt atomic.Int64  // UnixNano of the last byte read from the port

	mu      sync.Mutex
	cur     *pending
	owed    int // final results still due from commands that timed out
	owedSig chan struct{}
	pendURC *URC // a +CMT/+CDS header waiting for its PDU line
	uq      []URC
	closing bool
	err     error

	uqSig     chan struct{}
	urcs      chan URC
	done      chan struct{}
	stop      chan struct{}
	stopped   chan struct{} // closed when the goroutines have ended, after Close
	closeOnce sync.Once
	stopOnce  sync.Once
	wg        sync.WaitGroup
}

type pending struct {
	line        string
	prefix      string
	payload     string
	wantPrompt  bool
	prompted    bool
	payloadSent bool // the payload is being written (its echo is skipped)
	payloadOut  bool // some of it reached the port
	echoSeen    bool
	finished    bool
	lines       []string
	err         error
	noFinal     string
	expect      string
	expectSeen  bool
	terminal    chan struct{} // closed when a NoFinal line arrives
	promptCh    chan struct{}
	done        chan struct{}
}

// New starts an engine on rw. The caller must Close it.
func New(rw io.ReadWriteCloser, cfg Config) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DrainWindow <= 0 {
		cfg.DrainWindow = time.Second
	}
	if cfg.URCBuffer <= 0 {
		cfg.URCBuffer = 1024
	}
	e := &Engine{
		rw:      rw,
		cfg:     cfg,
		log:     cfg.Logger,
		sem:     make(chan struct{}, 1),
		owedSig: make(chan struct{}, 1),
		uqSig:   make(chan struct{}, 1),
		urcs:    make(chan URC),
		done:    make(chan struct{}),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if cfg.Trace != nil {
		e.tr = &tracer{w: cfg.Trace, secrets: cfg.Secrets}
	}
	e.wg.Add(2)
	go e.readLoop()
	go e.urcLoop()
	return e
}

// URCs returns the channel of unsolicited result codes, in the order they
// arrived. It is closed after the engine is closed or the port is lost. The
// consumer should keep draining it; if it lags by more than
// Config.URCBuffer codes the oldest are dropped.
func (e *Engine) URCs() <-chan URC { return e.urcs }

// Done is closed when the engine stops: Close was called or the port failed.
func (e *Engine) Done() <-chan struct{} { return e.done }

// Err returns why the engine stopped (wrapping ErrClosed), or nil while it
// runs.
func (e *Engine) Err() error {
	select {
	case <-e.done:
	default:
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// Exec runs a command without payload and returns its information lines
// (echo and URCs removed). A final result other than OK is returned as a
// *CommandError wrapping *CMSError, *CMEError or *ResultError. On timeout
// the lines received so far are returned with the error.
func (e *Engine) Exec(ctx context.Context, line string) ([]string, error) {
	return e.Do(ctx, Cmd{Line: line})
}

// Do runs one command. With a Payload, it waits for the "> " prompt, writes
// the payload and ^Z, then waits for the final result:
//
//	-> AT+CMGS=23<CR>
//	<- <CR><LF>> <SP>
//	-> 0011000B91...<^Z>
//	<- <CR><LF>+CMGS: 17<CR><LF><CR><LF>OK<CR><LF>
//
// If the prompt does not come in time, or ctx ends while waiting for it, ESC
// is written to abort the prompt. A command that times out owes a final
// result: the next command first waits (up to Config.DrainWindow) for that
// late answer and discards it, so it is never taken as the next command's.
func (e *Engine) Do(ctx context.Context, c Cmd) ([]string, error) {
	pt, ft := DefaultTimeouts(c.Line)
	if c.PromptTimeout > 0 {
		pt = c.PromptTimeout
	}
	if c.Timeout > 0 {
		ft = c.Timeout
	}
	if pt <= 0 {
		pt = 10 * time.Second
	}
	if c.NoFinalGrace <= 0 {
		c.NoFinalGrace = 500 * time.Millisecond
	}
	var p *pending
	wrap := func(err error, phase string) error {
		ce := &CommandError{Cmd: Redact(c.Line, e.cfg.Secrets), Phase: phase, Err: err}
		if p != nil {
			e.mu.Lock()
			ce.PayloadWritten = p.payloadOut
			e.mu.Unlock()
		}
		return ce
	}
	if err := e.acquire(ctx); err != nil {
		return nil, wrap(err, "")
	}
	defer func() { <-e.sem }()

	if err := e.drain(ctx); err != nil {
		return nil, wrap(err, "")
	}
	p = &pending{
		line:       c.Line,
		prefix:     responsePrefix(c.Line),
		payload:    c.Payload,
		wantPrompt: c.Payload != "",
		noFinal:    c.NoFinal,
		expect:     c.Expect,
		terminal:   make(chan struct{}),
		promptCh:   make(chan struct{}),
		done:       make(chan struct{}),
	}
	e.mu.Lock()
	if e.err != nil {
		e.mu.Unlock()
		return nil, wrap(e.Err(), "")
	}
	e.cur = p
	e.mu.Unlock()
	written := time.Now().UnixNano()
	if _, err := e.write(c.Line + "\r"); err != nil {
		e.abandon(p, false, false)
		return nil, wrap(err, "")
	}

	if p.wantPrompt {
		timer := time.NewTimer(pt)
		var err error
		select {
		case <-p.promptCh:
		case <-p.done:
		case <-timer.C:
			err = ErrTimeout
		case <-ctx.Done():
			err = ctx.Err()
		case <-e.done:
			err = e.Err()
		}
		timer.Stop()
		if err != nil {
			lines, ferr, fin := e.abandon(p, true, !errors.Is(err, ErrClosed))
			if fin {
				return lines, wrapNil(ferr, wrap)
			}
			return lines, wrap(err, "prompt")
		}
		if lines, ferr, fin := e.result(p); fin {
			// A final result instead of the prompt (ERROR, +CMS ERROR).
			return lines, wrapNil(ferr, wrap)
		}
		if c.Hold != nil {
			if err := c.Hold(ctx); err != nil {
				lines, ferr, fin := e.abandon(p, true, e.Err() == nil)
				if fin {
					return lines, wrapNil(ferr, wrap)
				}
				return lines, wrap(err, "hold")
			}
			if lines, ferr, fin := e.result(p); fin {
				// The modem left the prompt by itself while held.
				return lines, wrapNil(ferr, wrap)
			}
		}
		e.mu.Lock()
		p.payloadSent = true
		e.mu.Unlock()
		n, werr := e.write(c.Payload + "\x1a")
		if n > 0 || werr == nil {
			// From here on the modem may act on the PDU, whatever
			// happens next: callers must not take it as unsent.
			e.mu.Lock()
			p.payloadOut = true
			e.mu.Unlock()
		}
		if werr != nil {
			e.abandon(p, false, false)
			return nil, wrap(werr, "")
		}
	}

	timer := time.NewTimer(ft)
	defer timer.Stop()
	// A modem that says nothing at all is found out early, except where
	// the command may legitimately keep the line quiet.
	var silence <-chan time.Time
	if at := e.cfg.AnswerTimeout; at > 0 && at < ft && !p.wantPrompt && !mayBeQuiet(c.Line) {
		st := time.NewTimer(at)
		defer st.Stop()
		silence = st.C
	}
	var err error
	var grace <-chan time.Time
	term := p.terminal // closed by the reader; p.terminal itself is never reassigned
	ended := false     // the final never came but a NoFinal line did
wait:
	for {
		select {
		case <-p.done:
			break wait
		case <-term:
			term = nil
			g := time.NewTimer(c.NoFinalGrace)
			defer g.Stop()
			grace = g.C
		case <-grace:
			ended = true
			break wait
		case <-timer.C:
			err = ErrTimeout
			break wait
		case <-silence:
			silence = nil
			if e.rxAt.Load() < written {
				err = ErrNoAnswer
				break wait
			}
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		case <-e.done:
			err = e.Err()
			break wait
		}
	}
	lines, ferr, fin := e.abandon(p, false, err != nil && !errors.Is(err, ErrClosed))
	if ended && !fin {
		return lines, nil
	}
	if fin {
		return lines, wrapNil(ferr, wrap)
	}
	return lines, wrap(err, "")
}

// acquire takes the port for one command, failing with ErrBusy when ctx
// carries a QueueLimit and the port stays taken past it.
func (e *Engine) acquire(ctx context.Context) error {
	var limit <-chan time.Time
	if d, ok := QueueLimitOf(ctx); ok {
		select {
		case e.sem <- struct{}{}:
			return nil
		default:
		}
		if d == 0 {
			return ErrBusy
		}
		t := time.NewTimer(d)
		defer t.Stop()
		limit = t.C
	}
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-limit:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	case <-e.done:
		return e.Err()
	}
}

// mayBeQuiet lists commands a working modem may leave unanswered for longer
// than Config.AnswerTimeout: network scans and registration, radio power
// changes, USSD and calls.
func mayBeQuiet(cmd string) bool {
	c := strings.ToUpper(cmd)
	for _, p := range []string{"AT+COPS=", "AT+CFUN=", "AT+CUSD=", "AT+CGATT=", "ATD"} {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

func wrapNil(err error, wrap func(error, string) error) error {
	if err == nil {
		return nil
	}
	return wrap(err, "")
}

// result reports p's outcome if its final result has arrived.
func (e *Engine) result(p *pending) ([]string, error, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !p.finished {
		return nil, nil, false
	}
	return append([]string(nil), p.lines...), p.err, true
}

// abandon ends the wait for p. If p's final result already arrived it is
// returned (fin true). Otherwise p is detached and, when owe is set, one
// late final result is expected and will be discarded; esc writes ESC to
// leave the prompt.
func (e *Engine) abandon(p *pending, esc, owe bool) ([]string, error, bool) {
	e.mu.Lock()
	lines := append([]string(nil), p.lines...)
	if p.finished {
		err := p.err
		e.mu.Unlock()
		return lines, err, true
	}
	if e.cur == p {
		e.cur = nil
	}
	if owe {
		e.owed++
	}
	e.mu.Unlock()
	if esc && owe {
		// ESC aborts the prompt; Quectel and others answer OK, which the
		// owed count swallows.
		_, _ = e.write("\x1b")
	}
	return lines, nil, false
}

// drain waits for the late results of timed-out commands.
func (e *Engine) drain(ctx context.Context) error {
	e.mu.Lock()
	owed := e.owed
	e.mu.Unlock()
	if owed == 0 {
		return nil
	}
	deadline := time.NewTimer(e.cfg.DrainWindow)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		owed = e.owed
		e.mu.Unlock()
		if owed == 0 {
			return nil
		}
		select {
		case <-e.owedSig:
		case <-deadline.C:
			e.mu.Lock()
			if e.owed > 0 {
				e.log.Debug("at: late results never came", "count", e.owed)
				e.owed = 0
			}
			e.mu.Unlock()
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-e.done:
			return e.Err()
		}
	}
}

// Escape writes ESC (0x1B), which leaves a "> " prompt a previous user of the
// port may have left the modem in.
func (e *Engine) Escape(ctx context.Context) error {
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer func() { <-e.sem }()
	_, err := e.write("\x1b")
	return err
}

// Busy reports whether a command holds the port right now.
func (e *Engine) Busy() bool { return len(e.sem) > 0 }

// write writes s and returns how many bytes reached the port.
func (e *Engine) write(s string) (int, error) {
	e.tr.log("tx", s)
	n, err := e.rw.Write([]byte(s))
	if err != nil {
		e.fail(fmt.Errorf("write: %w", err))
		return n, e.Err()
	}
	return n, nil
}

// Close closes the port, fails every waiter with ErrClosed, closes the URCs
// channel and waits, until ctx ends, for the reader goroutine (a port whose
// Close does not end a blocked read would hold it). Later calls wait for
// the first to finish, or for their own ctx, and return nil.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		select {
		case <-e.stopped:
		case <-ctx.Done():
		}
		return nil
	}
	e.closing = true
	e.mu.Unlock()
	err := e.rw.Close()
	e.fail(nil)
	e.stopOnce.Do(func() { close(e.stop) })
	go func() { e.wg.Wait(); close(e.stopped) }()
	select {
	case <-e.stopped:
	case <-ctx.Done():
		return fmt.Errorf("at: reader still running after the port was closed: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("at: close: %w", err)
	}
	return nil
}

func (e *Engine) fail(cause error) {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		if e.closing || cause == nil {
			e.err = fmt.Errorf("%w: closed by its owner", ErrClosed)
		} else {
			e.err = fmt.Errorf("%w: %v", ErrClosed, cause)
		}
		if u := e.pendURC; u != nil {
			e.pendURC = nil
			e.pushURC(*u)
		}
		e.mu.Unlock()
		close(e.done)
	})
}

func (e *Engine) readLoop() {
	defer e.wg.Done()
	buf := make([]byte, 4096)
	empty := 0
	for {
		n, err := e.rw.Read(buf)
		if n > 0 {
			e.rxAt.Store(time.Now().UnixNano())
			empty = 0
			e.spl.feed(buf[:n], e)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("read: device gone (EOF)")
			} else {
				err = fmt.Errorf("read: %w", err)
			}
			e.fail(err)
			return
		}
		if n == 0 {
			// go.bug.st/serial returns (0, nil) on a read timeout; the port
			// is meant to be opened without one, so a stream of empty reads
			// means something else is wrong.
			if empty++; empty > 1000 {
				e.fail(fmt.Errorf("read: %w", io.ErrNoProgress))
				return
			}
		}
	}
}

func (e *Engine) urcLoop() {
	defer e.wg.Done()
	defer close(e.urcs)
	for {
		e.mu.Lock()
		q := e.uq
		e.uq = nil
		e.mu.Unlock()
		for _, u := range q {
			select {
			case e.urcs <- u:
			case <-e.stop:
				return
			}
		}
		if len(q) > 0 {
			continue
		}
		select {
		case <-e.uqSig:
		case <-e.stop:
			return
		case <-e.done:
			e.mu.Lock()
			q = e.uq
			e.uq = nil
			e.mu.Unlock()
			for _, u := range q {
				select {
				case e.urcs <- u:
				case <-e.stop:
					return
				}
			}
			return
		}
	}
}

// pushURC queues u; e.mu must be held.
func (e *Engine) pushURC(u URC) {
	e.tr.log("urc", u.Line)
	if len(e.uq) >= e.cfg.URCBuffer {
		e.log.Warn("at: URC consumer lags, dropping oldest", "dropped", Redact(e.uq[0].Line, e.cfg.Secrets))
		e.uq = e.uq[1:]
	}
	e.uq = append(e.uq, u)
	select {
	case e.uqSig <- struct{}{}:
	default:
	}
}

// wantPrompt, prompt and line implement emitter for the reader goroutine.

func (e *Engine) wantPrompt() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.cur
	return p != nil && p.wantPrompt && !p.prompted && !p.finished
}

func (e *Engine) prompt() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tr.log("rx", "> ")
	p := e.cur
	if p == nil || !p.wantPrompt || p.prompted {
		return
	}
	p.prompted = true
	close(p.promptCh)
}

func (e *Engine) line(l string) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if u := e.pendURC; u != nil {
		e.pendURC = nil
		if isHexLine(l) {
			e.tr.log("rx", l)
			u.PDU = l
			e.pushURC(*u)
			return
		}
		e.pushURC(*u)
	}
	e.tr.log("rx", l)
	p := e.cur
	if p != nil {
		if !p.echoSeen && strings.EqualFold(l, p.line) {
			p.echoSeen = true
			if e.cfg.OnEcho != nil {
				e.cfg.OnEcho(p.line)
			}
			return
		}
		if p.payloadSent && strings.EqualFold(l, p.payload) {
			return
		}
	}
	if ferr, ok := parseFinal(l); ok {
		if e.owed > 0 {
			e.owed--
			e.log.Debug("at: discarded late result of a timed-out command", "line", l)
			select {
			case e.owedSig <- struct{}{}:
			default:
			}
			return
		}
		if p == nil {
			e.log.Debug("at: final result with no command pending", "line", l)
			return
		}
		if ferr == nil && p.wantPrompt && !p.prompted {
			// AT+CMGS answers a prompt or an error, never a bare OK: this
			// one is a late answer, and taking it would report a message
			// as sent whose PDU was never written.
			e.log.Debug("at: discarded OK that came before the prompt", "cmd", p.line)
			p.lines = p.lines[:0]
			return
		}
		if ferr == nil && p.expect != "" && !p.expectSeen {
			e.log.Debug("at: discarded OK that came before the expected reply", "cmd", Redact(p.line, e.cfg.Secrets), "dropped", len(p.lines))
			p.lines = p.lines[:0]
			return
		}
		p.err = ferr
		p.finished = true
		e.cur = nil
		close(p.done)
		return
	}
	if p != nil && hasResponsePrefix(l, p.prefix) {
		p.lines = append(p.lines, l)
		if p.expect != "" && hasResponsePrefix(l, p.expect) {
			p.expectSeen = true
		}
		if p.noFinal != "" && hasResponsePrefix(l, p.noFinal) {
			p.noFinal = ""
			close(p.terminal)
		}
		return
	}
	if u, ok := parseURC(l); ok {
		u.Time = now
		if twoLine(u.Name) {
			e.pendURC = &u
			return
		}
		e.pushURC(u)
		return
	}
	if p != nil && e.owed == 0 {
		p.lines = append(p.lines, l)
		return
	}
	e.log.Debug("at: line not understood", "line", Redact(l, e.cfg.Secrets))
}

// responsePrefix derives the information-response prefix of a command:
// "AT+CMGS=23" -> "+CMGS", "AT^ICCID?" -> "^ICCID", "ATE0" -> "".
func responsePrefix(cmd string) string {
	if len(cmd) < 3 || !strings.EqualFold(cmd[:2], "AT") {
		return ""
	}
	s := cmd[2:]
	if s == "" || !strings.ContainsRune("+^#$%*!", rune(s[0])) {
		return ""
	}
	i := 1
	for i < len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			break
		}
		i++
	}
	if i == 1 {
		return ""
	}
	return s[:i]
}

func hasResponsePrefix(l, prefix string) bool {
	if prefix == "" || len(l) < len(prefix) || !strings.EqualFold(l[:len(prefix)], prefix) {
		return false
	}
	rest := l[len(prefix):]
	return rest == "" || rest[0] == ':' || rest[0] == ' '
}
