package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file works on TPDUs at the header level only (3GPP TS 23.040 9.2):
// the emulator forwards user data verbatim, so it never needs to decode text.

// errBadPDU is returned for a TPDU the network would reject (CMS 304).
var errBadPDU = errors.New("sim: malformed TPDU")

// submit is the header of an SMS-SUBMIT (23.040 9.2.2.2).
type submit struct {
	FO  byte
	MR  byte
	DA  string // "+123..." for international, digits otherwise
	PID byte
	DCS byte
	UDL byte
	UD  []byte // user data incl. UDH, as on the wire
}

func (s submit) srr() bool  { return s.FO&0x20 != 0 }
func (s submit) udhi() bool { return s.FO&0x40 != 0 }

// parseSubmit decodes an SMS-SUBMIT TPDU (without the SMSC prefix).
func parseSubmit(b []byte) (submit, error) {
	var s submit
	if len(b) < 7 {
		return s, fmt.Errorf("%w: %d octets", errBadPDU, len(b))
	}
	s.FO = b[0]
	if s.FO&0x03 != 0x01 {
		return s, fmt.Errorf("%w: MTI %d is not SMS-SUBMIT", errBadPDU, s.FO&3)
	}
	s.MR = b[1]
	da, n, err := parseAddress(b[2:])
	if err != nil {
		return s, err
	}
	s.DA = da
	i := 2 + n
	if len(b) < i+3 {
		return s, fmt.Errorf("%w: truncated after DA", errBadPDU)
	}
	s.PID, s.DCS = b[i], b[i+1]
	i += 2
	switch (s.FO >> 3) & 3 { // TP-VPF
	case 2:
		i++
	case 1, 3:
		i += 7
	}
	if len(b) < i+1 {
		return s, fmt.Errorf("%w: truncated before UDL", errBadPDU)
	}
	s.UDL = b[i]
	s.UD = b[i+1:]
	if want := udOctets(s.DCS, s.UDL); len(s.UD) != want {
		return s, fmt.Errorf("%w: UDL %d needs %d octets, have %d", errBadPDU, s.UDL, want, len(s.UD))
	}
	return s, nil
}

// udOctets is the user-data length in octets for a UDL (septets for the
// GSM 7-bit alphabet, octets otherwise; 23.038 section 4).
func udOctets(dcs, udl byte) int {
	if is7bit(dcs) {
		return (int(udl)*7 + 7) / 8
	}
	return int(udl)
}

func is7bit(dcs byte) bool {
	switch dcs >> 4 {
	case 0, 1, 2, 3: // general data coding
		return (dcs>>2)&3 == 0
	case 0xF:
		return dcs&0x04 == 0
	case 0xC, 0xD:
		return true
	case 0xE:
		return false
	}
	return false
}

// parseAddress decodes a TP address field; it returns the address and the
// octets consumed. Alphanumeric addresses come back as "alnum:<hex>".
func parseAddress(b []byte) (string, int, error) {
	if len(b) < 2 {
		return "", 0, fmt.Errorf("%w: truncated address", errBadPDU)
	}
	digits := int(b[0])
	octets := (digits + 1) / 2
	if digits > 20 || len(b) < 2+octets {
		return "", 0, fmt.Errorf("%w: address length %d", errBadPDU, digits)
	}
	toa := b[1]
	body := b[2 : 2+octets]
	if toa&0x70 == 0x50 {
		return fmt.Sprintf("alnum:%X", body), 2 + octets, nil
	}
	var sb strings.Builder
	if toa&0x70 == 0x10 {
		sb.WriteByte('+')
	}
	sb.WriteString(semiOctets(body, digits))
	return sb.String(), 2 + octets, nil
}

const bcdDigits = "0123456789*#abc"

func semiOctets(b []byte, digits int) string {
	out := make([]byte, 0, digits)
	for _, o := range b {
		for _, nib := range []byte{o & 0x0F, o >> 4} {
			if len(out) == digits || nib == 0xF {
				break
			}
			out = append(out, bcdDigits[nib])
		}
	}
	return string(out)
}

// encodeAddress builds a TP address field (23.040 9.1.2.5) for a numeric
// address; a leading '+' selects the international type (0x91).
func encodeAddress(addr string) []byte {
	toa := byte(0x81)
	if strings.HasPrefix(addr, "+") {
		toa = 0x91
		addr = addr[1:]
	}
	out := []byte{byte(len(addr)), toa}
	return append(out, bcd(addr)...)
}

func bcd(digits string) []byte {
	var out []byte
	for i := 0; i < len(digits); i += 2 {
		lo := nibble(digits[i])
		hi := byte(0xF)
		if i+1 < len(digits) {
			hi = nibble(digits[i+1])
		}
		out = append(out, hi<<4|lo)
	}
	return out
}

func nibble(c byte) byte {
	if i := strings.IndexByte(bcdDigits, c); i >= 0 {
		return byte(i)
	}
	return 0xF
}

// encodeSMSC builds the SMSC prefix that precedes a TPDU in PDU mode
// (27.005 3.1): length in octets, TOA, semi-octets; "" gives "00".
func encodeSMSC(addr string) []byte {
	if addr == "" {
		return []byte{0}
	}
	a := encodeAddress(addr)
	a[0] = byte(len(a) - 1)
	return a
}

// scts encodes a service-centre time stamp (23.040 9.2.3.11).
func scts(t time.Time) []byte {
	sw := func(v int) byte { return byte(v%10)<<4 | byte(v/10%10) }
	_, off := t.Zone()
	q := off / 900
	tz := sw(abs(q))
	if q < 0 {
		tz |= 0x08
	}
	return []byte{sw(t.Year() % 100), sw(int(t.Month())), sw(t.Day()), sw(t.Hour()), sw(t.Minute()), sw(t.Second()), tz}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// deliverFromSubmit turns a SUBMIT into the SMS-DELIVER the recipient gets:
// PID, DCS, UDH and user data are copied verbatim.
func deliverFromSubmit(s submit, from string, at time.Time) []byte {
	fo := byte(0x04)  // MTI=00, TP-MMS set: no more messages waiting
	fo |= s.FO & 0xC0 // TP-RP, TP-UDHI
	if s.srr() {
		fo |= 0x20 // TP-SRI
	}
	out := []byte{fo}
	out = append(out, encodeAddress(from)...)
	out = append(out, s.PID, s.DCS)
	out = append(out, scts(at)...)
	out = append(out, s.UDL)
	return append(out, s.UD...)
}

// buildDeliver builds an SMS-DELIVER with the given user data.
func buildDeliver(from string, pid, dcs byte, udhi bool, udl byte, ud []byte, at time.Time) []byte {
	fo := byte(0x04)
	if udhi {
		fo |= 0x40
	}
	out := []byte{fo}
	out = append(out, encodeAddress(from)...)
	out = append(out, pid, dcs)
	out = append(out, scts(at)...)
	out = append(out, udl)
	return append(out, ud...)
}

// statusReport builds an SMS-STATUS-REPORT (23.040 9.2.2.3) for message
// reference mr sent to recipient, with TP-ST status st (0 = delivered).
func statusReport(mr byte, recipient string, submitted, done time.Time, st byte) []byte {
	out := []byte{0x06, mr} // MTI=10, TP-MMS set
	out = append(out, encodeAddress(recipient)...)
	out = append(out, scts(submitted)...)
	out = append(out, scts(done)...)
	return append(out, st)
}

// mti returns the message type of a TPDU as seen by the MS (receiving side):
// 0 DELIVER, 2 STATUS-REPORT.
func mti(tpdu []byte) byte {
	if len(tpdu) == 0 {
		return 0xFF
	}
	return tpdu[0] & 3
}
