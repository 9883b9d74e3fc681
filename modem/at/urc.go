package at

import (
	"strings"
	"time"
)

// URC is one unsolicited result code. For the two-line codes (+CMT, +CDS,
// +CBM) PDU holds the hex line that followed the header.
type URC struct {
	// Name is the code as the modem spells it, without the colon: "+CMTI",
	// "RING", "^RSSI", "Call Ready", "+QIND".
	Name string
	// Args is the text after "Name:" with surrounding spaces removed ("" for
	// codes without arguments).
	Args string
	// Line is the whole header line as received.
	Line string
	// PDU is the second line of +CMT/+CDS/+CBM, "" for other codes (and for
	// a two-line code whose second line never came or was not hex).
	PDU string
	// Time is when the header line was read.
	Time time.Time
}

// urcPrefixes are the unsolicited codes this engine recognises. Entries
// ending in ':' need the colon; the others match a whole line or a line
// starting with the name followed by ':' or a space.
var urcNames = []string{
	// 27.005 message indications.
	"+CMTI", "+CMT", "+CDSI", "+CDS", "+CBMI", "+CBM",
	// 27.007 network, SIM and call state.
	"+CREG", "+CGREG", "+CEREG", "+C5GREG", "+CUSD", "RING", "+CRING", "+CLIP",
	"+CPIN", "+CFUN", "+CIEV", "+CSQN", "+CTZV", "+CTZE", "+CCWA", "+CGEV",
	"NO CARRIER",
	// SIMCom.
	"RDY", "Call Ready", "SMS Ready", "PB DONE", "SMS DONE", "*PSUTTZ", "DST",
	"+NITZ", "+CNSMOD", "+CPSI", "UNDER-VOLTAGE WARNNING", "UNDER-VOLTAGE POWER DOWN",
	"OVER-VOLTAGE WARNNING", "NORMAL POWER DOWN", "+CMTE",
	// Quectel.
	"+QIND", "+QUSIM", "UNDER_VOLTAGE WARNING", "OVER_VOLTAGE WARNING",
	"UNDER_VOLTAGE POWER DOWN", "+QCSQ", "POWERED DOWN",
	// Huawei.
	"^RSSI", "^BOOT", "^MODE", "^SRVST", "^SIMST", "^HCSQ", "^NWTIME", "^DSFLOWRPT",
	"^STIN", "^CEND", "^ORIG", "^CONF", "^CONN", "^RSSILVL", "^NDISSTAT", "^SMMEMFULL",
	"^SYSINFOEX", "^CRSSI", "^ECCLIST",
	// ZTE.
	"+ZDONR", "+ZPASR", "+ZUSIMR", "+ZEND", "+ZPSTM",
	// Telit.
	"#QSS", "#STN",
	// Cinterion / Siemens.
	"^SYSSTART", "^SHUTDOWN", "^SBC",
	// Sierra, Option, Icera, u-blox, Wavecom.
	"+PACSP0", "+PACSP1", "+PACSP", "*EMRDY", "+READY", "+WIND", "+UUSIMSTAT",
}

// twoLine reports whether a URC is followed by a PDU line.
func twoLine(name string) bool {
	switch name {
	case "+CMT", "+CDS", "+CBM":
		return true
	}
	return false
}

// parseURC recognises a URC header line. It is a pure function of the line.
func parseURC(line string) (URC, bool) {
	for _, n := range urcNames {
		if len(line) < len(n) || !strings.EqualFold(line[:len(n)], n) {
			continue
		}
		rest := line[len(n):]
		switch {
		case rest == "":
		case rest[0] == ':':
			rest = rest[1:]
		case rest[0] == ' ' && !strings.HasPrefix(n, "+") && !strings.HasPrefix(n, "^"):
			// "RING" style words may carry trailing text; "+CMT" must not
			// match "+CMTI" so only ':' separates for prefixed codes.
		default:
			continue
		}
		return URC{Name: n, Args: strings.TrimSpace(rest), Line: line}, true
	}
	return URC{}, false
}

// isHexLine reports whether s looks like a PDU line.
func isHexLine(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
