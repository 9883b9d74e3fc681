package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"smsgw/modem/pdu"
)

// Options configures one emulated modem. Dir is required.
type Options struct {
	// Dir is where the port symlink lives; Name is its file name
	// (default "modem<N>"). Path() returns Dir/Name.
	Dir, Name string
	// Profile is a profile name from Profiles (default "generic").
	Profile string
	// Number is the SIM's own number (+CNUM, the address others send to);
	// default "+1555010<NNNN>".
	Number string
	// PIN, when set, locks the SIM at every power-up until AT+CPIN="PIN".
	// PUK unlocks it after three wrong PINs (default "12345678").
	PIN, PUK string
	// IMEI, IMSI and ICCID default to values derived from the modem index.
	IMEI, IMSI, ICCID string
	// SIMCapacity overrides the profile's "SM" slot count.
	SIMCapacity int
	// SubmitDelay is the time between ^Z and the +CMGS result.
	SubmitDelay time.Duration
	// BootDelay is the pause between boot banners (0: all at once).
	BootDelay time.Duration
	// ReadyDelay is how long after the SIM is ready SMS commands still
	// answer the profile's not-ready result (+CMS ERROR: 302; Wavecom
	// +CME ERROR: 515; ZTE +CME ERROR: 14).
	ReadyDelay time.Duration
	// RSSI is the AT+CSQ signal value 1-31 (0 means the default, 20; use
	// Modem.SetRSSI for no signal).
	RSSI int
	// Balance is the text of the USSD reply (default "Balance: 12.34 EUR").
	Balance string
	// AckTimeout bounds the wait for AT+CNMA after a +CMT when AT+CSMS=1
	// (default 15 s); without an ack the modem turns routing off.
	AckTimeout time.Duration
	// Seed makes noise and random choices reproducible (0: fixed default).
	Seed uint64
	// Tweak, when set, adjusts a copy of the profile before the modem
	// powers up, for variants no built-in profile has (lower-case hex, no
	// alpha field, "\r\r\n" line ends, another prompt...).
	Tweak func(*Profile)
}

// inbound is a TPDU arriving from the network.
type inbound struct {
	tpdu        []byte
	onDelivered func()
}

// Modem is one emulated device. It is created by Network.AddModem; all
// methods are safe for concurrent use.
type Modem struct {
	net   *Network
	opts  Options
	prof  Profile
	path  string
	index int
	log   *slog.Logger

	mu      sync.Mutex
	mailbox []func()
	wake    chan struct{}
	pts     string // current slave path, "" when unplugged
	closing bool

	quit chan struct{}
	done chan struct{}

	// Everything below is owned by the run goroutine.
	sess    *session
	gen     int // bumps on every power-up so stale timers do nothing
	st      volatile
	sim     simState
	stores  map[string]*store
	pending []inbound // network-side queue: delivered when the modem can take it
	hung    bool
	hangTok int
	// hangSubmit, when set, hangs the modem at the next AT+CMGS for this
	// long (<= 0: until Hang(false)).
	hangSubmit *time.Duration
	// hangPDU, when set, hangs the modem once it has taken the next PDU.
	hangPDU *time.Duration
	fail    struct{ n, code int }
	failDel struct{ n, code int } // FailDeletes
	delay   time.Duration
	reg     int
	rng     *rand.Rand
	noise   *time.Ticker
	// respNoise puts an unsolicited line inside every response.
	respNoise bool
	fragment  bool
	// onInput observes every chunk read from the client (tests).
	onInput func([]byte)
}

// simState is what survives a power cycle: it lives on the SIM or in flash.
type simState struct {
	pinState string // "READY", "SIM PIN", "SIM PUK"
	pinLeft  int
	pukLeft  int
	pin      string
	mr       int
	smsc     string
}

func newModem(n *Network, o Options, prof Profile, idx int) *Modem {
	if o.PUK == "" {
		o.PUK = "12345678"
	}
	if o.IMEI == "" {
		o.IMEI = fmt.Sprintf("35000000%07d", idx)
	}
	if o.IMSI == "" {
		o.IMSI = fmt.Sprintf("%s%010d", n.opts.MCCMNC, idx)
	}
	if o.ICCID == "" {
		o.ICCID = fmt.Sprintf("8900100000%09d", idx)
	}
	if o.RSSI == 0 {
		o.RSSI = 20
	}
	if o.Balance == "" {
		o.Balance = "Balance: 12.34 EUR"
	}
	if o.AckTimeout == 0 {
		o.AckTimeout = 15 * time.Second
	}
	if o.SIMCapacity > 0 {
		prof.SIMCapacity = o.SIMCapacity
	}
	if o.Tweak != nil {
		prof = prof.clone()
		o.Tweak(&prof)
		if prof.LineEnd == "" {
			prof.LineEnd = "\r\n"
		}
	}
	seed := o.Seed
	if seed == 0 {
		seed = uint64(idx) + 1
	}
	m := &Modem{
		net: n, opts: o, prof: prof, index: idx,
		path:  filepath.Join(o.Dir, o.Name),
		log:   n.log.With("modem", o.Name),
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		delay: o.SubmitDelay,
		reg:   1,
		rng:   rand.New(rand.NewPCG(seed, 0x5eed)),
	}
	m.sim = simState{pinLeft: 3, pukLeft: 10, pin: o.PIN, smsc: n.opts.SMSC}
	m.stores = map[string]*store{"SM": newStore("SM", prof.SIMCapacity)}
	if prof.MECapacity > 0 {
		m.stores["ME"] = newStore("ME", prof.MECapacity)
	}
	m.stores["SR"] = newStore("SR", 20)
	m.stores["BM"] = newStore("BM", 0)
	return m
}

// start opens the first pty and starts the owner goroutine.
func (m *Modem) start() error {
	s, err := m.plug()
	if err != nil {
		// No owner goroutine will run: let a concurrent Close return.
		m.mu.Lock()
		m.closing = true
		m.mu.Unlock()
		close(m.done)
		return err
	}
	// Power up before the owner goroutine starts, so the banners are on
	// the wire (or scheduled) when AddModem returns.
	m.sess = s
	m.powerUp()
	go m.run()
	return nil
}

// Path is the stable port path (the symlink) a client opens.
func (m *Modem) Path() string { return m.path }

// PTY is the current slave device (/dev/pts/N), "" while unplugged.
func (m *Modem) PTY() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pts
}

// Number is the SIM's own number.
func (m *Modem) Number() string { return m.opts.Number }

// Profile returns the modem's quirk set.
func (m *Modem) Profile() Profile { return m.prof }

// IMEI returns the emulated IMEI (AT+CGSN).
func (m *Modem) IMEI() string { return m.opts.IMEI }

// IMSI returns the SIM's IMSI (AT+CIMI).
func (m *Modem) IMSI() string { return m.opts.IMSI }

// ICCID returns the SIM's ICCID (AT+CCID and vendor variants).
func (m *Modem) ICCID() string { return m.opts.ICCID }

// post queues f for the owner goroutine; false if the modem is closed.
func (m *Modem) post(f func()) bool {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return false
	}
	m.mailbox = append(m.mailbox, f)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return true
}

// call runs f on the owner goroutine and waits for it.
func (m *Modem) call(f func()) error {
	ran := make(chan struct{})
	if !m.post(func() { f(); close(ran) }) {
		return ErrClosed
	}
	select {
	case <-ran:
		return nil
	case <-m.done:
		return ErrClosed
	}
}

// after runs f on the owner goroutine after d (0: once the current work
// is done) unless the modem powered
// down or up again in between.
func (m *Modem) after(d time.Duration, f func()) {
	gen := m.gen
	if d <= 0 {
		// Still deferred: what a handler schedules comes after its response.
		m.post(func() {
			if m.gen == gen {
				f()
			}
		})
		return
	}
	time.AfterFunc(d, func() {
		m.post(func() {
			if m.gen == gen {
				f()
			}
		})
	})
}

func (m *Modem) run() {
	defer close(m.done)
	for {
		select {
		case <-m.wake:
		case <-m.noiseTick():
			m.emitNoise()
			continue
		case <-m.quit:
			m.stopNoise()
			if m.sess != nil {
				m.sess.close()
				m.sess = nil
			}
			_ = os.Remove(m.path)
			return
		}
		for {
			m.mu.Lock()
			box := m.mailbox
			m.mailbox = nil
			m.mu.Unlock()
			if len(box) == 0 {
				break
			}
			for _, f := range box {
				f()
			}
		}
	}
}

// close stops the modem: the pty closes, the symlink goes away.
func (m *Modem) close() error {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		<-m.done
		return nil
	}
	m.closing = true
	m.pts = ""
	m.mu.Unlock()
	select {
	case <-m.done: // never started
	default:
		close(m.quit)
		<-m.done
	}
	return nil
}

// plug allocates a pty and points the symlink at it.
func (m *Modem) plug() (*session, error) {
	p, err := openPTY()
	if err != nil {
		return nil, err
	}
	if err := symlinkAtomic(p.slave, m.path); err != nil {
		p.close()
		return nil, fmt.Errorf("sim: link %s: %w", m.path, err)
	}
	m.mu.Lock()
	m.pts = p.slave
	m.mu.Unlock()
	s := newSession(m, p)
	s.fragment.Store(m.fragment)
	return s, nil
}

// Unplug closes the pty and removes the symlink, as when the USB modem is
// pulled: a client reading the port gets EOF / an I/O error. SIM contents
// and counters survive; messages sent meanwhile wait in the network.
func (m *Modem) Unplug() error {
	var err error
	if cerr := m.call(func() {
		if m.sess == nil {
			err = errors.New("sim: already unplugged")
			return
		}
		m.sess.close()
		m.sess = nil
		m.gen++
		m.mu.Lock()
		m.pts = ""
		m.mu.Unlock()
		if rerr := os.Remove(m.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("sim: unplug: %w", rerr)
		}
	}); cerr != nil {
		return cerr
	}
	return err
}

// Replug plugs the modem back in: a new pty behind the same symlink, same
// identity and SIM, fresh power-up state (echo on, banners, PIN again).
func (m *Modem) Replug() error {
	var err error
	if cerr := m.call(func() {
		if m.sess != nil {
			err = errors.New("sim: already plugged")
			return
		}
		s, perr := m.plug()
		if perr != nil {
			err = perr
			return
		}
		m.sess = s
		m.powerUp()
	}); cerr != nil {
		return cerr
	}
	return err
}

// Reboot power-cycles the modem without unplugging it (like AT+CFUN=1,1).
func (m *Modem) Reboot() error { return m.call(func() { m.powerUp() }) }

// Hang makes the modem stop answering (input is swallowed, nothing is
// written) while on; the port stays open.
func (m *Modem) Hang(on bool) {
	_ = m.call(func() { m.hung = on; m.hangTok++ })
}

// HangFor hangs the modem for d, then it answers again.
func (m *Modem) HangFor(d time.Duration) {
	_ = m.call(func() { m.hangFor(d) })
}

// HangOnSubmit arms a one-shot fault: the modem goes silent the moment it
// reads the next AT+CMGS=<n>, before any prompt, as a modem that stalls
// right when it is handed a message. It stays silent for d, then answers
// again; d <= 0 keeps it silent until Hang(false). The command is lost and
// nothing of that message reaches the network.
func (m *Modem) HangOnSubmit(d time.Duration) {
	_ = m.call(func() { m.hangSubmit = &d })
}

// HangOnPDU arms a one-shot fault: the modem takes the next PDU entered
// after an AT+CMGS prompt (through its ^Z), hands it to the network as
// usual, and goes silent at once, so its +CMGS answer is never heard: the
// part is on the wire and the sender cannot know it. It stays silent for
// d; d <= 0 keeps it silent until Hang(false).
func (m *Modem) HangOnPDU(d time.Duration) {
	_ = m.call(func() { m.hangPDU = &d })
}

// Hung reports whether the modem is silent right now.
func (m *Modem) Hung() bool {
	var h bool
	_ = m.call(func() { h = m.hung })
	return h
}

// hangFor hangs the modem for d (<= 0: until Hang(false)); owner goroutine.
func (m *Modem) hangFor(d time.Duration) {
	m.hung = true
	m.hangTok++
	if d <= 0 {
		return
	}
	tok := m.hangTok
	time.AfterFunc(d, func() {
		m.post(func() {
			if m.hangTok == tok {
				m.hung = false
			}
		})
	})
}

// stallOnPDU fires an armed HangOnPDU.
func (m *Modem) stallOnPDU() {
	if m.hangPDU == nil {
		return
	}
	d := *m.hangPDU
	m.hangPDU = nil
	m.log.Debug("stalling after a PDU", "for", d)
	m.hangFor(d)
}

// stallOnSubmit fires an armed HangOnSubmit; it reports whether it did.
func (m *Modem) stallOnSubmit() bool {
	if m.hangSubmit == nil {
		return false
	}
	d := *m.hangSubmit
	m.hangSubmit = nil
	m.log.Debug("stalling at AT+CMGS", "for", d)
	m.hangFor(d)
	return true
}

// FailSubmits makes the next n AT+CMGS answer +CMS ERROR: code (e.g. 38
// network out of order, 1 unassigned number, 500 unknown); code 0 picks the
// profile's catch-all (Profile.GenericError).
func (m *Modem) FailSubmits(n, code int) {
	if code == 0 {
		code = m.prof.GenericError
	}
	_ = m.call(func() { m.fail.n, m.fail.code = n, code })
}

// SetSubmitDelay sets the time between ^Z and the +CMGS result.
func (m *Modem) SetSubmitDelay(d time.Duration) { _ = m.call(func() { m.delay = d }) }

// SetRSSI changes the signal reported by AT+CSQ (0-31, 99 unknown).
func (m *Modem) SetRSSI(rssi int) { _ = m.call(func() { m.opts.RSSI = rssi }) }

// SetRegistration changes the registration state (27.007 +CREG <stat>:
// 0 not registered, 1 home, 2 searching, 3 denied, 5 roaming) and emits
// +CREG/+CEREG URCs where enabled. Without registration submits fail with
// +CMS ERROR: 331 and inbound messages wait in the network.
func (m *Modem) SetRegistration(stat int) {
	_ = m.call(func() {
		m.reg = stat
		m.regURC()
		if m.registered() {
			m.flushPending()
		}
	})
}

// FillStorage fills every free "SM" slot with read filler messages so the
// next inbound message finds the SIM full.
func (m *Modem) FillStorage() {
	_ = m.call(func() {
		sm := m.stores["SM"]
		for sm.put(fillerSlot(m.net.opts.Now())) >= 0 {
		}
	})
}

func fillerSlot(at time.Time) *slot {
	seg, _ := pdu.SegmentText("filler", pdu.SegmentOptions{})
	t, _ := pdu.EncodeTPDU(&pdu.Deliver{From: address("+15550009999"), DCS: seg[0].DCS, SCTS: at, UD: seg[0].UD})
	return &slot{stat: 1, pdu: append([]byte{0}, t...), tlen: len(t)}
}

// FragmentOutput, while on, writes everything the modem says in pieces of
// one to five bytes with short pauses, so the client's reads split lines,
// result codes and the prompt at arbitrary places. It applies to the
// current plug-in and to later replugs.
func (m *Modem) FragmentOutput(on bool) {
	_ = m.call(func() {
		m.fragment = on
		if m.sess != nil {
			m.sess.fragment.Store(on)
		}
	})
}

// InjectGarbage writes raw bytes to the port as if the modem emitted line
// noise.
func (m *Modem) InjectGarbage(b []byte) {
	cp := append([]byte(nil), b...)
	_ = m.call(func() { m.write(cp) })
}

// StoredMessage is one entry of a modem's message memory.
type StoredMessage struct {
	Mem   string // "SM", "ME", "SR"
	Index int    // as AT+CMGR addresses it
	Stat  int    // 0 unread, 1 read, 2 unsent, 3 sent
	PDU   []byte // SMSC prefix + TPDU
}

// Messages returns the contents of all message memories.
func (m *Modem) Messages() []StoredMessage {
	var out []StoredMessage
	_ = m.call(func() {
		for _, name := range []string{"SM", "ME", "SR"} {
			s := m.stores[name]
			if s == nil {
				continue
			}
			for i, sl := range s.slots {
				if sl != nil {
					out = append(out, StoredMessage{Mem: name, Index: i + m.prof.IndexBase, Stat: sl.stat, PDU: append([]byte(nil), sl.pdu...)})
				}
			}
		}
	})
	return out
}

// StartNoise makes the modem emit a random harmless URC (signal, network
// status) every interval, in the middle of whatever is on the wire.
// StopNoise ends it.
func (m *Modem) StartNoise(interval time.Duration) {
	_ = m.call(func() {
		m.stopNoise()
		m.noise = time.NewTicker(interval)
	})
}

// StopNoise stops URC noise.
func (m *Modem) StopNoise() { _ = m.call(m.stopNoise) }

func (m *Modem) stopNoise() {
	if m.noise != nil {
		m.noise.Stop()
		m.noise = nil
	}
}

func (m *Modem) noiseTick() <-chan time.Time {
	if m.noise == nil {
		return nil
	}
	return m.noise.C
}

// ResponseNoise, while on, puts an unsolicited line inside every response:
// after the echo and before the information lines, between AT+CMGS=<n> and
// the prompt, and between ^Z and +CMGS (as ZTE sticks do with +ZDONR).
func (m *Modem) ResponseNoise(on bool) { _ = m.call(func() { m.respNoise = on }) }

func (m *Modem) emitNoise() {
	if m.prof.CURC && !m.st.curc {
		return // AT^CURC=0 silenced the Huawei status lines
	}
	m.urc(m.noiseLine())
}

func (m *Modem) noiseLine() string {
	var lines []string
	switch m.prof.Name {
	case "huawei-e173", "huawei-e3372":
		lines = []string{fmt.Sprintf("^RSSI:%d", m.opts.RSSI), "^SRVST:2", "^MODE:5,4", "^BOOT:35323129,0,0,0,26"}
	case "quectel-ec25":
		lines = []string{"+QIND: \"csq\",20,99", "+QUSIM: 1"}
	case "simcom-sim800", "simcom-sim7600":
		lines = []string{"+CSQN: 20,0", "*PSUTTZ: 2026,11,21,23,0,0,\"+0\",0", "DST: 0"}
	default:
		lines = []string{"+CIEV: 2,4", "+CIEV: 7,0"}
	}
	return lines[m.rng.IntN(len(lines))]
}

// String names the modem for logs.
func (m *Modem) String() string {
	return fmt.Sprintf("%s(%s %s)", m.opts.Name, m.prof.Name, m.opts.Number)
}

// redact hides a PIN/PUK in a traced command line. The match is made on
// the line's own bytes: an upper-cased copy can differ in length (an invalid
// UTF-8 byte becomes the three-byte U+FFFD), so an index found in it does
// not point into the original.
func redact(line string) string {
	if i := indexFoldASCII(line, "+CPIN="); i >= 0 {
		return line[:i+len("+CPIN=")] + "<redacted>"
	}
	return line
}

// indexFoldASCII is strings.Index ignoring ASCII case, for an ASCII sep;
// bytes outside ASCII never match a letter of sep.
func indexFoldASCII(s, sep string) int {
	for i := 0; i+len(sep) <= len(s); i++ {
		j := 0
		for j < len(sep) && upperASCII(s[i+j]) == upperASCII(sep[j]) {
			j++
		}
		if j == len(sep) {
			return i
		}
	}
	return -1
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
