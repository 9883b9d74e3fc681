package gateway

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/modem/pdu"
	"smsgw/modem/pool"
	"smsgw/queue"
)

// defaultHealthEvery is how often a session reads registration, signal
// and storage use: the only AT traffic of an idle modem.
const defaultHealthEvery = time.Minute

// The receiver sweeps the SIM again resweepMin after a received message
// could not be committed (the database unreachable), then backing off to
// resweepMax while that goes on.
const (
	resweepMin = 2 * time.Second
	resweepMax = time.Minute
)

// receive handles the modem's events as they arrive (+CMTI, +CMT, +CDS,
// +CDSI, registration, resets, port lost), sweeps the storage at start and
// every SweepInterval, and checks health. A part is deleted from the modem
// only after the queue committed it.
func (s *session) receive(ctx context.Context) error {
	if err := s.health(ctx); err != nil {
		return err
	}
	if err := s.sweep(ctx); err != nil {
		return err
	}
	sweepT := time.NewTicker(s.g.opts.Inbound.SweepInterval)
	defer sweepT.Stop()
	healthT := time.NewTicker(s.g.healthEvery)
	defer healthT.Stop()
	// A sweep again after a message could not be committed, backing off
	// from resweepMin to resweepMax while the store stays unreachable.
	var resweepC <-chan time.Time
	resweepIn := resweepMin
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-s.dev.Events():
			if !ok {
				return fmt.Errorf("%w: event channel closed", pool.ErrPortLost)
			}
			err = s.event(ctx, ev)
		case <-sweepT.C:
			err = s.sweep(ctx)
		case <-resweepC:
			resweepC = nil
			err = s.sweep(ctx)
		case <-healthT.C:
			err = s.health(ctx)
		}
		if err != nil {
			return err
		}
		switch {
		case s.uncommitted && resweepC == nil:
			s.uncommitted = false
			resweepC = time.After(resweepIn)
			resweepIn = min(2*resweepIn, resweepMax)
		case !s.uncommitted && resweepC == nil:
			resweepIn = resweepMin
		}
	}
}

// opCtx bounds one inbound operation; it survives a graceful stop (a part
// read from the SIM gets committed and deleted) but not an abort.
func (s *session) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.g.hard, s.g.opTimeout)
}

// trouble turns an AT failure into a session-ending error when the modem
// itself is the problem, else logs it and carries on. An operation that
// could not finish in opTimeout means a silent modem, unless a send is on
// the wire (its AT+CMGS may legitimately take minutes and has its own
// timeout).
func (s *session) trouble(what string, err error) error {
	if err == nil {
		return nil
	}
	select {
	case <-s.dev.Lost():
		return fmt.Errorf("%w: %s: %v", pool.ErrPortLost, what, err)
	default:
	}
	if errors.Is(err, at.ErrBusy) {
		s.log.Debug(what+" skipped: the modem is busy", "err", err)
		return nil
	}
	if modemLevel(err) || errors.Is(err, context.DeadlineExceeded) && !s.inCMGS.Load() && s.g.hard.Err() == nil {
		return fmt.Errorf("%w: %s: %v", pool.ErrUnresponsive, what, err)
	}
	s.log.Warn(what+" failed", "err", err)
	return nil
}

func (s *session) event(ctx context.Context, ev modem.Event) error {
	octx, cancel := s.opCtx()
	defer cancel()
	switch ev.Kind {
	case modem.EventMessageStored:
		s.g.noteCMTI(s.m.ID(), ev.Time)
		st, err := s.dev.ReadStoredIn(octx, ev.Storage, ev.Index)
		if errors.Is(err, modem.ErrEmptySlot) {
			s.slotGone(octx, s.slot(ev.Storage, ev.Index)) // a sweep took it already
			return nil
		}
		if err != nil {
			return s.trouble("read stored message", err)
		}
		return s.stored(octx, ev.Storage, st)
	case modem.EventMessage:
		s.g.noteCMTI(s.m.ID(), ev.Time)
		// Never de-duplicated: two identical +CMT are two deliveries.
		if _, err := s.commit(octx, ev.PDU, nil); err != nil {
			s.log.Error("direct message not stored (the modem already acknowledged it)", "err", err)
		}
		return nil
	case modem.EventStatusReport:
		if _, err := s.commit(octx, ev.PDU, nil); err != nil {
			s.log.Warn("status report not applied", "err", err)
		}
		return nil
	case modem.EventStatusReportStored:
		st, err := s.dev.ReadStoredIn(octx, ev.Storage, ev.Index)
		if errors.Is(err, modem.ErrEmptySlot) {
			return nil
		}
		if err != nil {
			return s.trouble("read stored report", err)
		}
		return s.stored(octx, ev.Storage, st)
	case modem.EventRegistration:
		s.setRegistered(ev.Registration)
		s.log.Info("registration changed", "state", ev.Registration.State)
	case modem.EventReset:
		s.log.Warn("modem reset; settings applied again; sweeping storage", "err", ev.Err)
		return s.sweep(ctx)
	case modem.EventPortLost:
		return fmt.Errorf("%w: %v", pool.ErrPortLost, ev.Err)
	case modem.EventUSSD:
		s.log.Info("network USSD", "text", ev.USSD.Text)
	}
	return nil
}

// slot names a storage place for de-duplication: the storage as the
// modem calls it ("" meaning the receive storage) and the index.
func (s *session) slot(storage string, index int) queue.Slot {
	if storage == "" {
		storage = s.dev.Setup().Storage
	}
	if storage == "" {
		storage = "default"
	}
	return queue.Slot{Storage: strings.ToUpper(storage), Index: index}
}

// slotGone tells the queue that a slot is empty now, so the next message
// stored there is new even if byte for byte the same. A failure only
// means a later re-read of identical bytes in that slot would be taken for
// the committed one until a sweep sees the slot empty; it is logged.
func (s *session) slotGone(ctx context.Context, sl queue.Slot) {
	if err := s.g.store.SlotDeleted(ctx, s.m.ID(), sl); err != nil {
		s.log.Warn("slot delete not recorded", "storage", sl.Storage, "index", sl.Index, "err", err)
	}
}

// stored commits one stored message and deletes it once committed (or
// known to be committed already), then records the delete. A message no
// decoder can read is committed raw and deleted like any other. Messages
// we did not receive (drafts, sent copies) stay.
func (s *session) stored(ctx context.Context, storage string, st modem.Stored) error {
	if st.Stat == 2 || st.Stat == 3 {
		return nil
	}
	sl := s.slot(storage, st.Index)
	keep, err := s.commit(ctx, st.PDU, &sl)
	if err != nil {
		s.log.Error("stored message not committed; left on the modem", "storage", sl.Storage, "index", st.Index, "err", err)
		s.uncommitted = true
		return nil
	}
	if keep {
		return nil
	}
	if err := s.dev.DeleteStoredIn(ctx, storage, st.Index); err != nil && !errors.Is(err, modem.ErrEmptySlot) {
		return s.trouble("delete stored message", err)
	}
	s.slotGone(ctx, sl)
	return nil
}

// commit stores a received PDU (hex, with its SMSC field, as the modem
// printed it) in the queue: a DELIVER part, a status report applied to its
// sent part, or, when nothing can decode it, a raw undecodable record.
// slot is where it was read from (nil for +CMT/+CDS). keep reports a PDU
// that is not ours to delete or that could not be committed.
func (s *session) commit(ctx context.Context, raw string, slot *queue.Slot) (keep bool, err error) {
	raw = strings.TrimSpace(raw)
	b, err := hex.DecodeString(raw)
	if err != nil {
		return s.undecodable(ctx, raw, slot, fmt.Errorf("pdu: not hex: %w", err))
	}
	msg, err := pdu.Decode(b)
	if err != nil {
		return s.undecodable(ctx, raw, slot, err)
	}
	switch v := msg.(type) {
	case *pdu.Deliver:
		p := queue.InboundPart{Modem: s.m.ID(), Sender: v.From.String(), SCTS: v.SCTS, PDU: b, Slot: slot, Defects: v.Defects}
		if c, ok := pdu.ConcatOf(v); ok {
			p.Ref, p.Total, p.Seq = int(c.Ref), c.Total, c.Seq
		}
		res, err := s.g.store.AddInboundPart(ctx, p)
		if errors.Is(err, queue.ErrInvalid) {
			// Decoded, but not something the queue can hold as a part:
			// keep it raw rather than on the SIM.
			return s.undecodable(ctx, raw, slot, err)
		}
		if err != nil {
			return true, err
		}
		if !res.Duplicate {
			s.m.CountReceived()
		}
		s.log.Info("received part", "from", redactNumber(p.Sender), "seq", p.Seq, "total", p.Total,
			"duplicate", res.Duplicate, "joined", res.InboxID, "defects", len(p.Defects))
		return false, nil
	case *pdu.StatusReport:
		r := queue.Report{Modem: s.m.ID(), MR: int(v.MR), Recipient: v.Recipient.String(), Code: int(v.Status)}
		switch {
		case v.Status.Delivered():
			r.Status = queue.ReportDelivered
		case v.Status.Pending():
			r.Status = queue.ReportPending
		default:
			r.Status = queue.ReportFailed
		}
		s.recording.wait()
		match, err := s.g.store.ApplyReport(ctx, r)
		if errors.Is(err, queue.ErrNoMatch) {
			s.log.Info("status report matches no sent part", "mr", r.MR, "status", v.Status.Meaning())
			return false, nil
		}
		if err != nil {
			return true, err
		}
		s.log.Info("status report", "message_id", match.MessageID, "part", match.Seq, "status", v.Status.Meaning(), "state", match.State)
		return false, nil
	}
	return true, nil // a SUBMIT copy: not received traffic
}

// undecodable commits a PDU no decoder could read as a raw inbox record,
// so it can leave the SIM (a few dozen of them would fill it and stop all
// reception).
func (s *session) undecodable(ctx context.Context, raw string, slot *queue.Slot, derr error) (keep bool, err error) {
	if raw == "" {
		raw = "-" // an empty PDU line still names a slot to free
	}
	u := queue.Undecodable{Modem: s.m.ID(), Slot: slot, PDU: raw, Err: derr.Error()}
	if len(u.PDU) > 2*queue.MaxPDUBytes {
		u.PDU = u.PDU[:2*queue.MaxPDUBytes]
	}
	res, err := s.g.store.AddUndecodable(ctx, u)
	if err != nil {
		return true, fmt.Errorf("undecodable PDU (%v) not stored: %w", derr, err)
	}
	if !res.Duplicate {
		s.m.CountReceived()
	}
	args := []any{"err", derr, "duplicate", res.Duplicate, "id", res.InboxID}
	if slot != nil {
		args = append(args, "storage", slot.Storage, "index", slot.Index)
	}
	s.log.Warn("undecodable message committed raw", args...)
	return false, nil
}

// sweep reads everything stored on the modem and commits what was missed
// (a +CMTI lost while the daemon was down, a full storage).
func (s *session) sweep(ctx context.Context) error {
	octx, cancel := s.opCtx()
	defer cancel()
	list, err := s.dev.ListStored(octx)
	if err != nil {
		return s.trouble("list stored messages", err)
	}
	storage := s.dev.Setup().Storage
	// Slots committed earlier and absent now were deleted, whether or not
	// that delete was recorded.
	present := make([]int, len(list))
	for i, st := range list {
		present[i] = st.Index
	}
	if _, err := s.g.store.SlotsSeen(octx, s.m.ID(), s.slot(storage, 0).Storage, present); err != nil {
		s.log.Warn("stale slot records not cleared", "err", err)
	}
	for _, st := range list {
		if err := s.stored(octx, storage, st); err != nil {
			return err
		}
	}
	if len(list) > 0 {
		s.log.Info("storage swept", "messages", len(list))
	}
	return nil
}

// health reads registration, signal, operator and storage use for the
// status page, warns about a full storage and drains it.
func (s *session) health(ctx context.Context) error {
	octx, cancel := s.opCtx()
	defer cancel()
	reg, err := s.dev.Registration(octx)
	if err != nil {
		return s.trouble("registration", err)
	}
	s.setRegistered(reg)
	if sig, err := s.dev.Signal(octx); err == nil {
		s.lv.setSignal(sig)
	} else if e := s.trouble("signal", err); e != nil {
		return e
	}
	if op, err := s.dev.Operator(octx); err == nil {
		s.lv.setOperator(op.Name)
	}
	st, err := s.dev.Storage(octx)
	if err == nil && st.Total > 0 && st.Used >= st.Total {
		s.log.Warn("message storage full: new messages cannot arrive until it is drained; draining", "storage", st.Storage, "used", st.Used, "total", st.Total)
		return s.sweep(ctx)
	}
	s.m.Touch()
	return nil
}

// redactNumber keeps the country code and the last two digits of a phone
// number for info logs.
func redactNumber(n string) string {
	if len(n) <= 6 {
		return n
	}
	return n[:3] + "…" + n[len(n)-2:]
}
