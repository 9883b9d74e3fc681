package sim

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"smsgw/modem/pdu"
)

// args splits a parameter list on commas outside quotes and unquotes each
// element; quoted reports which were quoted.
func args(s string) (vals []string, quoted []bool) {
	var cur strings.Builder
	inq, q := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inq = !inq
			q = true
		case c == ',' && !inq:
			vals = append(vals, strings.TrimSpace(cur.String()))
			quoted = append(quoted, q)
			cur.Reset()
			q = false
		default:
			cur.WriteByte(c)
		}
	}
	vals = append(vals, strings.TrimSpace(cur.String()))
	quoted = append(quoted, q)
	return vals, quoted
}

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

// smsCommands need an unlocked SIM and a ready SMS service.
var smsCommands = map[string]bool{
	"+CPMS": true, "+CMGL": true, "+CMGR": true, "+CMGD": true, "+CMGS": true, "+CMGW": true,
	"+CMSS": true, "+CNMI": true, "+CSCA": true, "+CSMP": true, "+CNMA": true, "+CMMS": true,
	"+CSMS": true,
}

// pinFree commands work while the SIM is locked.
var pinFree = map[string]bool{
	"E": true, "V": true, "Q": true, "Z": true, "I": true, "&F": true, "&W": true, "&C": true,
	"&D": true, "X": true, "H": true, "+CPIN": true, "+CMEE": true, "+CGMI": true, "+GMI": true,
	"+CGMM": true, "+GMM": true, "+CGMR": true, "+GMR": true, "+CGSN": true, "+GSN": true,
	"+CFUN": true, "+CSQ": true, "^CURC": true, "+CLAC": true, "+CMGF": true, "+CSCS": true,
	"+GCAP": true, "+CREG": true, "+CGREG": true, "+CEREG": true, "+CPINR": true, "^CPIN": true,
	"+CPINC": true, "+IPR": true, "+IFC": true, "+ICF": true,
}

// dispatch runs one command.
func (m *Modem) dispatch(c command) ([]string, result) {
	if strings.HasPrefix(c.name, "S") && len(c.name) > 1 && c.name[1] >= '0' && c.name[1] <= '9' {
		if c.op == "?" {
			return []string{"000"}, ok
		}
		return nil, ok
	}
	if m.sim.pinState != "READY" && !pinFree[c.name] {
		if smsCommands[c.name] {
			if strings.HasPrefix(m.sim.pinState, "SIM PUK") {
				return nil, cms(316)
			}
			return nil, cms(311)
		}
		if _, known := handlers[c.name]; known || hasKey(m.prof.ICCIDCommands, c.name) {
			if strings.HasPrefix(m.sim.pinState, "SIM PUK") {
				return nil, cme(12)
			}
			return nil, cme(11)
		}
	}
	if smsCommands[c.name] && !m.st.ready && c.op != "=?" {
		return nil, textResult(m.prof.NotReady)
	}
	if h, found := handlers[c.name]; found {
		return h(m, c)
	}
	if p, isICCID := m.prof.ICCIDCommands[c.name]; isICCID {
		if c.op == "=?" {
			return nil, ok
		}
		return []string{p + m.opts.ICCID}, ok
	}
	return nil, textResult(m.prof.Unknown)
}

func hasKey(mp map[string]string, k string) bool { _, ok := mp[k]; return ok }

type handler func(m *Modem, c command) ([]string, result)

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"E": func(m *Modem, c command) ([]string, result) {
			return m.flag(c.arg, func(v bool) { m.st.echo = v })
		},
		"V": func(m *Modem, c command) ([]string, result) {
			return m.flag(c.arg, func(v bool) { m.st.verbose = v })
		},
		"Q": func(m *Modem, c command) ([]string, result) {
			return m.flag(c.arg, func(v bool) { m.st.quiet = v })
		},
		"Z": func(m *Modem, c command) ([]string, result) {
			m.resetProfile()
			return nil, ok
		},
		"&F": func(m *Modem, c command) ([]string, result) {
			m.resetProfile()
			return nil, ok
		},
		"&W": simple, "&C": simple, "&D": simple, "X": simple, "H": simple, "+IFC": simple,
		"+ICF": simple, "+IPR": simple, "+CSCB": simple, "+CSDH": simple,
		"+CGATT": func(m *Modem, c command) ([]string, result) {
			switch c.op {
			case "?":
				v := 0
				if m.registered() {
					v = 1
				}
				return []string{fmt.Sprintf("+CGATT: %d", v)}, ok
			case "=?":
				return []string{"+CGATT: (0,1)"}, ok
			}
			return nil, ok
		},
		"+CLIP": func(m *Modem, c command) ([]string, result) {
			switch c.op {
			case "?":
				return []string{"+CLIP: 0,1"}, ok
			case "=?":
				return []string{"+CLIP: (0,1)"}, ok
			}
			return nil, ok
		},
		"+CBC": func(m *Modem, c command) ([]string, result) {
			if c.op == "=?" {
				return []string{"+CBC: (0-2),(0-100)"}, ok
			}
			return []string{"+CBC: 0,100,4200"}, ok // powered from USB
		},
		"+CPBS": (*Modem).cpbs,
		"+CPBR": func(m *Modem, c command) ([]string, result) {
			if c.op == "=?" {
				return []string{"+CPBR: (1-250),40,18"}, ok
			}
			return nil, ok // every entry is empty
		},
		"+CRC": func(m *Modem, c command) ([]string, result) {
			if c.op == "?" {
				return []string{"+CRC: 0"}, ok
			}
			return nil, ok
		},
		"^PORTSEL": func(m *Modem, c command) ([]string, result) {
			if m.prof.Vendor != "huawei" {
				return nil, textResult(m.prof.Unknown)
			}
			switch c.op {
			case "?":
				return []string{"^PORTSEL: 0"}, ok
			case "=?":
				return []string{"^PORTSEL: (0-1)"}, ok
			}
			return nil, ok
		},
		"I": func(m *Modem, c command) ([]string, result) {
			var out []string
			for _, l := range m.prof.ATI {
				if strings.Contains(l, "%s") {
					l = fmt.Sprintf(l, m.opts.IMEI)
				}
				out = append(out, l)
			}
			return out, ok
		},
		"D": func(m *Modem, c command) ([]string, result) { return nil, textResult("NO CARRIER") },
		"+CMEE": func(m *Modem, c command) ([]string, result) {
			return m.intSetting(c, "+CMEE", &m.st.cmee, 0, 2, "(0-2)")
		},
		"+CMGF": func(m *Modem, c command) ([]string, result) {
			return m.intSetting(c, "+CMGF", &m.st.cmgf, 0, 1, "(0,1)")
		},
		"+CGMI": ident(func(m *Modem) string { return m.prof.Manufacturer }),
		"+GMI":  ident(func(m *Modem) string { return m.prof.Manufacturer }),
		"+CGMM": ident(func(m *Modem) string { return m.prof.Model }),
		"+GMM":  ident(func(m *Modem) string { return m.prof.Model }),
		"+CGMR": ident(func(m *Modem) string { return m.prof.Revision }),
		"+GMR":  ident(func(m *Modem) string { return m.prof.Revision }),
		"+CGSN": ident(func(m *Modem) string { return m.opts.IMEI }),
		"+GSN":  ident(func(m *Modem) string { return m.opts.IMEI }),
		"+CIMI": ident(func(m *Modem) string { return m.opts.IMSI }),
		"+GCAP": func(m *Modem, c command) ([]string, result) { return []string{"+GCAP: +CGSM"}, ok },
		"+CNUM": func(m *Modem, c command) ([]string, result) {
			if c.op == "=?" {
				return nil, ok
			}
			toa := 129
			if strings.HasPrefix(m.opts.Number, "+") {
				toa = 145
			}
			return []string{fmt.Sprintf(`+CNUM: "","%s",%d`, m.str(m.opts.Number), toa)}, ok
		},
		"+CPIN":  (*Modem).cpin,
		"+CSQ":   (*Modem).csq,
		"+CESQ":  (*Modem).cesq,
		"+CREG":  func(m *Modem, c command) ([]string, result) { return m.regCmd(c, "+CREG", &m.st.creg) },
		"+CGREG": func(m *Modem, c command) ([]string, result) { return m.regCmd(c, "+CGREG", &m.st.cgreg) },
		"+CEREG": func(m *Modem, c command) ([]string, result) {
			if m.prof.AcT != 7 {
				return nil, textResult(m.prof.Unknown)
			}
			return m.regCmd(c, "+CEREG", &m.st.cereg)
		},
		"+COPS": (*Modem).cops,
		"+CFUN": (*Modem).cfun,
		"+CSCS": func(m *Modem, c command) ([]string, result) {
			switch c.op {
			case "=?":
				return []string{`+CSCS: ("IRA","GSM","UCS2")`}, ok
			case "?":
				return []string{`+CSCS: "` + m.st.cscs + `"`}, ok
			case "=":
				v, _ := args(c.arg)
				switch s := strings.ToUpper(v[0]); s {
				case "IRA", "GSM", "UCS2":
					m.st.cscs = s
					return nil, ok
				}
				return nil, cme(4)
			}
			return nil, errResult()
		},
		"+CSMS":  (*Modem).csms,
		"+CPMS":  (*Modem).cpms,
		"+CSCA":  (*Modem).csca,
		"+CSMP":  (*Modem).csmpCmd,
		"+CNMI":  (*Modem).cnmiCmd,
		"+CNMA":  (*Modem).cnma,
		"+CMMS":  (*Modem).cmmsCmd,
		"+CMGS":  (*Modem).cmgs,
		"+CMGW":  (*Modem).cmgw,
		"+CMSS":  (*Modem).cmss,
		"+CMGL":  (*Modem).cmgl,
		"+CMGR":  (*Modem).cmgr,
		"+CMGD":  (*Modem).cmgd,
		"+CUSD":  (*Modem).cusd,
		"^CURC":  (*Modem).curcCmd,
		"+CLAC":  (*Modem).clac,
		"+CPINR": (*Modem).cpinr,
		"+CRSM":  (*Modem).crsm,
		"+ZPAS": func(m *Modem, c command) ([]string, result) {
			if m.prof.Vendor != "zte" {
				return nil, textResult(m.prof.Unknown)
			}
			return []string{`+BEARTYPE: "UMTS","CS_PS"`}, ok
		},
		"+CVHU": func(m *Modem, c command) ([]string, result) {
			if m.prof.Vendor == "zte" && c.op == "=" {
				return []string{"+CVHU: (0-1)"}, ok // answers a set with the range
			}
			if c.op == "?" {
				return []string{"+CVHU: 0"}, ok
			}
			return nil, ok
		},
	}
}

func simple(m *Modem, c command) ([]string, result) { return nil, ok }

func ident(f func(m *Modem) string) handler {
	return func(m *Modem, c command) ([]string, result) {
		if c.op == "=?" {
			return nil, ok
		}
		v := f(m)
		if v == "" {
			return nil, errResult()
		}
		return []string{v}, ok
	}
}

func (m *Modem) flag(arg string, set func(bool)) ([]string, result) {
	switch arg {
	case "", "0":
		set(false)
	case "1":
		set(true)
	default:
		return nil, errResult()
	}
	return nil, ok
}

func (m *Modem) resetProfile() {
	p := m.prof
	m.st.echo, m.st.verbose, m.st.quiet, m.st.cmee = true, true, false, 0
	m.st.cnmi = p.DefaultCNMI
	m.st.cmgf = 0
}

func (m *Modem) intSetting(c command, name string, p *int, lo, hi int, rng string) ([]string, result) {
	switch c.op {
	case "=?":
		return []string{name + ": " + rng}, ok
	case "?":
		return []string{fmt.Sprintf("%s: %d", name, *p)}, ok
	case "=":
		v, good := atoi(c.arg)
		if !good || v < lo || v > hi {
			if name == "+CMGF" {
				return nil, cms(304)
			}
			return nil, cme(50)
		}
		*p = v
		return nil, ok
	}
	return nil, ok
}

func (m *Modem) cpin(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return nil, ok
	case "?":
		state := m.sim.pinState
		if state == "SIM PUK BLOCKED" {
			return nil, cme(13)
		}
		if m.prof.CPINNoOK && state == "READY" {
			return []string{"+CPIN: READY"}, result{kind: rNone}
		}
		return []string{"+CPIN: " + state}, ok
	case "=":
		v, _ := args(c.arg)
		switch m.sim.pinState {
		case "READY":
			return nil, cme(3)
		case "SIM PIN":
			if v[0] != m.sim.pin {
				m.sim.pinLeft--
				if m.sim.pinLeft == 0 {
					m.sim.pinState = "SIM PUK"
					m.after(0, func() { m.urc("+CPIN: SIM PUK") })
				}
				return nil, cme(16)
			}
			m.sim.pinLeft = 3
		case "SIM PUK":
			if len(v) < 2 || v[0] != m.opts.PUK {
				m.sim.pukLeft--
				if m.sim.pukLeft == 0 {
					m.sim.pinState = "SIM PUK BLOCKED"
				}
				return nil, cme(16)
			}
			m.sim.pin = v[1]
			m.sim.pinLeft, m.sim.pukLeft = 3, 10
		default:
			return nil, cme(13)
		}
		m.sim.pinState = "READY"
		// The SIM reports READY and finishes its initialisation after
		// the OK, as SIMCom and Quectel do.
		gen := m.gen
		m.post(func() {
			if m.gen != gen {
				return
			}
			if slices.ContainsFunc(m.prof.BootURCs, func(s string) bool { return strings.HasPrefix(s, "+CPIN:") }) {
				m.urc("+CPIN: READY")
			}
			m.simReady()
		})
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) cpinr(c command) ([]string, result) {
	return []string{
		fmt.Sprintf("+CPINR: SIM PIN,%d,3", m.sim.pinLeft),
		fmt.Sprintf("+CPINR: SIM PUK,%d,10", m.sim.pukLeft),
	}, ok
}

func (m *Modem) csq(c command) ([]string, result) {
	if c.op == "=?" {
		return []string{"+CSQ: (0-31,99),(0-7,99)"}, ok
	}
	rssi := m.opts.RSSI
	if m.st.cfun != 1 || !m.registered() && m.reg != 2 {
		rssi = 99
	}
	return []string{fmt.Sprintf("+CSQ: %d,99", rssi)}, ok
}

func (m *Modem) cesq(c command) ([]string, result) {
	if !m.prof.CESQ {
		return nil, textResult(m.prof.Unknown)
	}
	if c.op == "=?" {
		return []string{"+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)"}, ok
	}
	// LTE-only values: RSRQ and RSRP derived from the RSSI setting.
	rsrp := 255
	rsrq := 255
	if m.registered() {
		rsrp = min(97, m.opts.RSSI*3)
		rsrq = min(34, m.opts.RSSI)
	}
	return []string{fmt.Sprintf("+CESQ: 99,99,255,255,%d,%d", rsrq, rsrp)}, ok
}

func (m *Modem) registered() bool { return m.st.cfun == 1 && (m.reg == 1 || m.reg == 5) }

func (m *Modem) regStat() int {
	if m.st.cfun != 1 {
		return 0
	}
	return m.reg
}

func (m *Modem) regCmd(c command, name string, n *int) ([]string, result) {
	switch c.op {
	case "=?":
		return []string{name + ": (0-2)"}, ok
	case "?":
		s := fmt.Sprintf("%s: %d,%d", name, *n, m.regStat())
		if *n == 2 && m.registered() {
			s += fmt.Sprintf(`,"00C3","0012ABCD",%d`, m.prof.AcT)
		}
		return []string{s}, ok
	case "=":
		v, good := atoi(c.arg)
		if !good || v < 0 || v > 2 {
			return nil, cme(50)
		}
		*n = v
		return nil, ok
	}
	return nil, errResult()
}

// regURC reports a registration change where enabled.
func (m *Modem) regURC() {
	for _, r := range []struct {
		name string
		n    int
	}{{"+CREG", m.st.creg}, {"+CGREG", m.st.cgreg}, {"+CEREG", m.st.cereg}} {
		switch r.n {
		case 1:
			m.urc(fmt.Sprintf("%s: %d", r.name, m.regStat()))
		case 2:
			s := fmt.Sprintf("%s: %d", r.name, m.regStat())
			if m.registered() {
				s += fmt.Sprintf(`,"00C3","0012ABCD",%d`, m.prof.AcT)
			}
			m.urc(s)
		}
	}
}

func (m *Modem) cops(c command) ([]string, result) {
	op := m.net.opts
	switch c.op {
	case "=?":
		return []string{fmt.Sprintf(`+COPS: (2,"%s","%s","%s",%d),,(0-4),(0-2)`, m.str(op.Operator), m.str(op.Operator), op.MCCMNC, m.prof.AcT)}, ok
	case "?":
		if !m.registered() {
			return []string{"+COPS: 0"}, ok
		}
		name := m.str(op.Operator)
		if m.st.copsFormat == 2 {
			name = op.MCCMNC
		}
		return []string{fmt.Sprintf(`+COPS: 0,%d,"%s",%d`, m.st.copsFormat, name, m.prof.AcT)}, ok
	case "=":
		v, _ := args(c.arg)
		mode, good := atoi(v[0])
		if !good || mode < 0 || mode > 4 {
			return nil, cme(50)
		}
		if mode == 3 && len(v) > 1 {
			f, good := atoi(v[1])
			if !good || f < 0 || f > 2 {
				return nil, cme(50)
			}
			m.st.copsFormat = f
		}
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) cfun(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return []string{"+CFUN: (0,1,4),(0,1)"}, ok
	case "?":
		if m.prof.CFUNTestForm {
			return []string{"+CFUN: (0-1,4-7),(0-1)"}, ok
		}
		return []string{fmt.Sprintf("+CFUN: %d", m.st.cfun)}, ok
	case "=":
		v, _ := args(c.arg)
		fun, good := atoi(v[0])
		if !good || (fun != 0 && fun != 1 && fun != 4) {
			return nil, cme(50)
		}
		rst := len(v) > 1 && strings.TrimSpace(v[1]) == "1"
		if rst {
			// Answer OK, then reboot: banners again, volatile state lost.
			m.post(func() { m.powerUp() })
			return nil, ok
		}
		was := m.st.cfun
		m.st.cfun = fun
		if was != fun {
			// Registration changes are reported after the OK.
			m.after(0, func() {
				m.regURC()
				m.flushPending()
			})
		}
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) csms(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return []string{"+CSMS: (0,1)"}, ok
	case "?":
		return []string{fmt.Sprintf("+CSMS: %d,1,1,1", m.st.csms)}, ok
	case "=":
		v, good := atoi(c.arg)
		if !good || v < 0 || v > 1 {
			return nil, cms(303)
		}
		m.st.csms = v
		return []string{"+CSMS: 1,1,1"}, ok
	}
	return nil, errResult()
}

// memName maps a CPMS memory name to the store that backs it.
func (m *Modem) mem(name string) *store {
	if name == "MT" {
		name = "SM"
	}
	return m.stores[name]
}

func (m *Modem) cpms(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return []string{m.prof.CPMSTest}, ok
	case "?":
		var parts []string
		for _, n := range m.st.cpms {
			s := m.mem(n)
			parts = append(parts, fmt.Sprintf(`"%s",%d,%d`, n, s.used(), len(s.slots)))
		}
		return []string{"+CPMS: " + strings.Join(parts, ",")}, ok
	case "=":
		v, _ := args(c.arg)
		if len(v) > m.prof.CPMSMaxArgs {
			return nil, errResult()
		}
		next := m.st.cpms
		for i, n := range v {
			n = strings.ToUpper(n)
			if !slices.Contains(m.prof.Storages, n) || m.mem(n) == nil || len(m.mem(n).slots) == 0 {
				return nil, cms(302)
			}
			next[i] = n
		}
		m.st.cpms = next
		var parts []string
		for i := range v {
			s := m.mem(next[i])
			parts = append(parts, fmt.Sprintf("%d,%d", s.used(), len(s.slots)))
		}
		if m.prof.CPMSMaxArgs == 3 {
			// The standard answer has all three pairs; Wavecom gives
			// only the pairs of the memories it was given.
			for i := len(v); i < 3; i++ {
				s := m.mem(next[i])
				parts = append(parts, fmt.Sprintf("%d,%d", s.used(), len(s.slots)))
			}
		}
		return []string{"+CPMS: " + strings.Join(parts, ",")}, ok
	}
	return nil, errResult()
}

func (m *Modem) csca(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return nil, ok
	case "?":
		toa := 129
		if strings.HasPrefix(m.sim.smsc, "+") {
			toa = 145
		}
		return []string{fmt.Sprintf(`+CSCA: "%s",%d`, m.str(m.sim.smsc), toa)}, ok
	case "=":
		v, _ := args(c.arg)
		smsc, good := m.unstr(v[0])
		if !good {
			return nil, cms(304)
		}
		m.sim.smsc = smsc
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) csmpCmd(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return nil, ok
	case "?":
		p := m.st.csmp
		return []string{fmt.Sprintf("+CSMP: %d,%d,%d,%d", p[0], p[1], p[2], p[3])}, ok
	case "=":
		v, _ := args(c.arg)
		for i := 0; i < len(v) && i < 4; i++ {
			if v[i] == "" {
				continue
			}
			n, good := atoi(v[i])
			if !good || n < 0 || n > 255 {
				return nil, cms(304)
			}
			m.st.csmp[i] = n
		}
		if m.prof.CSMPWipesSMSC {
			m.sim.smsc = ""
		}
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) cnmiCmd(c command) ([]string, result) {
	p := m.prof
	switch c.op {
	case "=?":
		return []string{p.CNMITest}, ok
	case "?":
		n := m.st.cnmi
		return []string{fmt.Sprintf("+CNMI: %d,%d,%d,%d,%d", n[0], n[1], n[2], n[3], n[4])}, ok
	case "=":
		v, _ := args(c.arg)
		if len(v) > 5 {
			return nil, cms(303)
		}
		next := m.st.cnmi
		allowed := [][]int{p.CNMIModes, p.CNMIMt, p.CNMIBm, p.CNMIDs, p.CNMIBfr}
		for i, s := range v {
			if s == "" {
				continue
			}
			n, good := atoi(s)
			if !good || !slices.Contains(allowed[i], n) {
				return nil, cms(303)
			}
			next[i] = n
		}
		if p.CNMIDsNeedsMode1 && next[3] == 1 && next[0] != 1 {
			return nil, cms(303)
		}
		m.st.cnmi = next
		if next[0] != 0 {
			// Indications kept in the TA while <mode> was 0 are flushed
			// (<bfr>=0) or cleared (<bfr>=1), 27.005 3.4.1.
			tabuf := m.st.tabuf
			m.st.tabuf = nil
			if next[4] == 0 {
				m.after(0, func() {
					for _, f := range tabuf {
						f()
					}
				})
			}
		}
		m.after(0, m.flushPending)
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) cmmsCmd(c command) ([]string, result) {
	if !m.prof.CMMS {
		return nil, textResult(m.prof.CMMSError)
	}
	switch c.op {
	case "=?":
		return []string{"+CMMS: (0-2)"}, ok
	case "?":
		return []string{fmt.Sprintf("+CMMS: %d", m.st.cmms)}, ok
	case "=":
		v, good := atoi(c.arg)
		if !good || v < 0 || v > 2 {
			return nil, cms(304)
		}
		m.st.cmms = v
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) curcCmd(c command) ([]string, result) {
	if !m.prof.CURC {
		return nil, textResult(m.prof.Unknown)
	}
	switch c.op {
	case "?":
		v := 0
		if m.st.curc {
			v = 1
		}
		return []string{fmt.Sprintf("^CURC: %d", v)}, ok
	case "=?":
		return []string{"^CURC: (0-1)"}, ok
	case "=":
		if m.prof.CURCRejected {
			return nil, textResult(m.prof.Unknown)
		}
		v, good := atoi(c.arg)
		if !good || v < 0 || v > 1 {
			return nil, cme(50)
		}
		m.st.curc = v == 1
		return nil, ok
	}
	return nil, errResult()
}

func (m *Modem) clac(c command) ([]string, result) {
	if m.prof.Name == "simcom-sim800" {
		return nil, cme(100)
	}
	names := make([]string, 0, len(handlers))
	for n := range handlers {
		if strings.HasPrefix(n, "+") || strings.HasPrefix(n, "^") {
			names = append(names, "AT"+n)
		}
	}
	slices.Sort(names)
	if m.prof.Vendor == "zte" || m.prof.Vendor == "huawei" {
		return names, ok // a bare list, no "+CLAC: " prefix
	}
	return []string{"+CLAC: " + strings.Join(names, ",")}, ok
}

func (m *Modem) cusd(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return []string{"+CUSD: (0-2)"}, ok
	case "?":
		return []string{"+CUSD: 1"}, ok
	case "=":
		v, _ := args(c.arg)
		if len(v) < 2 || v[0] == "2" {
			return nil, ok
		}
		if !m.registered() {
			return nil, cme(30)
		}
		reply := m.opts.Balance
		dcs := 15
		if m.prof.USSDEncoded {
			reply = strings.ToUpper(hex.EncodeToString(pack7(reply)))
		} else {
			reply = m.str(reply)
		}
		m.after(0, func() { m.urc(fmt.Sprintf(`+CUSD: 0,"%s",%d`, reply, dcs)) })
		return nil, ok
	}
	return nil, errResult()
}

// cpbs selects a phonebook; only the SIM ("SM") and own numbers ("ON")
// exist, both empty apart from what AT+CNUM reports.
func (m *Modem) cpbs(c command) ([]string, result) {
	switch c.op {
	case "=?":
		return []string{`+CPBS: ("SM","ON")`}, ok
	case "?":
		return []string{`+CPBS: "SM",0,250`}, ok
	case "=":
		v, _ := args(c.arg)
		switch strings.ToUpper(v[0]) {
		case "SM", "ON":
			return nil, ok
		}
		return nil, cme(3)
	}
	return nil, errResult()
}

// crsm emulates restricted SIM access (27.007 8.18) for READ BINARY of
// EF_ICCID (0x2FE2), the vendor-neutral way to read the ICCID.
func (m *Modem) crsm(c command) ([]string, result) {
	if c.op == "=?" {
		return nil, ok
	}
	v, _ := args(c.arg)
	if len(v) < 2 || v[0] != "176" {
		return nil, cme(50)
	}
	if v[1] != "12258" {
		return []string{"+CRSM: 106,130"}, ok // 6A82: file not found
	}
	id := m.opts.ICCID
	if len(id)%2 == 1 {
		id += "F"
	}
	var b strings.Builder
	for i := 0; i+1 < len(id); i += 2 {
		b.WriteByte(id[i+1])
		b.WriteByte(id[i])
	}
	return []string{fmt.Sprintf(`+CRSM: 144,0,"%s"`, b.String())}, ok
}

// str encodes a string parameter in the TE character set (AT+CSCS): with
// "UCS2" strings travel as UTF-16BE hex, as real modems print +CSCA then.
func (m *Modem) str(s string) string {
	if m.st.cscs == "UCS2" {
		return hexUpper(pdu.EncodeUCS2(s))
	}
	return s
}

// unstr decodes a string parameter sent in the TE character set.
func (m *Modem) unstr(s string) (string, bool) {
	if m.st.cscs != "UCS2" {
		return s, true
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b)%2 != 0 {
		return "", false
	}
	return pdu.DecodeUCS2(b), true
}

// pack7 packs ASCII text (the subset shared with the GSM 7-bit default
// alphabet) into septets, as Huawei sticks encode USSD strings.
func pack7(s string) []byte {
	var out []byte
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		acc |= uint32(s[i]&0x7F) << bits
		bits += 7
		for bits >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		out = append(out, byte(acc))
	}
	return out
}
