package sim

import (
	"fmt"
	"strings"
	"time"

	"smsgw/modem/pdu"
)

// Text mode (AT+CMGF=1, 27.005 section 4) in its common subset: AT+CMGS
// with a destination and the text after the prompt, +CMGR/+CMGL/+CMT/+CDS
// in the AT+CSDH=0 shape. User data that is not GSM 7-bit is shown as hex.

var statNames = []string{"REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL"}

// textTime formats a time stamp as text mode shows it: "yy/MM/dd,hh:mm:ss+zz"
// with the zone in quarter hours.
func textTime(t time.Time) string {
	_, off := t.Zone()
	q := off / 900
	sign := "+"
	if q < 0 {
		sign, q = "-", -q
	}
	return fmt.Sprintf("%02d/%02d/%02d,%02d:%02d:%02d%s%02d", t.Year()%100, int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), sign, q)
}

func toa(a pdu.Address) int { return 0x80 | int(a.TON&7)<<4 | int(a.NPI&0x0F) }

// textBody returns the header fields (after <stat> or for +CMT) and the body
// line of a stored PDU in text mode.
func (m *Modem) textBody(raw []byte) (fields, body string) {
	msg, err := pdu.Decode(raw)
	if err != nil {
		return `"",,""`, hexUpper(raw)
	}
	switch v := msg.(type) {
	case *pdu.Deliver:
		return fmt.Sprintf(`"%s",,"%s"`, m.str(v.From.String()), textTime(v.SCTS)), m.textContent(v.DCS, v.UD)
	case *pdu.Submit:
		return fmt.Sprintf(`"%s",`, m.str(v.To.String())), m.textContent(v.DCS, v.UD)
	case *pdu.StatusReport:
		return fmt.Sprintf(`6,%d,"%s",%d,"%s","%s",%d`, v.MR, v.Recipient.String(), toa(v.Recipient), textTime(v.SCTS), textTime(v.DischargeTime), v.Status), ""
	}
	return `"",,""`, hexUpper(raw)
}

func (m *Modem) textContent(dcs pdu.DCS, ud pdu.UserData) string {
	c, err := ud.Decode(dcs)
	if err != nil {
		return hexUpper(ud.Raw)
	}
	switch c.Coding {
	case pdu.CodingGSM7:
		return m.str(c.Text)
	case pdu.CodingUCS2:
		return hexUpper(pdu.EncodeUCS2(c.Text))
	}
	return hexUpper(c.Data)
}

func (m *Modem) cmgrText(sl *slot) []string {
	fields, body := m.textBody(sl.pdu)
	if mti(sl.pdu[1+int(sl.pdu[0]):]) == 2 {
		return []string{fmt.Sprintf(`+CMGR: "%s",%s`, statNames[sl.stat], fields)}
	}
	return []string{fmt.Sprintf(`+CMGR: "%s",%s`, statNames[sl.stat], fields), body}
}

func (m *Modem) cmglText(c command) ([]string, result) {
	if c.op == "=?" {
		return []string{`+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")`}, ok
	}
	want := 0
	if c.op == "=" {
		v, quoted := args(c.arg)
		want = -1
		for i, n := range statNames {
			if quoted[0] && strings.EqualFold(v[0], n) {
				want = i
			}
		}
		if want < 0 {
			return nil, errResult() // numeric <stat> in text mode
		}
	}
	s := m.mem(m.st.cpms[0])
	var out []string
	for i, sl := range s.slots {
		if sl == nil || (want != 4 && sl.stat != want) {
			continue
		}
		fields, body := m.textBody(sl.pdu)
		out = append(out, fmt.Sprintf(`+CMGL: %d,"%s",%s`, i+m.prof.IndexBase, statNames[sl.stat], fields))
		if body != "" {
			out = append(out, body)
		}
		if sl.stat == 0 {
			sl.stat = 1
		}
	}
	return out, ok
}

func (m *Modem) cmgsText(c command) ([]string, result) {
	if c.op == "=?" {
		return nil, ok
	}
	v, quoted := args(c.arg)
	if c.op != "=" || !quoted[0] || v[0] == "" {
		return nil, cms(305)
	}
	da, good := m.unstr(v[0])
	if !good {
		return nil, cms(305)
	}
	m.st.prompt = &promptState{cmd: "+CMGS", text: true, da: da}
	return nil, result{kind: rPrompt}
}

// textEntered builds the SUBMIT for a text-mode AT+CMGS from AT+CSMP and
// the entered text, then sends it like a PDU-mode submit.
func (m *Modem) textEntered(ps *promptState) {
	text, good := m.unstr(string(ps.buf))
	if !good {
		m.writeString(m.final(cms(305)))
		m.flushHeld()
		return
	}
	fo, dcs := byte(m.st.csmp[0]), pdu.DCS(m.st.csmp[3])
	coding, err := dcs.Coding()
	if err != nil {
		coding = pdu.CodingGSM7
	}
	segs, err := pdu.SegmentText(text, pdu.SegmentOptions{Coding: coding})
	if err != nil || len(segs) != 1 {
		m.writeString(m.final(cms(305)))
		m.flushHeld()
		return
	}
	to, err := pdu.ParseAddress(ps.da)
	if err != nil {
		m.writeString(m.final(cms(305)))
		m.flushHeld()
		return
	}
	sub := &pdu.Submit{StatusReportRequest: fo&0x20 != 0, To: to, PID: byte(m.st.csmp[2]), DCS: segs[0].DCS, UD: segs[0].UD}
	if fo&0x18 == 0x10 {
		sub.Validity = pdu.RelativeValidityOctet(byte(m.st.csmp[1]))
	}
	tpdu, err := pdu.EncodeTPDU(sub)
	if err != nil {
		m.writeString(m.final(cms(305)))
		m.flushHeld()
		return
	}
	m.submitPDU([]byte{0}, tpdu)
}
