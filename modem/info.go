package modem

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"smsgw/modem/at"
)

// Identity is who the modem and its SIM are. Fields a device does not
// report are "".
type Identity struct {
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Revision     string `json:"revision"`
	IMEI         string `json:"imei"`
	IMSI         string `json:"imsi"`
	ICCID        string `json:"iccid"`
	// Number is the SIM's own number from AT+CNUM, where the SIM has it.
	Number string `json:"number,omitempty"`
}

// Identity reads (once, then from cache until a modem reset) the device and
// SIM identity:
//
//	-> AT+CGMI  <- SIMCOM_Ltd / OK          (a "+CGMI: " prefix is dropped)
//	-> AT+CGMM  <- SIM800 / OK
//	-> AT+CGMR  <- Revision:1418B04SIM800L24 / OK
//	-> AT+CGSN  <- 867856033528498 / OK
//	-> AT+CIMI  <- 262011234567890 / OK
//	-> AT+CCID  <- 89490200001234567890 / OK (vendor variants: AT^ICCID?,
//	              AT+QCCID, AT+ICCID, AT+CICCID, AT#CCID, then the SIM file
//	              itself with AT+CRSM=176,12258,0,0,10)
//	-> AT+CNUM  <- +CNUM: "","+491701234567",145 / OK
//
// Only a closed port is an error; a field the modem refuses stays "".
func (m *Modem) Identity(ctx context.Context) (Identity, error) {
	m.mu.Lock()
	if m.ident != nil {
		id := *m.ident
		m.mu.Unlock()
		return id, nil
	}
	m.mu.Unlock()
	var id Identity
	one := func(cmd, prefix string) (string, error) {
		lines, err := m.e.Exec(ctx, cmd)
		if err != nil {
			if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
				return "", err
			}
			return "", nil
		}
		for _, l := range lines {
			if v := plain(l, prefix); v != "" {
				return v, nil
			}
		}
		return "", nil
	}
	var err error
	if id.Manufacturer, err = one("AT+CGMI", "+CGMI"); err != nil {
		return id, err
	}
	if id.Model, err = one("AT+CGMM", "+CGMM"); err != nil {
		return id, err
	}
	if id.Revision, err = one("AT+CGMR", "+CGMR"); err != nil {
		return id, err
	}
	id.Revision = strings.TrimSpace(strings.TrimPrefix(id.Revision, "Revision:"))
	imei, err := one("AT+CGSN", "+CGSN")
	if err != nil {
		return id, err
	}
	id.IMEI = digitsIn([]string{imei}, 14)
	imsi, err := one("AT+CIMI", "+CIMI")
	if err != nil {
		return id, err
	}
	id.IMSI = digitsIn([]string{imsi}, 6)
	if id.ICCID, err = m.iccid(ctx); err != nil {
		return id, err
	}
	if id.Number, err = m.ownNumber(ctx); err != nil {
		return id, err
	}
	m.mu.Lock()
	m.ident = &id
	m.mu.Unlock()
	return id, nil
}

func (m *Modem) iccid(ctx context.Context) (string, error) {
	m.mu.Lock()
	known, v := m.iccidCmd, m.vendor
	m.mu.Unlock()
	cmds := []string{"AT+CCID", "AT^ICCID?", "AT+QCCID", "AT+ICCID", "AT+CICCID", "AT#CCID"}
	first := map[vendor]string{vendorHuawei: "AT^ICCID?", vendorQuectel: "AT+QCCID", vendorSIMCom: "AT+CICCID", vendorTelit: "AT#CCID", vendorSierra: "AT+CCID"}[v]
	if known != "" {
		cmds = []string{known}
	} else if first != "" {
		cmds = append([]string{first}, cmds...)
	}
	cmds = append(cmds, "AT+CRSM=176,12258,0,0,10")
	seen := map[string]bool{}
	for _, c := range cmds {
		if seen[c] {
			continue
		}
		seen[c] = true
		lines, err := m.e.Exec(ctx, c)
		if err != nil {
			if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
				return "", err
			}
			continue
		}
		if strings.HasPrefix(c, "AT+CRSM") {
			a, _ := find(lines, "+CRSM")
			f := fields(a)
			if len(f) < 3 || f[0] != "144" {
				continue
			}
			lines = []string{f[2]}
		}
		if id := iccidIn(lines, strings.HasPrefix(c, "AT+CRSM")); id != "" {
			m.mu.Lock()
			m.iccidCmd = c
			m.mu.Unlock()
			return id, nil
		}
	}
	return "", nil
}

func (m *Modem) ownNumber(ctx context.Context) (string, error) {
	lines, err := m.e.Exec(ctx, "AT+CNUM")
	if err != nil {
		if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
			return "", err
		}
		return "", nil
	}
	for _, l := range lines {
		if a, ok := args(l, "+CNUM"); ok {
			if f := fields(a); len(f) >= 2 && f[1] != "" {
				return f[1], nil
			}
		}
	}
	return "", nil
}

// SIMState returns the SIM state as AT+CPIN? reports it: "READY", "SIM PIN",
// "SIM PUK", ..., or an error wrapping ErrNoSIM.
func (m *Modem) SIMState(ctx context.Context) (string, error) {
	return m.simState(ctx)
}

// Signal is the radio signal. Values the modem does not know are nil.
type Signal struct {
	// RSSI and BER are the raw AT+CSQ values (99: unknown).
	RSSI int `json:"rssi"`
	BER  int `json:"ber"`
	// DBm is RSSI converted (-113 + 2*rssi; 0 means <= -113, 31 >= -51).
	DBm *int `json:"dbm"`
	// From AT+CESQ where supported (LTE: RSRP/RSRQ, UMTS: RSCP).
	RSRP *int     `json:"rsrp_dbm,omitempty"`
	RSRQ *float64 `json:"rsrq_db,omitempty"`
	RSCP *int     `json:"rscp_dbm,omitempty"`
}

// Signal reads the signal quality:
//
//	-> AT+CSQ   <- +CSQ: 20,99 / OK            -> -73 dBm
//	-> AT+CESQ  <- +CESQ: 99,99,255,255,20,80 / OK   (once refused, never asked again)
func (m *Modem) Signal(ctx context.Context) (Signal, error) {
	s := Signal{RSSI: 99, BER: 99}
	lines, err := m.query(ctx, "AT+CSQ", "+CSQ")
	if err != nil {
		return s, fmt.Errorf("signal: %w", err)
	}
	a, ok := find(lines, "+CSQ")
	if !ok {
		return s, fmt.Errorf("signal: no +CSQ line in %q", lines)
	}
	f := fields(a)
	if n, ok := atoi(f[0]); ok {
		s.RSSI = n
		if n >= 0 && n <= 31 {
			d := -113 + 2*n
			s.DBm = &d
		}
	}
	if len(f) > 1 {
		if n, ok := atoi(f[1]); ok {
			s.BER = n
		}
	}
	m.mu.Lock()
	cesq := m.cesq
	m.mu.Unlock()
	if cesq >= 0 {
		lines, err := m.query(ctx, "AT+CESQ", "+CESQ")
		switch {
		case err == nil:
			m.setCESQ(1)
			if a, ok := find(lines, "+CESQ"); ok {
				f := fields(a)
				if len(f) >= 6 {
					if n, ok := atoi(f[2]); ok && n >= 0 && n <= 96 {
						v := -121 + n
						s.RSCP = &v
					}
					if n, ok := atoi(f[4]); ok && n >= 0 && n <= 34 {
						v := -20 + 0.5*float64(n)
						s.RSRQ = &v
					}
					if n, ok := atoi(f[5]); ok && n >= 0 && n <= 97 {
						v := -141 + n
						s.RSRP = &v
					}
				}
			}
		case errors.Is(err, at.ErrClosed):
			return s, err
		case !errors.Is(err, at.ErrTimeout) && !errors.Is(err, at.ErrBusy) && ctx.Err() == nil:
			m.setCESQ(-1)
		}
	}
	return s, nil
}

func (m *Modem) setCESQ(v int) { m.mu.Lock(); m.cesq = v; m.mu.Unlock() }

// Registration is the network registration state (27.007 +CREG/+CEREG).
type Registration struct {
	// Stat is the raw <stat>: 0 not registered, 1 home, 2 searching,
	// 3 denied, 4 unknown, 5 roaming, 6/7 SMS-only home/roaming, 8 emergency
	// only, 9/10 CSFB not preferred home/roaming. -1 when unknown.
	Stat       int    `json:"stat"`
	State      string `json:"state"`
	Registered bool   `json:"registered"`
	Roaming    bool   `json:"roaming"`
	// Source is "CREG" (circuit switched, 2G/3G) or "CEREG" (EPS, LTE).
	Source string `json:"source"`
	LAC    string `json:"lac,omitempty"`
	CI     string `json:"ci,omitempty"`
	// AcT is the access technology (0 GSM, 2 UTRAN, 7 E-UTRAN...), -1 if absent.
	AcT int `json:"act"`
}

var statNames = []string{"not-registered", "home", "searching", "denied", "unknown", "roaming",
	"home-sms-only", "roaming-sms-only", "emergency-only", "home-csfb-not-preferred", "roaming-csfb-not-preferred"}

func newRegistration(source string, stat int, rest []string) Registration {
	r := Registration{Stat: stat, Source: source, AcT: -1, State: "unknown"}
	if stat >= 0 && stat < len(statNames) {
		r.State = statNames[stat]
	}
	switch stat {
	case 1, 5, 6, 7, 9, 10:
		r.Registered = true
	}
	switch stat {
	case 5, 7, 10:
		r.Roaming = true
	}
	if len(rest) >= 2 {
		r.LAC, r.CI = rest[0], rest[1]
	}
	if len(rest) >= 3 {
		if n, ok := atoi(rest[2]); ok {
			r.AcT = n
		}
	}
	return r
}

// parseRegistration reads a solicited reply ("+CREG: <n>,<stat>[,...]").
func parseRegistration(source, a string) (Registration, bool) {
	f := fields(a)
	if len(f) < 2 {
		return Registration{}, false
	}
	stat, ok := atoi(f[1])
	if !ok {
		return Registration{}, false
	}
	return newRegistration(source, stat, f[2:]), true
}

// parseRegistrationURC reads an unsolicited one ("+CREG: <stat>[,...]").
func parseRegistrationURC(source, a string) (Registration, bool) {
	f := fields(a)
	stat, ok := atoi(f[0])
	if !ok {
		return Registration{}, false
	}
	return newRegistration(source, stat, f[1:]), true
}

// Registration reads circuit-switched and EPS registration and returns the
// more useful of the two (a registered one; EPS when both are):
//
//	-> AT+CREG?   <- +CREG: 1,1 / OK
//	-> AT+CEREG?  <- +CEREG: 1,5 / OK   (errors ignored: 2G modems lack it)
func (m *Modem) Registration(ctx context.Context) (Registration, error) {
	best := Registration{Stat: -1, State: "unknown", AcT: -1}
	for _, q := range []struct{ cmd, prefix, src string }{
		{"AT+CREG?", "+CREG", "CREG"}, {"AT+CEREG?", "+CEREG", "CEREG"},
	} {
		// Not a query with Expect: some devices answer a bare OK here.
		lines, err := m.e.Exec(ctx, q.cmd)
		if err != nil {
			// A refusal (2G modems lack +CEREG) is skipped; silence, a
			// busy port or a closed one is not an answer.
			if errors.Is(err, at.ErrClosed) || errors.Is(err, at.ErrTimeout) || errors.Is(err, at.ErrBusy) || ctx.Err() != nil {
				return best, fmt.Errorf("registration: %w", err)
			}
			continue
		}
		a, ok := find(lines, q.prefix)
		if !ok {
			continue
		}
		r, ok := parseRegistration(q.src, a)
		if !ok {
			continue
		}
		if best.Stat < 0 || (r.Registered && (!best.Registered || q.src == "CEREG")) {
			best = r
		}
	}
	return best, nil
}

// Operator is the network operator the modem is on.
type Operator struct {
	// Mode: 0 automatic, 1 manual, 2 deregistered, 4 manual/automatic.
	Mode int `json:"mode"`
	// Name in the format the modem gave (long alphanumeric after init's
	// AT+COPS=3,0; numeric MCCMNC on some devices); "" when not registered.
	Name string `json:"name"`
	AcT  int    `json:"act"`
}

// Operator reads the operator:
//
//	-> AT+COPS?   <- +COPS: 0,0,"Telekom.de",7 / OK
func (m *Modem) Operator(ctx context.Context) (Operator, error) {
	op := Operator{AcT: -1}
	lines, err := m.query(ctx, "AT+COPS?", "+COPS")
	if err != nil {
		return op, fmt.Errorf("operator: %w", err)
	}
	a, ok := find(lines, "+COPS")
	if !ok {
		return op, nil
	}
	f := fields(a)
	op.Mode, _ = atoi(f[0])
	if len(f) >= 3 {
		op.Name = f[2]
	}
	if len(f) >= 4 {
		if n, ok := atoi(f[3]); ok {
			op.AcT = n
		}
	}
	return op, nil
}

// StorageStatus is the use of the message storage.
type StorageStatus struct {
	Storage string `json:"storage"`
	Used    int    `json:"used"`
	Total   int    `json:"total"`
}

// Storage reads the use of the receive storage:
//
//	-> AT+CPMS?   <- +CPMS: "SM",3,20,"SM",3,20,"SM",3,20 / OK
func (m *Modem) Storage(ctx context.Context) (StorageStatus, error) {
	lines, err := m.query(ctx, "AT+CPMS?", "+CPMS")
	if err != nil {
		return StorageStatus{}, fmt.Errorf("storage: %w", err)
	}
	a, ok := find(lines, "+CPMS")
	if !ok {
		return StorageStatus{}, fmt.Errorf("storage: no +CPMS line in %q", lines)
	}
	f := fields(a)
	st := StorageStatus{}
	if len(f) >= 3 {
		st.Storage = f[0]
		st.Used, _ = atoi(f[1])
		st.Total, _ = atoi(f[2])
	}
	return st, nil
}
