package sim

// The SMS commands (27.005): reading, writing, deleting, sending, and the
// routing of what the network delivers.

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"smsgw/modem/pdu"
)

// header formats "+CMGR: <stat>,<alpha>,<len>" (idx < 0) or
// "+CMGL: <index>,<stat>,<alpha>,<len>".
func (m *Modem) header(prefix string, idx int, sl *slot) string {
	alpha := m.prof.CMGRAlpha + ","
	if m.prof.CMGRAlpha == "-" {
		alpha = "" // no alpha field at all: "+CMGR: 0,23"
	}
	if idx < 0 {
		return fmt.Sprintf("%s: %d,%s%d", prefix, sl.stat, alpha, sl.tlen)
	}
	return fmt.Sprintf("%s: %d,%d,%s%d", prefix, idx, sl.stat, alpha, sl.tlen)
}

// pduHex prints a PDU as the profile does (upper case unless LowercaseHex).
func (m *Modem) pduHex(b []byte) string {
	if m.prof.LowercaseHex {
		return hex.EncodeToString(b)
	}
	return hexUpper(b)
}

func (m *Modem) rssiInside() []string {
	if m.prof.RSSIInCMGR && m.st.curc {
		return []string{fmt.Sprintf("^RSSI:%d", m.opts.RSSI)}
	}
	return nil
}

func (m *Modem) cmgl(c command) ([]string, result) {
	if m.st.cmgf != 0 {
		return m.cmglText(c)
	}
	if c.op == "=?" {
		return []string{"+CMGL: (0-4)"}, ok
	}
	want := 0
	if c.op == "=" {
		n, good := atoi(c.arg)
		if !good || n < 0 || n > 4 {
			return nil, errResult() // "ALL" in PDU mode
		}
		want = n
	}
	s := m.mem(m.st.cpms[0])
	out := m.rssiInside()
	for i, sl := range s.slots {
		if sl == nil || (want != 4 && sl.stat != want) {
			continue
		}
		out = append(out, m.header("+CMGL", i+m.prof.IndexBase, sl), m.pduHex(sl.pdu))
		if sl.stat == 0 {
			sl.stat = 1
		}
	}
	return out, ok
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func (m *Modem) slotAt(arg string) (*store, int, bool) {
	n, good := atoi(arg)
	s := m.mem(m.st.cpms[0])
	i := n - m.prof.IndexBase
	if !good || i < 0 || i >= len(s.slots) {
		return s, -1, false
	}
	return s, i, true
}

func (m *Modem) cmgr(c command) ([]string, result) {
	if c.op == "=?" {
		return nil, ok
	}
	s, i, good := m.slotAt(c.arg)
	if !good {
		return nil, cms(321)
	}
	sl := s.slots[i]
	if sl == nil {
		switch m.prof.EmptyRead {
		case "OK":
			return nil, ok
		case "0,,0":
			return []string{"+CMGR: 0,,0"}, ok // Siemens MC35
		case "500":
			return nil, cms(500)
		}
		return nil, cms(321)
	}
	out := m.rssiInside()
	if m.st.cmgf != 0 {
		out = append(out, m.cmgrText(sl)...)
	} else {
		out = append(out, m.header("+CMGR", -1, sl), m.pduHex(sl.pdu))
	}
	if sl.stat == 0 {
		sl.stat = 1
	}
	return out, ok
}

func (m *Modem) cmgd(c command) ([]string, result) {
	if c.op == "=?" {
		if m.prof.IndexBase == 0 {
			return []string{fmt.Sprintf("+CMGD: (0-%d),(0-4)", len(m.mem(m.st.cpms[0]).slots)-1)}, ok
		}
		return []string{"+CMGD: (1,2,3),(0-4)"}, ok
	}
	v, _ := args(c.arg)
	flag := 0
	if len(v) > 1 && v[1] != "" {
		f, good := atoi(v[1])
		if !good || f < 0 || f > 4 {
			return nil, cms(304)
		}
		flag = f
	}
	if m.failDel.n > 0 {
		m.failDel.n--
		return nil, cms(m.failDel.code)
	}
	s := m.mem(m.st.cpms[0])
	if flag == 0 {
		_, i, good := m.slotAt(v[0])
		if !good {
			return nil, cms(321)
		}
		s.slots[i] = nil
	} else {
		for i, sl := range s.slots {
			if sl == nil {
				continue
			}
			if flag == 4 || (sl.stat == 1) || (flag >= 2 && sl.stat == 3) || (flag >= 3 && sl.stat == 2) {
				s.slots[i] = nil
			}
		}
	}
	// Space freed: the network retries what it holds.
	m.after(0, m.flushPending)
	return nil, ok
}

func (m *Modem) cmgs(c command) ([]string, result) {
	if c.op == "=" && m.stallOnSubmit() {
		return nil, result{kind: rNone}
	}
	if m.st.cmgf != 0 {
		return m.cmgsText(c)
	}
	if c.op == "=?" {
		return nil, ok
	}
	if c.op != "=" {
		return nil, errResult()
	}
	n, good := atoi(c.arg)
	if !good || n < 7 || n > 164 {
		return nil, cms(304)
	}
	m.st.prompt = &promptState{cmd: "+CMGS", length: n}
	return nil, result{kind: rPrompt}
}

func (m *Modem) cmgw(c command) ([]string, result) {
	if m.st.cmgf != 0 {
		return nil, cms(303)
	}
	if c.op == "=?" {
		return nil, ok
	}
	v, _ := args(c.arg)
	n, good := atoi(v[0])
	if !good || n < 1 || n > 164 {
		return nil, cms(304)
	}
	stat := 2
	if len(v) > 1 {
		if st, good := atoi(v[1]); good && st >= 0 && st <= 3 {
			stat = st
		}
	}
	if m.mem(m.st.cpms[1]).full() {
		return nil, cms(322)
	}
	m.st.prompt = &promptState{cmd: "+CMGW", length: n, stat: stat}
	return nil, result{kind: rPrompt}
}

func (m *Modem) storeWritten(raw []byte, tlen, stat int) {
	s := m.mem(m.st.cpms[1])
	i := s.put(&slot{stat: stat, pdu: append([]byte(nil), raw...), tlen: tlen})
	if i < 0 {
		m.writeString(m.final(cms(322)))
		return
	}
	m.writeString(m.info([]string{fmt.Sprintf("+CMGW: %d", i+m.prof.IndexBase)}) + m.final(ok))
}

// submitPDU runs the network side of AT+CMGS after ^Z.
func (m *Modem) submitPDU(smsc, tpdu []byte) {
	m.submit("+CMGS", smsc, tpdu, nil)
}

// submit hands a SUBMIT to the network after the configured delay and
// answers "<name>: <mr>" (+CMGS, +CMSS); sent runs on success.
func (m *Modem) submit(name string, smsc, tpdu []byte, sent func()) {
	s, err := parseSubmit(tpdu)
	fail := func(code int) {
		m.writeString(m.final(cms(code)))
		m.endBusy()
	}
	switch {
	case err != nil:
		fail(304)
		return
	case len(smsc) == 1 && m.sim.smsc == "":
		fail(330)
		return
	case !m.registered():
		fail(331)
		return
	}
	var failCode int
	if m.fail.n > 0 {
		m.fail.n--
		failCode = m.fail.code
	}
	mr := -1
	if failCode == 0 {
		// The modem writes its own reference into TP-MR.
		mr = m.sim.mr
		m.sim.mr = (m.sim.mr + 1) % 256
		s.MR = byte(mr)
		tpdu = append([]byte(nil), tpdu...)
		tpdu[1] = byte(mr)
	}
	finish := func() {
		if failCode != 0 {
			m.writeString(m.final(cms(failCode)))
		} else {
			m.net.submit(m, s, tpdu, mr)
			if sent != nil {
				sent()
			}
			if m.respNoise {
				m.urc(m.noiseLine())
			}
			m.urc(m.prof.SubmitURCs...)
			m.writeString(m.info([]string{fmt.Sprintf("%s: %d", name, mr)}) + m.final(ok))
		}
		m.endBusy()
	}
	m.st.busy = true
	if m.delay <= 0 {
		finish()
		return
	}
	m.after(m.delay, finish)
}

// cmss sends a stored message (AT+CMSS=<index>[,<da>[,<toda>]]), from the
// write memory, optionally to another destination.
func (m *Modem) cmss(c command) ([]string, result) {
	if c.op == "=?" {
		return nil, ok
	}
	v, _ := args(c.arg)
	n, good := atoi(v[0])
	s := m.mem(m.st.cpms[1])
	i := n - m.prof.IndexBase
	if !good || i < 0 || i >= len(s.slots) || s.slots[i] == nil {
		return nil, cms(321)
	}
	sl := s.slots[i]
	raw := sl.pdu
	if len(raw) < 1 || len(raw) < 1+int(raw[0]) {
		return nil, cms(304)
	}
	smsc, tpdu := raw[:1+int(raw[0])], append([]byte(nil), raw[1+int(raw[0]):]...)
	if len(v) > 1 && v[1] != "" {
		sub, err := parseSubmit(tpdu)
		if err != nil {
			return nil, cms(304)
		}
		da, good := m.unstr(v[1])
		to, err := pdu.ParseAddress(da)
		if !good || err != nil {
			return nil, cms(304)
		}
		sub.To = to
		if tpdu, err = pdu.EncodeTPDU(sub); err != nil {
			return nil, cms(304)
		}
	}
	// The result comes after this command line's output.
	m.st.busy = true
	m.after(0, func() {
		m.submit("+CMSS", smsc, tpdu, func() { sl.stat = 3 })
	})
	return nil, result{kind: rNone}
}

func (m *Modem) cnma(c command) ([]string, result) {
	if c.op == "=?" {
		return []string{"+CNMA: (0-2)"}, ok
	}
	if m.st.ackWait == nil {
		return nil, cms(340)
	}
	aw := m.st.ackWait
	m.st.ackWait = nil
	if aw.in.onDelivered != nil {
		aw.in.onDelivered()
	}
	return nil, ok
}

// netReceive takes a TPDU from the network: an SMS-DELIVER or a status
// report. What cannot be taken now waits in m.pending.
func (m *Modem) netReceive(in inbound) {
	m.pending = append(m.pending, in)
	m.flushPending()
}

// flushPending delivers what the network holds for this modem as far as the
// modem's state allows, oldest first.
func (m *Modem) flushPending() {
	for len(m.pending) > 0 {
		if m.sess == nil || m.hung || !m.st.ready || !m.registered() || m.st.ackWait != nil {
			return
		}
		if !m.accept(m.pending[0]) {
			return
		}
		m.pending = m.pending[1:]
	}
}

// accept routes one inbound TPDU per AT+CNMI; false means "not now".
func (m *Modem) accept(in inbound) bool {
	mode, mt, ds := m.st.cnmi[0], m.st.cnmi[1], m.st.cnmi[3]
	raw := append(encodeSMSC(m.sim.smsc), in.tpdu...)
	if mti(in.tpdu) == 2 { // status report
		switch ds {
		case 1:
			m.indicate(mode, func() {
				if m.st.cmgf != 0 {
					f, _ := m.textBody(raw)
					m.urc("+CDS: " + f)
					return
				}
				m.urc(fmt.Sprintf("+CDS: %d", len(in.tpdu)), m.pduHex(raw))
			})
		case 2:
			s := m.stores["SR"]
			mem := m.prof.CDSIMem
			if !slices.Contains(m.prof.Storages, "SR") {
				s, mem = m.stores["SM"], "SM"
			}
			i := s.put(&slot{stat: 0, pdu: raw, tlen: len(in.tpdu)})
			if i < 0 {
				return false
			}
			m.indicate(mode, func() { m.urc(fmt.Sprintf(`+CDSI: "%s",%d`, mem, i+m.prof.IndexBase)) })
		}
		// <ds>=0: the report is not routed to the TE and is lost.
		return true
	}
	class := -1
	if msg, err := pdu.DecodeTPDU(in.tpdu); err == nil {
		if d, isDeliver := msg.(*pdu.Deliver); isDeliver {
			if c, has := d.DCS.Class(); has {
				class = c
			}
		}
	}
	// <mt>=2 routes everything but class 2 (SIM-specific, always stored);
	// <mt>=3 routes class 3 only (27.005 3.4.1).
	if (mt == 2 && class != 2) || (mt == 3 && class == 3) {
		m.indicate(mode, func() {
			if m.st.cmgf != 0 {
				f, body := m.textBody(raw)
				m.urc("+CMT: "+f, body)
				return
			}
			alpha := m.prof.CMGRAlpha
			if alpha == "-" {
				alpha = ""
			}
			m.urc(fmt.Sprintf("+CMT: %s,%d", alpha, len(in.tpdu)), m.pduHex(raw))
		})
		if m.st.csms == 1 {
			m.st.ackWait = &ackWait{in: in}
			aw := m.st.ackWait
			m.after(m.opts.AckTimeout, func() {
				if m.st.ackWait != aw {
					return
				}
				// No +CNMA: the ME rejects the message towards the
				// network and turns routing off (27.005 3.4.4); the
				// network keeps the message for a later attempt.
				m.st.ackWait = nil
				m.st.cnmi[1], m.st.cnmi[3] = 0, 0
				m.pending = append([]inbound{in}, m.pending...)
			})
			return true
		}
		if in.onDelivered != nil {
			in.onDelivered()
		}
		return true
	}
	memName := m.st.cpms[2]
	s := m.mem(memName)
	i := s.put(&slot{stat: 0, pdu: raw, tlen: len(in.tpdu)})
	if i < 0 {
		return false // memory capacity exceeded: the network retries later
	}
	if mt != 0 {
		m.indicate(mode, func() {
			line := fmt.Sprintf(`+CMTI: "%s",%d`, memName, i+m.prof.IndexBase)
			m.urc(line)
			if m.prof.DuplicateCMTI {
				m.urc(line)
			}
		})
	}
	if in.onDelivered != nil {
		in.onDelivered()
	}
	return true
}

// indicate emits an indication per CNMI <mode>: 0 keeps it in the TA
// buffer (flushed when <mode> becomes 1-3), 1 drops it while the link is
// reserved, 2 buffers it until the link is free, 3 forwards it regardless.
func (m *Modem) indicate(mode int, f func()) {
	switch mode {
	case 0:
		if len(m.st.tabuf) < 64 {
			m.st.tabuf = append(m.st.tabuf, f)
		}
		return
	case 1:
		if m.linkReserved() {
			return
		}
	case 2:
		if m.linkReserved() {
			m.st.held = append(m.st.held, f)
			return
		}
	}
	f()
}
