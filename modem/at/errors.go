package at

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrClosed is returned by every call once the port is closed, by Close or
// because the device went away (unplug, EIO, EOF). The error returned wraps
// ErrClosed and names the cause.
var ErrClosed = errors.New("at: port closed")

// ErrTimeout is wrapped by the error of a command whose prompt or final result
// did not arrive in time.
var ErrTimeout = errors.New("at: timeout")

// ErrNoAnswer is wrapped by the error of a command that got no byte at all
// from the modem within Config.AnswerTimeout: the modem is silent, which is
// worth recovering from long before the command's own timeout. It wraps
// ErrTimeout.
var ErrNoAnswer = fmt.Errorf("at: no answer: %w", ErrTimeout)

// ErrBusy is returned to a command whose context carries a QueueLimit when
// another command held the port for longer than that.
var ErrBusy = errors.New("at: port busy")

// CMEError is a "+CME ERROR: <n>" final result (3GPP TS 27.007 §9.2): an
// equipment, SIM or network error. Code is -1 when the modem reported a verbose
// text that is not in the table; Text is then what it said.
type CMEError struct {
	Code int
	Text string
}

func (e *CMEError) Error() string {
	if e.Code < 0 {
		return "+CME ERROR: " + e.Text
	}
	return fmt.Sprintf("+CME ERROR: %d (%s)", e.Code, e.Meaning())
}

// Meaning returns the 3GPP meaning of the code, or the modem's own text.
func (e *CMEError) Meaning() string {
	if m, ok := cmeText[e.Code]; ok {
		return m
	}
	if e.Text != "" {
		return e.Text
	}
	return "unknown"
}

// CMSError is a "+CMS ERROR: <n>" final result (3GPP TS 27.005 §3.2.5): a
// message service error. Codes 1-127 are network (RP) causes, 128-255 TP-FCS
// values, 300-511 the modem's own, 512+ manufacturer specific (their meaning
// differs per vendor; the table holds the most common one). Code is -1 when
// the modem reported a verbose text that is not in the table.
type CMSError struct {
	Code int
	Text string
}

func (e *CMSError) Error() string {
	if e.Code < 0 {
		return "+CMS ERROR: " + e.Text
	}
	return fmt.Sprintf("+CMS ERROR: %d (%s)", e.Code, e.Meaning())
}

// Meaning returns the 3GPP meaning of the code, or the modem's own text.
func (e *CMSError) Meaning() string {
	if m, ok := cmsText[e.Code]; ok {
		return m
	}
	if e.Text != "" {
		return e.Text
	}
	return "unknown"
}

// ResultError is a final result code other than OK that carries no number:
// ERROR, COMMAND NOT SUPPORT, NO CARRIER, BUSY, NO ANSWER, NO DIALTONE,
// "MODEM ERROR: n", "NA".
type ResultError struct {
	Result string
}

func (e *ResultError) Error() string { return e.Result }

// CommandError wraps the failure of one command with the command line (a
// PIN or PUK in it is redacted). Unwrap gives the typed cause (*CMSError,
// *CMEError, *ResultError, ErrTimeout, ErrClosed, a context error).
type CommandError struct {
	Cmd string
	// Phase is "prompt" when the "> " prompt never came, "hold" when
	// Cmd.Hold failed at the prompt (nothing of the payload written),
	// otherwise "".
	Phase string
	// PayloadWritten is set when any byte of the command's payload (the
	// PDU after the prompt) reached the port before the command failed:
	// the modem may have acted on it, whatever the error says.
	PayloadWritten bool
	Err            error
}

func (e *CommandError) Error() string {
	if e.Phase != "" {
		return fmt.Sprintf("%s (%s): %v", e.Cmd, e.Phase, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Cmd, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

// Class tells the caller's retry policy what an error means for the message
// being sent.
type Class int

const (
	// ClassUnknown: not a modem answer (a context cancellation, say).
	ClassUnknown Class = iota
	// ClassTemporary: try the same message again later, on any modem.
	ClassTemporary
	// ClassPermanent: the message or recipient is refused for good; fail it.
	ClassPermanent
	// ClassModemFault: this modem, its SIM or its network attachment cannot
	// send now; use another modem and re-check this one.
	ClassModemFault
)

func (c Class) String() string {
	switch c {
	case ClassTemporary:
		return "temporary"
	case ClassPermanent:
		return "permanent"
	case ClassModemFault:
		return "modem-fault"
	}
	return "unknown"
}

// Classify maps an error from this package (possibly wrapped) to a Class.
// Timeouts are temporary (a send that timed out may still have gone out: the
// caller decides what that means), a closed port is a modem fault.
func Classify(err error) Class {
	if err == nil {
		return ClassUnknown
	}
	var cms *CMSError
	if errors.As(err, &cms) {
		return classifyCMS(cms.Code)
	}
	var cme *CMEError
	if errors.As(err, &cme) {
		return classifyCME(cme.Code)
	}
	switch {
	case errors.Is(err, ErrClosed):
		return ClassModemFault
	case errors.Is(err, ErrTimeout):
		return ClassTemporary
	}
	var re *ResultError
	if errors.As(err, &re) {
		// Plain ERROR (CMEE=0, or a syntax the firmware dislikes) says
		// nothing about the message; another attempt may fare better.
		return ClassTemporary
	}
	return ClassUnknown
}

func classifyCMS(code int) Class {
	switch {
	case code < 0:
		return ClassTemporary
	// RP causes (24.011 E.2) that concern our own subscription.
	case code == 8, code == 10, code == 50:
		return ClassModemFault
	case code == 1, code == 21, code == 29, code == 30, code == 69, code == 81,
		code >= 95 && code <= 99, code == 111:
		return ClassPermanent
	case code == 27, code == 28, code == 38, code == 41, code == 42, code == 47, code == 127:
		return ClassTemporary
	case code < 128:
		return ClassTemporary
	// TP-FCS (23.040 9.2.3.22).
	case code >= 0x80 && code <= 0x9F: // telematic, PID, DCS, class errors
		return ClassPermanent
	case code == 0xC0, code == 0xC2, code == 0xD4: // SC busy, SC failure, SAT busy
		return ClassTemporary
	case code == 0xC1: // no SC subscription
		return ClassModemFault
	case code >= 0xC3 && code <= 0xC7: // bad SME address, barred, duplicate, VP
		return ClassPermanent
	case code >= 0xD0 && code <= 0xD3: // SIM storage full / MS errors
		return ClassModemFault
	case code < 300:
		return ClassTemporary
	// ME/TA errors (27.005 §3.2.5).
	case code == 303, code == 304, code == 305:
		return ClassPermanent
	case code == 314, code == 332, code == 500:
		return ClassTemporary
	case code >= 300 && code <= 331, code == 340:
		return ClassModemFault
	case code < 512:
		return ClassTemporary
	// Manufacturer codes (Siemens/Quectel/Wavecom style).
	case code == 513, code == 514, code == 532:
		return ClassModemFault
	case code == 516, code == 517, code == 519, code == 520, code == 538,
		code >= 549 && code <= 554:
		return ClassPermanent
	}
	return ClassTemporary
}

func classifyCME(code int) Class {
	switch {
	case code == 14, code == 100, code == 515, code < 0:
		return ClassTemporary
	case code >= 5 && code <= 18, code == 30, code == 31, code == 32, code == 0, code == 1:
		return ClassModemFault
	case code == 3, code == 4, code == 50, code == 20, code == 21, code == 22:
		return ClassPermanent
	}
	return ClassTemporary
}

var cmsText = map[int]string{
	1:    "unassigned (unallocated) number",
	8:    "operator determined barring",
	10:   "call barred",
	17:   "network failure",
	21:   "short message transfer rejected",
	22:   "memory capacity exceeded",
	27:   "destination out of service",
	28:   "unidentified subscriber",
	29:   "facility rejected",
	30:   "unknown subscriber",
	38:   "network out of order",
	41:   "temporary failure",
	42:   "congestion",
	47:   "resources unavailable, unspecified",
	50:   "requested facility not subscribed",
	69:   "requested facility not implemented",
	81:   "invalid short message transfer reference value",
	95:   "invalid message, unspecified",
	96:   "invalid mandatory information",
	97:   "message type non-existent or not implemented",
	98:   "message not compatible with short message protocol state",
	99:   "information element non-existent or not implemented",
	111:  "protocol error, unspecified",
	127:  "interworking, unspecified",
	0x80: "telematic interworking not supported",
	0x81: "short message type 0 not supported",
	0x82: "cannot replace short message",
	0x8F: "unspecified TP-PID error",
	0x90: "data coding scheme (alphabet) not supported",
	0x91: "message class not supported",
	0x9F: "unspecified TP-DCS error",
	0xA0: "command cannot be actioned",
	0xA1: "command unsupported",
	0xAF: "unspecified TP-Command error",
	0xB0: "TPDU not supported",
	0xC0: "SC busy",
	0xC1: "no SC subscription",
	0xC2: "SC system failure",
	0xC3: "invalid SME address",
	0xC4: "destination SME barred",
	0xC5: "SM rejected, duplicate SM",
	0xC6: "TP-VPF not supported",
	0xC7: "TP-VP not supported",
	0xD0: "SIM SMS storage full",
	0xD1: "no SMS storage capability in SIM",
	0xD2: "error in MS",
	0xD3: "memory capacity exceeded",
	0xD4: "SIM application toolkit busy",
	0xD5: "SIM data download error",
	0xFF: "unspecified error cause",
	300:  "ME failure",
	301:  "SMS service of ME reserved",
	302:  "operation not allowed",
	303:  "operation not supported",
	304:  "invalid PDU mode parameter",
	305:  "invalid text mode parameter",
	310:  "SIM not inserted",
	311:  "SIM PIN required",
	312:  "PH-SIM PIN required",
	313:  "SIM failure",
	314:  "SIM busy",
	315:  "SIM wrong",
	316:  "SIM PUK required",
	317:  "SIM PIN2 required",
	318:  "SIM PUK2 required",
	320:  "memory failure",
	321:  "invalid memory index",
	322:  "memory full",
	330:  "SMSC address unknown",
	331:  "no network service",
	332:  "network timeout",
	340:  "no +CNMA acknowledgement expected",
	500:  "unknown error",
	512:  "user abort or MM establishment failure (vendor specific)",
	513:  "unable to store or lower layer failure (vendor specific)",
	514:  "invalid status (vendor specific)",
	515:  "device busy or invalid character in address (vendor specific)",
	516:  "invalid length (vendor specific)",
	517:  "invalid character in PDU (vendor specific)",
	519:  "invalid length or character (vendor specific)",
	520:  "invalid character in text (vendor specific)",
	521:  "timer expired (vendor specific)",
	522:  "operation temporarily not allowed (vendor specific)",
	532:  "SIM not ready (vendor specific)",
	534:  "cell broadcast error unknown (vendor specific)",
	535:  "protocol stack busy (vendor specific)",
	538:  "invalid parameter (vendor specific)",
	549:  "incorrect PDU length (vendor specific)",
	550:  "invalid message type indicator (vendor specific)",
	551:  "invalid address: non-hex characters (vendor specific)",
	553:  "incorrect PDU length, UDL (vendor specific)",
	554:  "incorrect SCA length (vendor specific)",
}

var cmeText = map[int]string{
	0:   "phone failure",
	1:   "no connection to phone",
	2:   "phone-adaptor link reserved",
	3:   "operation not allowed",
	4:   "operation not supported",
	5:   "PH-SIM PIN required",
	6:   "PH-FSIM PIN required",
	7:   "PH-FSIM PUK required",
	10:  "SIM not inserted",
	11:  "SIM PIN required",
	12:  "SIM PUK required",
	13:  "SIM failure",
	14:  "SIM busy",
	15:  "SIM wrong",
	16:  "incorrect password",
	17:  "SIM PIN2 required",
	18:  "SIM PUK2 required",
	20:  "memory full",
	21:  "invalid index",
	22:  "not found",
	23:  "memory failure",
	24:  "text string too long",
	25:  "invalid characters in text string",
	26:  "dial string too long",
	27:  "invalid characters in dial string",
	30:  "no network service",
	31:  "network timeout",
	32:  "network not allowed - emergency calls only",
	40:  "network personalization PIN required",
	50:  "incorrect parameters",
	100: "unknown",
	103: "illegal MS",
	106: "illegal ME",
	107: "GPRS services not allowed",
	111: "PLMN not allowed",
	112: "location area not allowed",
	113: "roaming not allowed in this location area",
	515: "device busy (vendor specific)",
}

// Verbose texts some firmware prints instead of a number (CMEE=2, the
// Android emulator), beyond the table's own meanings.
var cmsAlias = map[string]int{
	"invalid sms pdu": 304,
	"sim absent":      310,
	"unknown":         500,
}

var cmeAlias = map[string]int{
	"bad pin":    16,
	"sim absent": 10,
	"unknown":    100,
}

func lookupText(table map[int]string, alias map[string]int, text string) int {
	t := strings.ToLower(strings.TrimSpace(text))
	if c, ok := alias[t]; ok {
		return c
	}
	for c, m := range table {
		if strings.ToLower(m) == t {
			return c
		}
	}
	return -1
}

// parseFinal recognises a final result line. ok reports whether the line is
// one; err is nil for OK.
func parseFinal(line string) (err error, ok bool) {
	switch line {
	case "OK":
		return nil, true
	case "ERROR", "COMMAND NOT SUPPORT", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "NA", "TOO MANY PARAMETERS":
		return &ResultError{Result: line}, true
	}
	if rest, found := cutPrefixFold(line, "+CMS ERROR:"); found {
		return cmsFrom(rest), true
	}
	if rest, found := cutPrefixFold(line, "+CMGS ERROR:"); found {
		// Fibocom G510 reports failed sends this way.
		return cmsFrom(rest), true
	}
	if rest, found := cutPrefixFold(line, "+CME ERROR:"); found {
		rest = strings.TrimSpace(rest)
		if n, err := strconv.Atoi(rest); err == nil {
			return &CMEError{Code: n}, true
		}
		return &CMEError{Code: lookupText(cmeText, cmeAlias, rest), Text: rest}, true
	}
	if strings.HasPrefix(line, "MODEM ERROR:") {
		return &ResultError{Result: line}, true
	}
	return nil, false
}

func cmsFrom(rest string) *CMSError {
	rest = strings.TrimSpace(rest)
	if n, err := strconv.Atoi(rest); err == nil {
		return &CMSError{Code: n}
	}
	return &CMSError{Code: lookupText(cmsText, cmsAlias, rest), Text: rest}
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
