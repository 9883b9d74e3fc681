package at

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Commands whose arguments are secrets: PIN/PUK entry, password change,
// facility lock with password. The argument list is redacted wherever the
// command appears (what we write, and its echo).
var secretCmd = regexp.MustCompile(`(?i)(\+CPIN2?=|\+CPWD=|\+CLCK=|\^CPIN=|\+CPINR=)[^\r\n]*`)

// Redact hides the arguments of secret-bearing commands and every listed
// secret in s. Empty secrets are ignored.
func Redact(s string, secrets []string) string {
	s = secretCmd.ReplaceAllString(s, `${1}<redacted>`)
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}

// tracer writes one line per event: "15:04:05.000 tx "AT+CMGF=0\r"" for
// bytes written, "rx" for lines read, "rx prompt" for the "> " prompt and
// "urc" for codes routed as unsolicited.
type tracer struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
}

func (t *tracer) log(dir, s string) {
	if t == nil || t.w == nil {
		return
	}
	s = Redact(s, t.secrets)
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%s %s %q\n", time.Now().Format("15:04:05.000"), dir, s)
}

// DefaultTimeouts returns the prompt and final-result timeouts used for a
// command when the caller sets none. They follow what real devices need
// (see the modem quirks notes): the CMGS prompt comes within a second on
// every device seen, so 10 s covers a busy one (ModemManager uses 10 s); the
// CMGS result is up to 60 s on SIM800, 120 s on Quectel, 3 min on u-blox, so
// 3 min; an operator scan takes minutes; listing a full store takes seconds
// on slow SIMs.
func DefaultTimeouts(cmd string) (prompt, final time.Duration) {
	c := strings.ToUpper(cmd)
	switch {
	case strings.HasPrefix(c, "AT+CMGS"), strings.HasPrefix(c, "AT+CMSS"), strings.HasPrefix(c, "AT+CMGC"):
		return 10 * time.Second, 3 * time.Minute
	case strings.HasPrefix(c, "AT+CMGW"):
		return 10 * time.Second, 30 * time.Second
	case c == "AT+COPS=?":
		return 0, 3 * time.Minute
	case strings.HasPrefix(c, "AT+COPS="):
		return 0, 2 * time.Minute
	case strings.HasPrefix(c, "AT+CMGL"):
		return 0, time.Minute
	case strings.HasPrefix(c, "AT+CFUN="):
		return 0, time.Minute
	case strings.HasPrefix(c, "AT+CUSD="):
		return 0, 30 * time.Second
	case strings.HasPrefix(c, "AT+CPIN="), strings.HasPrefix(c, "AT+CMGR"), strings.HasPrefix(c, "AT+CMGD"),
		strings.HasPrefix(c, "AT+CPMS"), strings.HasPrefix(c, "AT+CSCA"):
		return 0, 20 * time.Second
	}
	return 0, 10 * time.Second
}
