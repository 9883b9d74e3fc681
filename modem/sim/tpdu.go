package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/modem/pdu"
)

// errBadPDU is returned for a TPDU the network would reject (CMS 304).
var errBadPDU = errors.New("sim: malformed TPDU")

// parseSubmit decodes an SMS-SUBMIT TPDU (without the SMSC prefix) and
// checks TP-UDL against the octets present, as a modem does before it
// accepts the PDU.
func parseSubmit(b []byte) (*pdu.Submit, error) {
	msg, err := pdu.DecodeTPDU(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadPDU, err)
	}
	s, ok := msg.(*pdu.Submit)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an SMS-SUBMIT", errBadPDU, msg.Type())
	}
	want := s.UD.Length
	if c, err := s.DCS.Coding(); err == nil && c == pdu.CodingGSM7 {
		want = (s.UD.Length*7 + 7) / 8
	}
	if len(s.UD.Raw) != want {
		return nil, fmt.Errorf("%w: TP-UDL %d needs %d octets, have %d", errBadPDU, s.UD.Length, want, len(s.UD.Raw))
	}
	return s, nil
}

// address converts a number as tests and options write it.
func address(s string) pdu.Address {
	a, err := pdu.ParseAddress(s)
	if err != nil {
		return pdu.Address{TON: pdu.TONUnknown, NPI: pdu.NPIISDN, Number: strings.TrimPrefix(s, "+")}
	}
	return a
}

// deliverFromSubmit turns a SUBMIT into the SMS-DELIVER the recipient gets:
// PID, DCS and user data (header, fill bits, septet count) copied verbatim.
func deliverFromSubmit(s *pdu.Submit, from string, at time.Time) ([]byte, error) {
	return pdu.EncodeTPDU(&pdu.Deliver{
		StatusReportIndication: s.StatusReportRequest,
		ReplyPath:              s.ReplyPath,
		From:                   address(from),
		PID:                    s.PID,
		DCS:                    s.DCS,
		SCTS:                   at,
		UD:                     s.UD,
	})
}

// statusReport builds an SMS-STATUS-REPORT for message reference mr sent
// to recipient.
func statusReport(mr byte, recipient pdu.Address, submitted, done time.Time, st pdu.Status) ([]byte, error) {
	return pdu.EncodeTPDU(&pdu.StatusReport{
		MR: mr, Recipient: recipient, SCTS: submitted, DischargeTime: done, Status: st,
	})
}

// encodeSMSC builds the SMSC field that precedes a TPDU in PDU mode
// (27.005 3.1): length in octets, TOA, semi-octets; "" gives "00".
func encodeSMSC(addr string) []byte {
	if addr == "" {
		return []byte{0}
	}
	toa := byte(0x81)
	if strings.HasPrefix(addr, "+") {
		toa = 0x91
		addr = addr[1:]
	}
	out := []byte{0, toa}
	for i := 0; i < len(addr); i += 2 {
		lo := nibble(addr[i])
		hi := byte(0xF)
		if i+1 < len(addr) {
			hi = nibble(addr[i+1])
		}
		out = append(out, hi<<4|lo)
	}
	out[0] = byte(len(out) - 1)
	return out
}

func nibble(c byte) byte {
	if i := strings.IndexByte("0123456789*#abc", c); i >= 0 {
		return byte(i)
	}
	return 0xF
}

// mti returns the message type of a TPDU as seen by the MS (receiving side):
// 0 DELIVER, 2 STATUS-REPORT.
func mti(tpdu []byte) byte {
	if len(tpdu) == 0 {
		return 0xFF
	}
	return tpdu[0] & 3
}
