package at

import "strings"

// maxLine bounds a line so that garbage without line ends cannot grow memory;
// the longest legitimate line is a CMGL/CMGR PDU (2 + 2*175 hex chars) or a
// long +CUSD reply.
const maxLine = 4096

// splitter turns the byte stream into lines and prompt tokens. Lines end on
// CR, LF or both in any combination; blank lines vanish; control characters
// (NUL, ^Z, ESC, garbage) are dropped; surrounding spaces are trimmed.
//
// A '>' while the engine waits for a prompt is the prompt, whatever
// surrounds it: "\r\n> ", "> " with no CRLF, "\r\n>\r\n" (SIMCom SIM7670G),
// "\n>", or noise then "> " on one line. Spaces right after it are
// swallowed, so with echo on the echoed PDU that follows on the same line
// still comes out as a line of its own.
type splitter struct {
	buf         []byte
	afterPrompt bool
}

type emitter interface {
	wantPrompt() bool
	prompt()
	line(string)
}

func (s *splitter) feed(p []byte, out emitter) {
	for _, b := range p {
		switch {
		case b == '\r' || b == '\n':
			s.flush(out)
			s.afterPrompt = false
			continue
		case s.afterPrompt && b == ' ':
			continue
		}
		s.afterPrompt = false
		switch {
		case b == '>' && out.wantPrompt():
			// Line noise may precede the prompt without a line end (the
			// prompt has none either); it is flushed as a line of its own.
			s.flush(out)
			out.prompt()
			s.afterPrompt = true
		case b < 0x20 && b != '\t', b == 0x7F:
			// Control bytes carry nothing for a line-based protocol.
		default:
			s.buf = append(s.buf, b)
			if len(s.buf) >= maxLine {
				s.flush(out)
			}
		}
	}
}

func (s *splitter) flush(out emitter) {
	if len(s.buf) == 0 {
		return
	}
	l := strings.TrimSpace(string(s.buf))
	s.buf = s.buf[:0]
	if l != "" {
		out.line(l)
	}
}
