package gateway

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"smsgw/modem"
	"smsgw/modem/pdu"
	"smsgw/modem/pool"
	"smsgw/queue"
)

// defaultHealthEvery is how often a session reads registration, signal
// and storage use: the only AT traffic of an idle modem.
const defaultHealthEvery = time.Minute

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
	sweepT := time.NewTicker(s.g.cfg.Inbound.SweepInterval.Duration)
	defer sweepT.Stop()
	healthT := time.NewTicker(s.g.healthEvery)
	defer healthT.Stop()
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
		case <-healthT.C:
			err = s.health(ctx)
		}
		if err != nil {
			return err
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
			return nil // a sweep took it already
		}
		if err != nil {
			return s.trouble("read stored message", err)
		}
		return s.stored(octx, ev.Storage, st)
	case modem.EventMessage:
		s.g.noteCMTI(s.m.ID(), ev.Time)
		b, err := hex.DecodeString(ev.PDU)
		if err != nil {
			s.log.Error("unreadable +CMT PDU", "pdu", ev.PDU, "err", err)
			return nil
		}
		_, err = s.commit(octx, b)
		if err != nil {
			s.log.Error("direct message not stored (the modem already acknowledged it)", "pdu", ev.PDU, "err", err)
		}
		return nil
	case modem.EventStatusReport:
		b, err := hex.DecodeString(ev.PDU)
		if err == nil {
			_, err = s.commit(octx, b)
		}
		if err != nil {
			s.log.Warn("status report not applied", "pdu", ev.PDU, "err", err)
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

// stored commits one stored message and deletes it once committed (or
// known to be a duplicate). Messages we did not receive (drafts, sent
// copies) stay.
func (s *session) stored(ctx context.Context, storage string, st modem.Stored) error {
	if st.Stat == 2 || st.Stat == 3 {
		return nil
	}
	b, err := hex.DecodeString(st.PDU)
	if err != nil {
		s.log.Error("unreadable stored PDU left on the modem", "index", st.Index, "pdu", st.PDU)
		return nil
	}
	keep, err := s.commit(ctx, b)
	if err != nil {
		s.log.Error("stored message not committed; left on the modem", "index", st.Index, "err", err)
		return nil
	}
	if keep {
		return nil
	}
	if err := s.dev.DeleteStoredIn(ctx, storage, st.Index); err != nil && !errors.Is(err, modem.ErrEmptySlot) {
		return s.trouble("delete stored message", err)
	}
	return nil
}

// commit stores a received PDU (with its SMSC field) in the queue: a
// DELIVER part, or a status report applied to its sent part. keep reports
// a PDU that is not ours to delete.
func (s *session) commit(ctx context.Context, b []byte) (keep bool, err error) {
	msg, err := pdu.Decode(b)
	if err != nil {
		return true, fmt.Errorf("decode: %w", err)
	}
	switch v := msg.(type) {
	case *pdu.Deliver:
		p := queue.InboundPart{Modem: s.m.ID(), Sender: v.From.String(), SCTS: v.SCTS, PDU: b}
		if c, ok := pdu.ConcatOf(v); ok {
			p.Ref, p.Total, p.Seq = int(c.Ref), c.Total, c.Seq
		}
		res, err := s.g.store.AddInboundPart(ctx, p)
		if err != nil {
			return true, err
		}
		if !res.Duplicate {
			s.m.CountReceived()
		}
		s.log.Info("received part", "from", redactNumber(p.Sender), "seq", p.Seq, "total", p.Total, "duplicate", res.Duplicate, "joined", res.InboxID)
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
		s.recording.Lock()
		match, err := s.g.store.ApplyReport(ctx, r)
		s.recording.Unlock()
		if errors.Is(err, queue.ErrNoMatch) {
			s.log.Info("status report matches no sent part", "mr", r.MR, "status", v.Status.Meaning())
			return false, nil
		}
		if err != nil {
			return true, err
		}
		s.log.Info("status report", "msg", match.MessageID, "part", match.Seq, "status", v.Status.Meaning(), "state", match.State)
		return false, nil
	}
	return true, nil // a SUBMIT copy: not received traffic
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
