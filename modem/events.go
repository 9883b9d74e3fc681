package modem

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/modem/at"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// EventMessageStored: a message was stored (+CMTI); Storage, Index.
	// Read it with ReadStored, delete it once it is safe.
	EventMessageStored EventKind = iota + 1
	// EventMessage: a message delivered directly (+CMT); PDU. Already
	// acknowledged with AT+CNMA when the modem requires it.
	EventMessage
	// EventStatusReport: a status report delivered directly (+CDS); PDU.
	EventStatusReport
	// EventStatusReportStored: a status report was stored (+CDSI);
	// Storage, Index (read it with ReadStoredIn).
	EventStatusReportStored
	// EventRegistration: the network registration changed (+CREG/+CEREG).
	EventRegistration
	// EventUSSD: a network-initiated USSD (+CUSD) nobody asked for.
	EventUSSD
	// EventReset: the modem rebooted (boot URC, or echo back on) and the
	// init settings were applied again; Err is set if that failed.
	EventReset
	// EventPortLost: the port is gone (unplug, I/O error); Err says why.
	// It is the last event: the channel closes after it.
	EventPortLost
)

func (k EventKind) String() string {
	switch k {
	case EventMessageStored:
		return "message-stored"
	case EventMessage:
		return "message"
	case EventStatusReport:
		return "status-report"
	case EventStatusReportStored:
		return "status-report-stored"
	case EventRegistration:
		return "registration"
	case EventUSSD:
		return "ussd"
	case EventReset:
		return "reset"
	case EventPortLost:
		return "port-lost"
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is something the modem reported on its own.
type Event struct {
	Kind         EventKind
	Time         time.Time
	Storage      string // "SM", "ME", "SR"... for the *Stored kinds
	Index        int
	PDU          string // hex with SMSC field, for EventMessage / EventStatusReport
	Registration Registration
	USSD         USSDReply
	Err          error
}

// resetURCs announce a (re)boot. Some only hint at it (^BOOT is also a
// periodic Huawei report, SMS Ready comes after every SIM init); each leads
// to a cheap check (AT+CNMI?) before the settings are applied again.
var resetURCs = map[string]bool{
	"RDY": true, "^SYSSTART": true, "+PACSP0": true, "+PACSP1": true, "+PACSP": true,
	"*EMRDY": true, "+READY": true, "SMS Ready": true, "SMS DONE": true, "^BOOT": true,
	"+CFUN": true, "+QUSIM": true, "^SIMST": true, "+CPIN": true,
}

func (m *Modem) eventLoop() {
	defer m.wg.Done()
	defer close(m.events)
	urcs := m.e.URCs()
	var tick <-chan time.Time
	if m.cfg.Keepalive > 0 {
		t := time.NewTicker(m.cfg.Keepalive)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			m.keepalive()
		case u, ok := <-urcs:
			if !ok {
				if err := m.e.Err(); err != nil && m.ctx.Err() == nil {
					m.emit(Event{Kind: EventPortLost, Time: time.Now(), Err: err})
				}
				return
			}
			m.handleURC(u)
		case <-m.resetSig:
			m.startResetCheck(true)
		}
	}
}

// keepalive sends a bare AT when no multi-command operation runs: a modem
// that rebooted silently shows its echo again, and the answer proves the
// port alive. A UART modem gives no other sign of either.
func (m *Modem) keepalive() {
	if !m.ready.Load() {
		return
	}
	select {
	case m.op <- struct{}{}:
	default:
		return // busy: the modem is being talked to anyway
	}
	defer m.unlock()
	ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
	defer cancel()
	if _, err := m.e.Exec(ctx, "AT"); err != nil && !errors.Is(err, at.ErrClosed) && m.ctx.Err() == nil {
		m.log.Warn("modem: keepalive unanswered", "err", err)
	}
}

func (m *Modem) emit(ev Event) {
	select {
	case m.events <- ev:
	case <-m.ctx.Done():
	}
}

func (m *Modem) handleURC(u at.URC) {
	switch u.Name {
	case "+CMTI", "+CDSI":
		f := fields(u.Args)
		idx, ok := atoi(f[len(f)-1])
		if !ok {
			m.log.Warn("modem: unreadable indication", "urc", u.Line)
			return
		}
		kind := EventMessageStored
		if u.Name == "+CDSI" {
			kind = EventStatusReportStored
		}
		st := ""
		if len(f) >= 2 {
			st = f[0]
		}
		m.emit(Event{Kind: kind, Time: u.Time, Storage: st, Index: idx})
	case "+CMT", "+CDS":
		if u.PDU == "" {
			m.log.Warn("modem: indication without PDU", "urc", u.Name)
			return
		}
		if m.Setup().AckRequired {
			ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
			if _, err := m.e.Exec(ctx, "AT+CNMA"); err != nil {
				m.log.Warn("modem: AT+CNMA failed", "err", err)
			}
			cancel()
		}
		kind := EventMessage
		if u.Name == "+CDS" {
			kind = EventStatusReport
		}
		m.emit(Event{Kind: kind, Time: u.Time, PDU: u.PDU})
	case "+CREG", "+CEREG", "+CGREG":
		r, ok := parseRegistrationURC(strings.TrimPrefix(u.Name, "+"), u.Args)
		if ok {
			m.emit(Event{Kind: EventRegistration, Time: u.Time, Registration: r})
		}
	case "+CUSD":
		rep := parseCUSD(u.Args)
		m.mu.Lock()
		ch := m.ussdCh
		m.mu.Unlock()
		if ch != nil {
			select {
			case ch <- u:
				return
			default:
			}
		}
		m.emit(Event{Kind: EventUSSD, Time: u.Time, USSD: m.decodeUSSD(rep)})
	default:
		if resetURCs[u.Name] && m.ready.Load() {
			if u.Name == "+CFUN" && strings.TrimSpace(u.Args) != "1" ||
				u.Name == "+CPIN" && !strings.EqualFold(strings.TrimSpace(u.Args), "READY") {
				return
			}
			m.startResetCheck(false)
		}
	}
}

// startResetCheck runs checkReset on its own goroutine, so that the event
// loop keeps routing URCs (a USSD reply, say) while the check waits for a
// running operation; hints that arrive meanwhile are folded into it.
func (m *Modem) startResetCheck(sure bool) {
	if !m.resetting.CompareAndSwap(false, true) {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.resetting.Store(false)
		m.checkReset(sure)
	}()
}

// checkReset asks whether the modem forgot its settings and, if it did,
// applies the init sequence again:
//
//	-> AT+CNMI?   <- +CNMI: 2,1,0,1,0 / OK   (as set: nothing to do)
//
// sure is set when echo came back, which only a reset (or a stranger on
// the port) does.
func (m *Modem) checkReset(sure bool) {
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.ReadyTimeout+time.Minute)
	defer cancel()
	reset, err := m.reinitIfReset(ctx, sure)
	if !reset || (err != nil && (errors.Is(err, at.ErrClosed) || m.ctx.Err() != nil)) {
		return
	}
	// Emitted without the op lock: an owner blocked in SendParts must not
	// keep us from handing over the event.
	m.emit(Event{Kind: EventReset, Time: time.Now(), Err: err})
}

func (m *Modem) reinitIfReset(ctx context.Context, sure bool) (bool, error) {
	if err := m.lock(ctx); err != nil {
		return false, err
	}
	defer m.unlock()
	want := m.Setup().CNMI
	if !sure && want != "" {
		lines, err := m.query(ctx, "AT+CNMI?", "+CNMI")
		if err == nil {
			if a, ok := find(lines, "+CNMI"); ok && sameCNMI(a, want) {
				return false, nil
			}
		}
	}
	m.log.Info("modem: reset detected; applying init again")
	return true, m.init(ctx)
}

// sameCNMI compares a +CNMI? reply with the setting written, which may have
// had fewer parameters ("2,1" vs "2,1,0,0,0").
func sameCNMI(reply, set string) bool {
	r, s := fields(reply), fields(set)
	if len(r) < len(s) {
		return false
	}
	for i := range s {
		a, _ := atoi(r[i])
		b, _ := atoi(s[i])
		if a != b {
			return false
		}
	}
	return true
}
