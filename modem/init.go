package modem

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/modem/at"
)

// init brings the modem from any state to the one the driver relies on:
//
//	ESC                     leave a "> " prompt a previous user left open
//	AT (until OK)           wake and sync; late answers are drained
//	ATE0                    echo off (its own reply still carries the echo)
//	AT+CMEE=1               numeric +CME/+CMS errors
//	AT+CPIN?                SIM state; AT+CPIN="<pin>" once if asked
//	AT+CGMI                 vendor, for the few family quirks
//	AT+CMGF=0               PDU mode
//	AT+CPMS=? / AT+CPMS=... storage, SIM preferred, with fallbacks
//	AT+CNMI=...             indications, with fallbacks
//	AT+CSMS?                whether +CMT/+CDS need AT+CNMA
//	AT^CURC=0               Huawei only: silence ^RSSI/^MODE/... spam
//	AT+CSCA="<smsc>",145    only when configured
//	AT+CREG=1, AT+CEREG=1   registration URCs (failures ignored)
//	AT+COPS=3,0             operator names in long alphanumeric form
//
// Commands that answer busy / not ready (+CMS 302, 314, 500, 515, 532,
// +CME 14, 515) right after power-up or PIN entry are retried every
// RetryInterval until ReadyTimeout. The caller holds the op lock.
func (m *Modem) init(ctx context.Context) error {
	if err := m.sync(ctx); err != nil {
		return err
	}
	if _, err := m.e.Exec(ctx, "ATE0"); err != nil {
		if errors.Is(err, at.ErrClosed) {
			return err
		}
		m.log.Warn("modem: ATE0 refused; echo stays on and is skipped", "err", err)
	}
	if _, err := m.e.Exec(ctx, "AT+CMEE=1"); err != nil {
		if errors.Is(err, at.ErrClosed) {
			return err
		}
		m.log.Warn("modem: AT+CMEE=1 refused; errors will be plain ERROR", "err", err)
	}
	// AT+CPIN? comes first: its reply has a known line (at.Cmd.Expect), so
	// a late answer to a sync probe cannot shift the replies after it.
	if err := m.unlockSIM(ctx); err != nil {
		if !m.cfg.NoSIMOK || errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
			return err
		}
		// Diagnostics: the device is still worth identifying.
		m.mu.Lock()
		m.setup.SIMErr = err
		m.mu.Unlock()
		m.identifyVendor(ctx)
		return nil
	}
	if err := m.identifyVendor(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	m.setup.SIMErr = nil
	m.mu.Unlock()
	return m.initSMS(ctx)
}

// identifyVendor reads AT+CGMI for the family quirks.
func (m *Modem) identifyVendor(ctx context.Context) error {
	lines, err := m.e.Exec(ctx, "AT+CGMI")
	if err == nil && len(lines) > 0 {
		mf := plain(lines[0], "+CGMI")
		m.mu.Lock()
		m.vendor = vendorOf(mf)
		m.setup.Manufacturer = mf
		m.mu.Unlock()
	}
	if errors.Is(err, at.ErrClosed) {
		return err
	}
	return nil
}

// sync writes ESC then probes with AT until one answers OK.
func (m *Modem) sync(ctx context.Context) error {
	if err := m.e.Escape(ctx); err != nil {
		return err
	}
	var last error
	for i := 0; i < m.cfg.SyncAttempts; i++ {
		_, err := m.e.Do(ctx, at.Cmd{Line: "AT", Timeout: m.cfg.RetryInterval})
		if err == nil {
			return nil
		}
		last = err
		if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
			return err
		}
		var ce *at.CommandError
		if errors.As(err, &ce) && !errors.Is(err, at.ErrTimeout) {
			// ERROR to a bare AT: garbage was in the modem's line buffer;
			// the next AT starts clean.
			continue
		}
	}
	return fmt.Errorf("%w after %d attempts: %v", ErrNoResponse, m.cfg.SyncAttempts, last)
}

// busy reports whether err is a "not ready yet" answer worth retrying.
func busy(err error) bool {
	var cms *at.CMSError
	if errors.As(err, &cms) {
		switch cms.Code {
		case 302, 314, 500, 512, 515, 532, 535:
			return true
		}
	}
	var cme *at.CMEError
	if errors.As(err, &cme) {
		switch cme.Code {
		case 14, 515:
			return true
		}
	}
	return false
}

// query runs a command whose reply always carries an information line with
// prefix; an OK before it is a late answer of an earlier command and is
// skipped (at.Cmd.Expect).
func (m *Modem) query(ctx context.Context, cmd, prefix string) ([]string, error) {
	return m.e.Do(ctx, at.Cmd{Line: cmd, Expect: prefix})
}

// execReady runs cmd, retrying while the modem answers busy.
func (m *Modem) execReady(ctx context.Context, cmd string) ([]string, error) {
	return m.execReadyExpect(ctx, cmd, "")
}

func (m *Modem) execReadyExpect(ctx context.Context, cmd, expect string) ([]string, error) {
	deadline := time.Now().Add(m.cfg.ReadyTimeout)
	for {
		lines, err := m.e.Do(ctx, at.Cmd{Line: cmd, Expect: expect})
		if err == nil || !busy(err) || time.Now().After(deadline) {
			if err != nil && busy(err) {
				return lines, fmt.Errorf("%w: %w", ErrNotReady, err)
			}
			return lines, err
		}
		if err := m.sleep(ctx, m.cfg.RetryInterval); err != nil {
			return nil, err
		}
	}
}

func (m *Modem) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-m.e.Done():
		return m.e.Err()
	}
}

// simState asks AT+CPIN? and returns the state word ("READY", "SIM PIN",
// ...). Wavecom and Sierra SL8084 answer +CPIN: READY without OK: the
// engine ends the command half a second after that line (at.Cmd.NoFinal).
func (m *Modem) simState(ctx context.Context) (string, error) {
	lines, err := m.e.Do(ctx, at.Cmd{Line: "AT+CPIN?", NoFinal: "+CPIN", Expect: "+CPIN"})
	if a, ok := find(lines, "+CPIN"); ok && (err == nil || errors.Is(err, at.ErrTimeout)) {
		return strings.ToUpper(strings.Trim(a, `"`)), nil
	}
	if err == nil {
		return "", fmt.Errorf("AT+CPIN?: no +CPIN line in %q", lines)
	}
	var cme *at.CMEError
	if errors.As(err, &cme) {
		switch cme.Code {
		case 10, 13, 15:
			return "", fmt.Errorf("%w: %w", ErrNoSIM, err)
		case 11:
			return "SIM PIN", nil
		case 12:
			return "SIM PUK", nil
		}
	}
	var cms *at.CMSError
	if errors.As(err, &cms) {
		switch cms.Code {
		case 310, 313, 315:
			return "", fmt.Errorf("%w: %w", ErrNoSIM, err)
		}
	}
	return "", err
}

// unlockSIM waits for the SIM, entering the configured PIN once if asked:
//
//	-> AT+CPIN?          <- +CPIN: SIM PIN / OK
//	-> AT+CPIN="<pin>"   <- OK            (or +CME ERROR: 16: never retried)
//	-> AT+CPIN?          <- +CPIN: READY / OK   (polled until ready)
func (m *Modem) unlockSIM(ctx context.Context) error {
	deadline := time.Now().Add(m.cfg.ReadyTimeout)
	entered := false
	for {
		state, err := m.simState(ctx)
		if err != nil && !busy(err) {
			return err
		}
		switch {
		case err != nil, state == "NOT READY", state == "":
			// SIM still initialising; ask again.
		case state == "READY":
			return nil
		case state == "SIM PIN":
			if entered {
				break // entered and accepted; the SIM is still settling
			}
			if err := m.enterPIN(ctx); err != nil {
				return err
			}
			entered = true
			continue
		case strings.Contains(state, "PUK"):
			return ErrPUKRequired
		case strings.Contains(state, "NOT INSERTED"), strings.Contains(state, "ABSENT"):
			return ErrNoSIM
		default: // PH-SIM PIN, SIM PIN2, PH-NET PIN...
			return fmt.Errorf("%w (SIM asks for %s)", ErrPINRequired, state)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: SIM state %q after %v", ErrNotReady, state, m.cfg.ReadyTimeout)
		}
		if err := m.sleep(ctx, m.cfg.RetryInterval); err != nil {
			return err
		}
	}
}

func (m *Modem) enterPIN(ctx context.Context) error {
	if m.cfg.PIN == "" {
		return ErrPINRequired
	}
	key := m.cfg.ID + "\x00" + m.cfg.PIN
	if _, bad := rejectedPINs.Load(key); bad {
		return ErrPINRejected
	}
	// A restart loop of the whole process would forget rejectedPINs: the
	// SIM's own counter is the last line of defence before its PUK lock.
	if left, ok := m.pinRetries(ctx); ok && left < 2 {
		return fmt.Errorf("%w (%d left)", ErrPINLastAttempt, left)
	}
	_, err := m.e.Exec(ctx, `AT+CPIN="`+m.cfg.PIN+`"`)
	if err == nil {
		return nil
	}
	if errors.Is(err, at.ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Anything but OK counts as a refusal, a timeout included: we cannot
	// know the PIN was not counted, and a second try could be the third.
	rejectedPINs.Store(key, true)
	return fmt.Errorf("%w: %w", ErrPINRejected, err)
}

// pinRetries asks how many PIN attempts the SIM has left, in the standard
// form and the vendor ones, first answer wins:
//
//	-> AT+CPINR     <- +CPINR: SIM PIN,3,3 / +CPINR: SIM PUK,10,10 / OK   (27.007)
//	-> AT+CPINC?    <- +CPINC: 3,3,10,10 / OK                            (Sierra)
//	-> AT+QPINC="SC" <- +QPINC: "SC",3,10 / OK                           (Quectel)
//	-> AT^CPIN?     <- ^CPIN: SIM PIN,3,10,3,10,3 / OK                   (Huawei)
//	-> AT+SPIC      <- +SPIC: 3,3,10,10 / OK                             (SIMCom)
func (m *Modem) pinRetries(ctx context.Context) (int, bool) {
	for _, q := range []struct {
		cmd, prefix string
		field       func([]string) string
	}{
		{"AT+CPINR", "+CPINR", func(f []string) string {
			if len(f) > 1 && strings.EqualFold(f[0], "SIM PIN") {
				return f[1]
			}
			return ""
		}},
		{"AT+CPINC?", "+CPINC", func(f []string) string { return f[0] }},
		{`AT+QPINC="SC"`, "+QPINC", func(f []string) string {
			if len(f) > 1 {
				return f[1]
			}
			return ""
		}},
		{"AT^CPIN?", "^CPIN", func(f []string) string {
			if len(f) > 1 && f[1] != "" {
				return f[1]
			}
			if len(f) > 3 {
				return f[3]
			}
			return ""
		}},
		{"AT+SPIC", "+SPIC", func(f []string) string { return f[0] }},
	} {
		lines, err := m.e.Exec(ctx, q.cmd)
		if err != nil {
			if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
				return 0, false
			}
			continue
		}
		for _, l := range lines {
			if a, ok := args(l, q.prefix); ok {
				if n, ok := atoi(q.field(fields(a))); ok {
					return n, true
				}
			}
		}
	}
	return 0, false
}

// CNMI settings in order of preference. <ds>=1 (+CDS straight to us) comes
// first as in ModemManager: no storage to read and delete, and it avoids the
// Quectel EC25 bug that announces +CDSI in "SM" for a report stored in "SR".
// Fallbacks exist because Qualcomm-based and Huawei devices refuse <ds>=1
// with mode 2, some refuse a fifth parameter, and a few refuse mode 2.
var cnmiStored = []string{"2,1,0,1,0", "2,1,0,2,0", "1,1,0,1,0", "1,1,0,2,0", "2,1,0,1", "2,1,0,2", "2,1,0,0,0", "1,1,0,0,0", "2,1", "1,1"}
var cnmiDirect = []string{"2,2,0,1,0", "1,2,0,1,0", "2,2,0,2,0", "2,2,0,0,0", "2,2", "1,2"}

// storage preferences for AT+CPMS: the SIM first (messages survive a modem
// swap, every family has it), then the modem's own memory.
var cpmsChoices = [][]string{
	{"SM", "SM", "SM"}, {"SM", "SM"}, {"SM"},
	{"ME", "ME", "ME"}, {"ME", "ME"}, {"MT", "MT", "MT"}, {"ME"}, {"MT"},
}

// initSMS applies the message settings. It is also the re-init after a
// modem reset.
func (m *Modem) initSMS(ctx context.Context) error {
	if _, err := m.execReady(ctx, "AT+CMGF=0"); err != nil {
		return fmt.Errorf("PDU mode: %w", err)
	}
	if err := m.initStorage(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	v := m.vendor
	m.mu.Unlock()

	cands := cnmiStored
	if m.cfg.Direct {
		cands = append(append([]string(nil), cnmiDirect...), cnmiStored...)
	}
	cnmi := ""
	for _, c := range cands {
		_, err := m.execReady(ctx, "AT+CNMI="+c)
		if err == nil {
			cnmi = c
			break
		}
		if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
			return err
		}
	}
	if cnmi == "" {
		m.log.Warn("modem: no AT+CNMI setting accepted; new messages are found only by listing")
	}
	ack := false
	if lines, err := m.query(ctx, "AT+CSMS?", "+CSMS"); err == nil {
		if a, ok := find(lines, "+CSMS"); ok {
			if f := fields(a); len(f) > 0 && f[0] == "1" {
				ack = true
			}
		}
	} else if errors.Is(err, at.ErrClosed) {
		return err
	}
	curc := false
	if v == vendorHuawei {
		_, err := m.e.Exec(ctx, "AT^CURC=0")
		curc = err == nil
		if errors.Is(err, at.ErrClosed) {
			return err
		}
	}
	if m.cfg.SMSC != "" {
		ton := 129
		if strings.HasPrefix(m.cfg.SMSC, "+") {
			ton = 145
		}
		if _, err := m.execReady(ctx, fmt.Sprintf(`AT+CSCA="%s",%d`, m.cfg.SMSC, ton)); err != nil {
			return fmt.Errorf("set SMSC: %w", err)
		}
	}
	for _, c := range []string{"AT+CREG=1", "AT+CEREG=1", "AT+COPS=3,0"} {
		if _, err := m.e.Exec(ctx, c); errors.Is(err, at.ErrClosed) {
			return err
		}
	}
	m.mu.Lock()
	m.setup.CNMI = cnmi
	m.setup.AckRequired = ack
	m.setup.CURC = curc
	m.ident = nil // a reset may come with another SIM
	m.mu.Unlock()
	return nil
}

func (m *Modem) initStorage(ctx context.Context) error {
	var groups [][]string
	if lines, err := m.execReadyExpect(ctx, "AT+CPMS=?", "+CPMS"); err == nil {
		if a, ok := find(lines, "+CPMS"); ok {
			groups = cpmsGroups(a)
		}
	} else if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
		return err
	}
	for _, c := range cpmsChoices {
		if !allowed(groups, c) {
			continue
		}
		q := make([]string, len(c))
		for i, s := range c {
			q[i] = `"` + s + `"`
		}
		lines, err := m.execReady(ctx, "AT+CPMS="+strings.Join(q, ","))
		if err != nil {
			if errors.Is(err, at.ErrClosed) || ctx.Err() != nil {
				return err
			}
			continue
		}
		used, total := cpmsCounts(lines)
		m.mu.Lock()
		m.setup.Storage, m.setup.StorageUsed, m.setup.StorageTotal = c[0], used, total
		m.mu.Unlock()
		return nil
	}
	m.log.Warn("modem: no AT+CPMS storage accepted; using the modem's default")
	return nil
}

// allowed reports whether the storages of choice c appear in the CPMS=?
// groups; unknown or empty groups allow anything.
func allowed(groups [][]string, c []string) bool {
	if len(groups) == 0 {
		return true
	}
	if len(c) > len(groups) {
		return false
	}
	for i, s := range c {
		if len(groups[i]) > 0 && !contains(groups[i], s) {
			return false
		}
	}
	return true
}

// cpmsCounts reads used/total of mem1 from "+CPMS: 3,20,3,20,0,20" or the
// read form "+CPMS: "SM",3,20,...".
func cpmsCounts(lines []string) (used, total int) {
	a, ok := find(lines, "+CPMS")
	if !ok {
		return 0, 0
	}
	f := fields(a)
	if len(f) > 0 {
		if _, isNum := atoi(f[0]); !isNum {
			f = f[1:]
		}
	}
	if len(f) >= 2 {
		used, _ = atoi(f[0])
		total, _ = atoi(f[1])
	}
	return used, total
}
