package sim

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// volatile is the AT state that power-up resets.
type volatile struct {
	echo    bool
	verbose bool // ATV1
	quiet   bool // ATQ1
	cmee    int
	cmgf    int
	cscs    string
	csms    int
	cnmi    [5]int
	creg    int
	cgreg   int
	cereg   int
	curc    bool
	cmms    int
	// copsFormat is the +COPS <format>: 0 long name, 1 short, 2 numeric.
	copsFormat int
	cpms       [3]string
	csmp       [4]int
	cfun       int
	ready      bool // SMS commands usable ("SMS Ready" printed)

	line    []byte
	last    string // for A/
	prompt  *promptState
	busy    bool
	pendIn  []byte
	held    []func() // indications buffered while the link is reserved (CNMI mode 2)
	tabuf   []func() // indications kept in the TA while CNMI <mode> is 0
	ackWait *ackWait
}

type promptState struct {
	cmd    string // "+CMGS" or "+CMGW"
	length int
	stat   int
	buf    []byte
	text   bool   // text mode: buf is the message text
	da     string // text mode destination
}

// ackWait is a +CMT waiting for AT+CNMA (AT+CSMS=1).
type ackWait struct {
	in inbound
}

// result is the final outcome of one command.
type result struct {
	kind int
	code int
	text string
}

const (
	rOK = iota
	rError
	rCME
	rCMS
	rText   // a non-standard final line, e.g. COMMAND NOT SUPPORT
	rPrompt // the command switched to PDU entry
	rNone   // no final result (Wavecom +CPIN: READY)
)

var ok = result{kind: rOK}

func cme(code int) result { return result{kind: rCME, code: code} }
func cms(code int) result { return result{kind: rCMS, code: code} }
func errResult() result   { return result{kind: rError} }
func textResult(s string) result {
	switch {
	case s == "ERROR":
		return errResult()
	case strings.HasPrefix(s, "+CMS ERROR: "):
		n, _ := strconv.Atoi(strings.TrimPrefix(s, "+CMS ERROR: "))
		return cms(n)
	case strings.HasPrefix(s, "+CME ERROR: "):
		n, _ := strconv.Atoi(strings.TrimPrefix(s, "+CME ERROR: "))
		return cme(n)
	}
	return result{kind: rText, text: s}
}

// powerUp resets the volatile state and prints the boot banners.
func (m *Modem) powerUp() {
	m.gen++
	p := m.prof
	m.st = volatile{
		echo: true, verbose: true, cscs: "IRA", cnmi: p.DefaultCNMI, curc: p.CURC,
		cpms: [3]string{"SM", "SM", "SM"}, csmp: [4]int{17, 167, 0, 0}, cfun: 1,
	}
	switch {
	case m.sim.pukLeft == 0:
		m.sim.pinState = "SIM PUK BLOCKED"
	case m.sim.pinLeft == 0:
		m.sim.pinState = "SIM PUK"
	case m.sim.pin != "":
		m.sim.pinState = "SIM PIN"
	default:
		m.sim.pinState = "READY"
	}
	var steps []step
	for _, b := range p.BootURCs {
		line := b
		switch {
		case strings.Contains(b, "%s"):
			state := m.sim.pinState
			if state == "SIM PUK BLOCKED" {
				state = "NOT READY" // SIMCom's word for a dead SIM
			}
			line = fmt.Sprintf(b, state)
		case strings.Contains(b, "%d"):
			line = fmt.Sprintf(b, m.opts.RSSI)
		}
		steps = append(steps, step{m.opts.BootDelay, func() { m.urc(line) }})
	}
	if m.sim.pinState == "READY" {
		steps = append(steps, step{m.opts.BootDelay, m.simReady})
	}
	m.chain(steps)
}

// step is one timed action of a boot sequence: run f d after the previous.
type step struct {
	d time.Duration
	f func()
}

// chain runs steps in order, each d after the one before; steps without a
// delay run at once, so a boot without delays is complete when power-up
// returns. A power cycle in between abandons the rest.
func (m *Modem) chain(steps []step) {
	for i, s := range steps {
		if s.d > 0 {
			rest := steps[i+1:]
			f := s.f
			m.after(s.d, func() {
				f()
				m.chain(rest)
			})
			return
		}
		s.f()
	}
}

// simReady runs once the SIM is unlocked: ready banners, then SMS service.
func (m *Modem) simReady() {
	var steps []step
	for _, b := range m.prof.ReadyURCs {
		line := b
		steps = append(steps, step{m.opts.BootDelay, func() { m.urc(line) }})
	}
	steps = append(steps, step{m.opts.ReadyDelay, func() {
		m.st.ready = true
		m.flushPending()
	}})
	m.chain(steps)
}

// write sends raw bytes to the client unless the modem is hung or gone.
func (m *Modem) write(b []byte) {
	if m.hung || m.sess == nil {
		return
	}
	m.sess.write(b)
}

func (m *Modem) writeString(s string) { m.write([]byte(s)) }

// urc prints unsolicited lines, each framed CRLF...CRLF.
func (m *Modem) urc(lines ...string) {
	if len(lines) == 0 {
		return
	}
	m.writeString("\r\n" + strings.Join(lines, "\r\n") + "\r\n")
}

// info frames information lines of a response.
func (m *Modem) info(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	end := m.prof.LineEnd
	if !m.st.verbose {
		return strings.Join(lines, end) + end
	}
	return "\r\n" + strings.Join(lines, end) + end
}

// final formats a final result code per ATV/ATQ/AT+CMEE.
func (m *Modem) final(r result) string {
	if m.st.quiet {
		return ""
	}
	var text string
	num := "4"
	switch r.kind {
	case rOK:
		text, num = "OK", "0"
	case rError:
		text = "ERROR"
	case rText:
		text = r.text
	case rCME, rCMS:
		kind := "CME"
		if r.kind == rCMS {
			kind = "CMS"
		}
		switch m.st.cmee {
		case 0:
			text = "ERROR"
		case 1:
			text = fmt.Sprintf("+%s ERROR: %d", kind, r.code)
		default:
			if r.kind == rCME {
				text = "+CME ERROR: " + cmeText(r.code)
			} else {
				text = "+CMS ERROR: " + cmsText(r.code)
			}
		}
		if text != "ERROR" {
			if m.st.verbose {
				return "\r\n" + text + "\r\n"
			}
			return text + "\r\n"
		}
	default:
		return ""
	}
	if !m.st.verbose {
		return num + "\r"
	}
	return "\r\n" + text + "\r\n"
}

// input feeds bytes from the client through the line discipline.
func (m *Modem) input(data []byte) {
	if m.onInput != nil {
		m.onInput(data)
	}
	if m.hung {
		return
	}
	if m.st.busy {
		m.st.pendIn = append(m.st.pendIn, data...)
		return
	}
	for i, b := range data {
		if m.st.busy {
			m.st.pendIn = append(m.st.pendIn, data[i:]...)
			return
		}
		if m.st.prompt != nil {
			m.promptByte(b)
			continue
		}
		switch b {
		case '\r':
			line := string(m.st.line)
			m.st.line = m.st.line[:0]
			if m.st.echo {
				m.write([]byte{'\r'})
			}
			m.execLine(line)
		case '\n':
			if len(m.st.line) > 0 && m.st.echo {
				m.write([]byte{'\n'})
			}
		case 0x1B: // ESC outside PDU entry: the line is abandoned
			m.st.line = m.st.line[:0]
		case 0x1A:
			// Ctrl-Z without a prompt: a PDU sent blind was taken as a
			// command line, which is not one.
			if len(strings.Trim(string(m.st.line), " \x00")) > 0 {
				m.writeString(m.final(errResult()))
			}
			m.st.line = m.st.line[:0]
		case 0x08, 0x7F:
			if len(m.st.line) > 0 {
				m.st.line = m.st.line[:len(m.st.line)-1]
			}
			if m.st.echo {
				m.write([]byte{b})
			}
		default:
			if m.st.echo {
				m.write([]byte{b})
			}
			if len(m.st.line) < 1024 {
				m.st.line = append(m.st.line, b)
			}
			if len(m.st.line) == 2 && strings.EqualFold(string(m.st.line), "A/") {
				m.st.line = m.st.line[:0]
				m.execLine(m.st.last)
			}
		}
	}
}

// endBusy finishes a long-running command and replays the input and the
// indications that arrived meanwhile.
func (m *Modem) endBusy() {
	m.st.busy = false
	m.flushHeld()
	in := m.st.pendIn
	m.st.pendIn = nil
	if len(in) > 0 {
		m.input(in)
	}
}

func (m *Modem) flushHeld() {
	held := m.st.held
	m.st.held = nil
	for _, f := range held {
		f()
	}
}

// linkReserved reports whether the AT link is in a command (PDU entry or a
// pending submit), when CNMI mode 1 discards and mode 2 buffers indications.
func (m *Modem) linkReserved() bool { return m.st.busy || m.st.prompt != nil }

func (m *Modem) promptByte(b byte) {
	ps := m.st.prompt
	switch b {
	case 0x1B: // ESC: abandon the message
		m.st.prompt = nil
		m.writeString(m.final(ok))
		m.flushHeld()
	case 0x1A: // Ctrl-Z: submit
		m.st.prompt = nil
		if ps.text {
			m.textEntered(ps)
			return
		}
		m.pduEntered(ps)
	default:
		if m.st.echo {
			m.write([]byte{b})
		}
		if ps.text {
			// A CR inside the text starts a new line with a fresh prompt.
			if b == '\r' {
				m.writeString("\r\n> ")
				b = '\n'
			}
			if len(ps.buf) < 1024 {
				ps.buf = append(ps.buf, b)
			}
			return
		}
		if b == '\r' || b == '\n' || b == ' ' {
			return
		}
		if len(ps.buf) < 2048 {
			ps.buf = append(ps.buf, b)
		}
	}
}

// command is one command of a command line.
type command struct {
	name string // upper case: "E", "+CMGS", "^CURC", "&F"
	op   string // "", "=", "?", "=?"
	arg  string // raw text after "=" or the basic command's number
}

// parseLine splits "AT..." into commands; ok is false for a line that is
// not an AT command at all.
func parseLine(line string) ([]command, bool) {
	s := strings.TrimLeft(line, " \t\x00\x1a\x1b")
	if len(s) < 2 || !strings.EqualFold(s[:2], "AT") {
		return nil, false
	}
	s = s[2:]
	var cmds []command
	for len(s) > 0 {
		c := s[0]
		switch {
		case c == ' ' || c == ';':
			s = s[1:]
		case strings.IndexByte("+^#$%*", c) >= 0:
			// extended: name up to = ? ; or end
			i := 1
			for i < len(s) && (isAlnum(s[i]) || s[i] == '_') {
				i++
			}
			cmd := command{name: strings.ToUpper(s[:i])}
			s = s[i:]
			switch {
			case strings.HasPrefix(s, "=?"):
				cmd.op, s = "=?", s[2:]
			case strings.HasPrefix(s, "?"):
				cmd.op, s = "?", s[1:]
			case strings.HasPrefix(s, "="):
				cmd.op = "="
				s = s[1:]
				j, inq := 0, false
				for j < len(s) && (inq || s[j] != ';') {
					if s[j] == '"' {
						inq = !inq
					}
					j++
				}
				cmd.arg, s = s[:j], s[j:]
			}
			cmds = append(cmds, cmd)
		case c == '&' && len(s) >= 2:
			cmd := command{name: "&" + strings.ToUpper(s[1:2])}
			s = s[2:]
			i := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			cmd.arg, s = s[:i], s[i:]
			cmds = append(cmds, cmd)
		case isAlpha(c):
			cmd := command{name: strings.ToUpper(s[:1])}
			s = s[1:]
			if cmd.name == "S" {
				i := 0
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					i++
				}
				cmd.name += s[:i]
				s = s[i:]
				switch {
				case strings.HasPrefix(s, "?"):
					cmd.op, s = "?", s[1:]
				case strings.HasPrefix(s, "="):
					i := 1
					for i < len(s) && s[i] >= '0' && s[i] <= '9' {
						i++
					}
					cmd.op, cmd.arg, s = "=", s[1:i], s[i:]
				}
				cmds = append(cmds, cmd)
				continue
			}
			i := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			cmd.arg, s = s[:i], s[i:]
			if cmd.name == "D" { // dial: the rest of the line
				cmd.arg, s = cmd.arg+s, ""
			}
			cmds = append(cmds, cmd)
		default:
			// A character no command starts with: the whole line is bad.
			return append(cmds, command{name: "?" + string(c)}), true
		}
	}
	return cmds, true
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || (c >= '0' && c <= '9') }

// execLine runs one command line and prints its responses.
func (m *Modem) execLine(line string) {
	trim := strings.TrimSpace(line)
	if strings.Trim(trim, "\x00\x1a\x1b ") == "" {
		return // a stray ESC or Ctrl-Z outside PDU entry is ignored
	}
	m.log.Debug("at", "cmd", redact(trim))
	cmds, isAT := parseLine(trim)
	if !isAT {
		m.writeString(m.final(errResult()))
		return
	}
	m.st.last = trim
	var out strings.Builder
	if m.respNoise {
		out.WriteString("\r\n" + m.noiseLine() + "\r\n")
	}
	res := ok
	for _, c := range cmds {
		var lines []string
		lines, res = m.dispatch(c)
		out.WriteString(m.info(lines))
		if res.kind != rOK {
			break
		}
	}
	switch res.kind {
	case rPrompt:
		if m.respNoise {
			out.WriteString("\r\n" + m.noiseLine() + "\r\n")
		}
		if len(m.prof.SubmitURCs) > 0 {
			out.WriteString("\r\n" + strings.Join(m.prof.SubmitURCs, "\r\n") + "\r\n")
		}
		out.WriteString(m.prof.Prompt)
		m.writeString(out.String())
	default:
		out.WriteString(m.final(res))
		m.writeString(out.String())
	}
}

// pduEntered handles ^Z after AT+CMGS / AT+CMGW.
func (m *Modem) pduEntered(ps *promptState) {
	raw, err := hex.DecodeString(string(ps.buf))
	if err != nil || len(raw) < 1 || int(raw[0])+1 > len(raw) || len(raw)-1-int(raw[0]) != ps.length {
		m.writeString(m.final(cms(304)))
		m.flushHeld()
		return
	}
	smscLen := int(raw[0])
	tpdu := raw[1+smscLen:]
	switch ps.cmd {
	case "+CMGW":
		m.storeWritten(raw, len(tpdu), ps.stat)
	default:
		m.stallOnPDU()
		m.submitPDU(raw[:1+smscLen], tpdu)
	}
}
