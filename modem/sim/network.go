package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"smsgw/modem/pdu"
)

// ErrClosed is returned by calls on a closed Network or Modem.
var ErrClosed = errors.New("sim: closed")

// ErrUnknownNumber is returned when a delivery names no emulated modem.
var ErrUnknownNumber = errors.New("sim: no emulated modem has this number")

// NetworkOptions configures a Network; every field is optional.
type NetworkOptions struct {
	// Operator is the long operator name of AT+COPS? ("SimNet").
	Operator string
	// MCCMNC is the numeric operator id ("00101", the 3GPP test network).
	MCCMNC string
	// SMSC is the service-centre number every SIM starts with.
	SMSC string
	// Logger receives debug traces of the AT traffic (PINs redacted); nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock for time stamps; nil means time.Now.
	Now func() time.Time
	// Keep bounds how many accepted SUBMITs Outbox and Submitted remember
	// (the oldest are forgotten first), so a long-running `smsgw sim` or
	// demo daemon does not grow without end. Default 50000.
	Keep int
}

// Sent is one SMS-SUBMIT accepted by the network.
type Sent struct {
	// From is the submitting modem's number and To the destination
	// address as written in the SUBMIT ("+123...").
	From, To string
	// MR is the message reference the modem answered with +CMGS.
	MR int
	// TPDU is the SUBMIT as sent (without the SMSC prefix).
	TPDU []byte
	// Submit is the decoded TPDU (DCS, user data, TP-SRR...).
	Submit *pdu.Submit
	// Internal is true when To is an emulated modem.
	Internal bool
	// Time is when the network accepted it.
	Time time.Time
}

// Network is the virtual mobile network that connects emulated modems.
// Create one with NewNetwork, add modems with AddModem, Close it at the end.
type Network struct {
	opts NetworkOptions
	log  *slog.Logger

	mu        sync.Mutex
	modems    []*Modem
	byNumber  map[string]*Modem
	outbox    []Sent
	all       []Sent
	total     int           // SUBMITs accepted so far, including forgotten ones
	changed   chan struct{} // closed and replaced whenever a SUBMIT is accepted
	dropSR    bool
	srStatus  pdu.Status
	srRule    func(seq int) (pdu.Status, bool)
	closed    bool
	nextIndex int
}

// NewNetwork returns an empty network.
func NewNetwork(opts NetworkOptions) *Network {
	if opts.Operator == "" {
		opts.Operator = "SimNet"
	}
	if opts.MCCMNC == "" {
		opts.MCCMNC = "00101"
	}
	if opts.SMSC == "" {
		opts.SMSC = "+15550000000"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Keep <= 0 {
		opts.Keep = 50000
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Network{opts: opts, log: log, byNumber: map[string]*Modem{}, changed: make(chan struct{})}
}

// AddModem powers up a new emulated modem on a fresh pty and links
// Options.Dir/<name> to its slave. ctx bounds the set-up only.
func (n *Network) AddModem(ctx context.Context, o Options) (*Modem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prof, err := LookupProfile(o.Profile)
	if o.Profile == "" {
		prof, err = LookupProfile("generic")
	}
	if err != nil {
		return nil, err
	}
	if o.Dir == "" {
		return nil, errors.New("sim: Options.Dir is required")
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrClosed
	}
	idx := n.nextIndex
	n.nextIndex++
	if o.Name == "" {
		o.Name = fmt.Sprintf("modem%d", idx)
	}
	if o.Number == "" {
		o.Number = fmt.Sprintf("+1555010%04d", idx)
	}
	if d := strings.TrimPrefix(o.Number, "+"); d == "" || strings.Trim(d, "0123456789") != "" || len(d) > 20 {
		n.mu.Unlock()
		return nil, fmt.Errorf("sim: number %q: want digits with an optional leading +", o.Number)
	}
	if n.lookup(o.Number) != nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("sim: number %s is already in use", o.Number)
	}
	for _, other := range n.modems {
		if other.path == filepath.Join(o.Dir, o.Name) {
			n.mu.Unlock()
			return nil, fmt.Errorf("sim: port %s is already in use", other.path)
		}
	}
	m := newModem(n, o, prof, idx)
	n.byNumber[o.Number] = m
	n.modems = append(n.modems, m)
	n.mu.Unlock()
	if err := m.start(); err != nil {
		n.mu.Lock()
		delete(n.byNumber, o.Number)
		n.modems = n.modems[:len(n.modems)-1]
		n.mu.Unlock()
		return nil, err
	}
	return m, nil
}

// Modems returns the modems in the order they were added.
func (n *Network) Modems() []*Modem {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*Modem(nil), n.modems...)
}

// Modem returns the modem with the given number, or nil. "+4917..." and
// "4917..." name the same subscriber, as the network routes both.
func (n *Network) Modem(number string) *Modem {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lookup(number)
}

// lookup finds a modem by number; n.mu must be held.
func (n *Network) lookup(number string) *Modem {
	if m := n.byNumber[number]; m != nil {
		return m
	}
	digits := strings.TrimPrefix(number, "+")
	if digits == "" {
		return nil
	}
	for num, m := range n.byNumber {
		if strings.TrimPrefix(num, "+") == digits {
			return m
		}
	}
	return nil
}

// DropStatusReports makes the network lose every status report while on.
func (n *Network) DropStatusReports(on bool) {
	n.mu.Lock()
	n.dropSR = on
	n.mu.Unlock()
}

// SetReportRule decides the status report of each SUBMIT by its place in
// the order the network accepted them (1 for the first): drop loses the
// report, otherwise it carries st. It is settled when the SUBMIT is
// accepted, so a test can plan the reports of parts not yet sent without
// racing the modem. nil restores DropStatusReports and SetReportStatus.
func (n *Network) SetReportRule(rule func(seq int) (st pdu.Status, drop bool)) {
	n.mu.Lock()
	n.srRule = rule
	n.mu.Unlock()
}

// SetReportStatus sets the TP-ST of the status reports sent from now on:
// pdu.StatusDelivered (the default), pdu.StatusExpired (0x46), a temporary
// error such as pdu.StatusTempCongestion (0x20), or any other value.
func (n *Network) SetReportStatus(st pdu.Status) {
	n.mu.Lock()
	n.srStatus = st
	n.mu.Unlock()
}

// Outbox returns the messages submitted to numbers outside the emulated
// network, oldest first.
func (n *Network) Outbox() []Sent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Sent(nil), n.outbox...)
}

// Submitted returns every accepted SUBMIT, internal and external.
func (n *Network) Submitted() []Sent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Sent(nil), n.all...)
}

// WaitSubmitted blocks until at least count SUBMITs were accepted (internal
// and external) and returns those kept (see NetworkOptions.Keep), or fails
// when ctx ends.
func (n *Network) WaitSubmitted(ctx context.Context, count int) ([]Sent, error) {
	for {
		n.mu.Lock()
		if n.total >= count {
			s := append([]Sent(nil), n.all...)
			n.mu.Unlock()
			return s, nil
		}
		ch := n.changed
		n.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("sim: waiting for %d submits: %w", count, ctx.Err())
		}
	}
}

// DeliverPDU hands an SMS-DELIVER TPDU (no SMSC prefix) to the modem with
// number to, as the network would. A modem that is unplugged, not yet
// ready, unregistered or full receives it later.
func (n *Network) DeliverPDU(to string, tpdu []byte) error {
	m := n.Modem(to)
	if m == nil {
		return fmt.Errorf("%w: %s", ErrUnknownNumber, to)
	}
	if mti(tpdu) != 0 {
		return fmt.Errorf("%w: not an SMS-DELIVER", errBadPDU)
	}
	if !m.post(func() { m.netReceive(inbound{tpdu: append([]byte(nil), tpdu...)}) }) {
		return ErrClosed
	}
	return nil
}

// keepLast drops the oldest entries beyond max.
func keepLast(s []Sent, max int) []Sent {
	if len(s) <= max {
		return s
	}
	return append(s[:0:0], s[len(s)-max:]...)
}

// Text decodes the user data of one sent part (no reassembly).
func (s Sent) Text() (string, error) {
	c, err := s.Submit.Content()
	if err != nil {
		return "", err
	}
	if c.Coding == pdu.Coding8Bit {
		return string(c.Data), nil
	}
	return c.Text, nil
}

// submit is called by a modem's owner goroutine for an accepted SUBMIT.
func (n *Network) submit(from *Modem, s *pdu.Submit, tpdu []byte, mr int) {
	now := n.opts.Now()
	to := s.To.String()
	sent := Sent{
		From: from.opts.Number, To: to, MR: mr, TPDU: append([]byte(nil), tpdu...),
		Submit: s, Time: now,
	}
	n.mu.Lock()
	dest := n.lookup(to)
	sent.Internal = dest != nil
	n.total++
	var plan *reportPlan
	if n.srRule != nil {
		st, drop := n.srRule(n.total)
		plan = &reportPlan{st: st, drop: drop}
	}
	n.all = keepLast(append(n.all, sent), n.opts.Keep)
	if dest == nil {
		n.outbox = keepLast(append(n.outbox, sent), n.opts.Keep)
	}
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()

	if dest == nil {
		if s.StatusReportRequest {
			n.report(from, byte(mr), s.To, now, plan)
		}
		return
	}
	tpduOut, err := deliverFromSubmit(s, from.opts.Number, now)
	if err != nil {
		n.log.Warn("sim: cannot build SMS-DELIVER", "err", err)
		return
	}
	in := inbound{tpdu: tpduOut}
	if s.StatusReportRequest {
		in.onDelivered = func() { n.report(from, byte(mr), s.To, now, plan) }
	}
	dest.post(func() { dest.netReceive(in) })
}

// reportPlan is a status report settled by SetReportRule when its SUBMIT
// was accepted.
type reportPlan struct {
	st   pdu.Status
	drop bool
}

// report sends a status report back to the submitter: as planned, or as
// DropStatusReports and SetReportStatus say at this moment.
func (n *Network) report(to *Modem, mr byte, recipient pdu.Address, submitted time.Time, plan *reportPlan) {
	n.mu.Lock()
	drop, st := n.dropSR, n.srStatus
	n.mu.Unlock()
	if plan != nil {
		drop, st = plan.drop, plan.st
	}
	if drop {
		return
	}
	tpdu, err := statusReport(mr, recipient, submitted, n.opts.Now(), st)
	if err != nil {
		n.log.Warn("sim: cannot build status report", "err", err)
		return
	}
	to.post(func() { to.netReceive(inbound{tpdu: tpdu}) })
}

// Close unplugs and stops every modem, removes their symlinks and waits
// for all their goroutines until ctx ends. Later calls wait likewise and
// return nil.
func (n *Network) Close(ctx context.Context) error {
	n.mu.Lock()
	again := n.closed
	n.closed = true
	ms := append([]*Modem(nil), n.modems...)
	n.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, m := range ms {
			m.close()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		if again {
			return nil
		}
		return fmt.Errorf("sim: close: %w", ctx.Err())
	}
}

func symlinkAtomic(target, link string) error {
	tmp := filepath.Join(filepath.Dir(link), "."+filepath.Base(link)+".tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// DeliverOptions tune Network.DeliverText.
type DeliverOptions struct {
	// Coding forces pdu.CodingGSM7, pdu.CodingUCS2 or pdu.Coding8Bit; the
	// zero value picks the most compact coding.
	Coding pdu.Coding
	// Ref is the concatenation reference of a multi-part text.
	Ref uint16
	// Order lists the 1-based part numbers in delivery order, e.g.
	// []int{3, 1, 2}; parts left out are not delivered (an incomplete set).
	// Nil delivers every part in sequence.
	Order []int
	// Flash sends message class 0.
	Flash bool
}

// Deliver sends text from the number from (an E.164 number, digits or an
// alphanumeric sender such as "Bank") to the emulated modem with number to,
// split into concatenated SMS-DELIVERs when it does not fit one.
func (n *Network) Deliver(to, from, text string) error {
	return n.DeliverText(to, from, text, DeliverOptions{})
}

// DeliverText is Deliver with options (coding, part order).
func (n *Network) DeliverText(to, from, text string, o DeliverOptions) error {
	sender, err := pdu.ParseAddress(from)
	if err != nil {
		return fmt.Errorf("sim: sender %q: %w", from, err)
	}
	segs, err := pdu.SegmentText(text, pdu.SegmentOptions{Coding: o.Coding, Ref: o.Ref, Flash: o.Flash})
	if err != nil {
		return fmt.Errorf("sim: deliver: %w", err)
	}
	order := o.Order
	if order == nil {
		for i := range segs {
			order = append(order, i+1)
		}
	}
	now := n.opts.Now()
	for _, seq := range order {
		if seq < 1 || seq > len(segs) {
			return fmt.Errorf("sim: deliver: part %d of %d", seq, len(segs))
		}
		sg := segs[seq-1]
		tpdu, err := pdu.EncodeTPDU(&pdu.Deliver{From: sender, DCS: sg.DCS, SCTS: now, UD: sg.UD})
		if err != nil {
			return fmt.Errorf("sim: deliver: %w", err)
		}
		if err := n.DeliverPDU(to, tpdu); err != nil {
			return err
		}
	}
	return nil
}
