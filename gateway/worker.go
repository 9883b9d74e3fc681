package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"smsgw"
	"smsgw/modem"
	"smsgw/modem/pdu"
	"smsgw/modem/pool"
	"smsgw/queue"
)

// session is one modem's working life between open and failure: a sender
// that claims from the queue and a receiver that handles the modem's events
// and sweeps its storage. Both end when either fails; the pool then
// recovers the device.
type session struct {
	g   *Gateway
	m   *pool.Member
	dev Device
	log *slog.Logger
	lv  *live
	// sendCtx carries the sends: not ended by a graceful stop, ended by an
	// abort or when the receiver finds the modem dead.
	sendCtx context.Context

	// recording holds the parts from their AT+CMGS until their MR is
	// committed; the receiver waits for those pending when a status
	// report comes before it applies it: the network can answer with a
	// report before the sender has recorded the part, and the report
	// would then match nothing. A message's last part is recorded in the
	// background while the next message goes out (see sendJob), so two
	// parts may be pending at once. The sender never waits for the
	// receiver: a report applied does not hold up the next message.
	recording pendingRecords
	inCMGS    atomic.Bool
	// records are the background records of last parts still committing;
	// send waits for them before it returns. recorded is closed when the
	// latest of them has ended (nil before the first); only the sender
	// goroutine reads or sets the field.
	records  sync.WaitGroup
	recorded chan struct{}

	// uncommitted is set (by the receiver) when a received message could
	// not be committed and stays on the SIM: the receiver sweeps again
	// soon rather than at the next SweepInterval, so that messages left
	// there while the database was unreachable come in once it is back.
	uncommitted bool

	regMu      sync.Mutex
	registered bool
	regCh      chan struct{} // closed and replaced when registration changes
}

// runSession is the pool's SessionFunc.
func (g *Gateway) runSession(ctx context.Context, m *pool.Member, pd pool.Device) error {
	dev, ok := pd.(Device)
	if !ok {
		return fmt.Errorf("gateway: device of %T cannot send", pd)
	}
	s := &session{g: g, m: m, dev: dev, log: g.log.With("modem", m.ID()), lv: g.liveFor(m.ID()), regCh: make(chan struct{})}
	s.lv.setTrace(dev.Trace())
	// A graceful stop (ctx) lets the part on the wire finish; a modem found
	// dead (kill) or an abort (g.hard) does not.
	var kill context.CancelFunc
	s.sendCtx, kill = context.WithCancel(g.hard)
	defer kill()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() {
		err := s.receive(ctx)
		if err != nil {
			kill()
		}
		errs <- err
	}()
	go func() { errs <- s.send(ctx) }()
	err := <-errs
	cancel()
	if err2 := <-errs; err == nil {
		err = err2
	}
	return err
}

func (s *session) setRegistered(r modem.Registration) {
	s.lv.setRegistration(r)
	s.regMu.Lock()
	defer s.regMu.Unlock()
	if s.registered != r.Registered {
		s.registered = r.Registered
		close(s.regCh)
		s.regCh = make(chan struct{})
	}
}

// waitRegistered blocks until the modem is registered or ctx ends.
func (s *session) waitRegistered(ctx context.Context) bool {
	for {
		s.regMu.Lock()
		ok, ch := s.registered, s.regCh
		s.regMu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

// send is the worker loop: claim, send, record, until ctx ends (graceful
// stop: the message on the wire finishes first) or the modem fails.
func (s *session) send(ctx context.Context) error {
	co := queue.ClaimOptions{Modem: s.m.ID(), Tags: s.m.Spec().Tags, Limits: s.g.limits[s.m.ID()]}
	pause := time.Duration(0)
	streak := 0 // consecutive temporary failures
	// next is a message claimed while the previous one was on the wire;
	// last how long the last successful send took.
	var next *queue.Job
	var last time.Duration
	defer func() {
		s.giveBack(next)
		s.records.Wait()
	}()
	for {
		if !s.registeredNow() {
			// Not to be held through an outage: other modems may send it.
			s.giveBack(next)
			next = nil
		}
		if !s.waitRegistered(ctx) {
			return nil
		}
		if s.overBudget(ctx) {
			// Held by a spending cap: what this modem claimed ahead goes
			// back to the others, and nothing more until the cap lifts.
			s.giveBack(next)
			next = nil
			if !s.waitBudget(ctx) {
				return nil
			}
			continue
		}
		if pause > 0 {
			s.giveBack(next)
			next = nil
			// After a modem-level refusal or a run of temporary errors:
			// let the other modems take the queue for a while.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(pause):
			}
		}
		job, err := next, error(nil)
		next = nil
		if job == nil {
			job, err = queue.Claim(ctx, s.g.store, co)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, queue.ErrClosed) {
				return nil
			}
			s.log.Error("claim failed", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		ahead := s.claimAhead(ctx, co, last)
		t0 := time.Now()
		class, err := s.sendJob(job)
		if class == "" && err == nil {
			last = time.Since(t0)
		}
		next = ahead.take()
		switch {
		case err != nil && errors.Is(err, pool.ErrPortLost):
			return err
		case err != nil:
			return fmt.Errorf("%w: %v", pool.ErrUnresponsive, err)
		case class == queue.ModemFault:
			pause = min(max(2*pause, 5*time.Second), 2*time.Minute)
		case class == queue.Temporary:
			// One temporary error is the message's bad luck; several in a
			// row are this modem's (its SMSC, its cell): step back so the
			// other modems take the queue instead of this one burning
			// every message's attempts.
			if streak++; streak >= 2 {
				pause = min(max(2*pause, time.Second), 2*time.Minute)
				s.log.Warn("repeated temporary errors; modem paused", "streak", streak, "pause", pause)
			}
		default:
			pause, streak = 0, 0
		}
	}
}

// overBudget says whether a spending cap holds the modem now.
func (s *session) overBudget(ctx context.Context) bool {
	if s.g.budget == nil {
		return false
	}
	reason, _, _ := s.g.budget.Blocked(ctx, s.m.ID())
	return reason != ""
}

// waitBudget blocks while a spending cap holds the modem: until a cap or
// the spend changes, or the cap's period ends. False when ctx ended.
func (s *session) waitBudget(ctx context.Context) bool {
	logged := ""
	for {
		reason, until, changed := s.g.budget.Blocked(ctx, s.m.ID())
		if reason == "" {
			s.log.Info("budget no longer reached; sending again")
			return true
		}
		if reason != logged {
			s.log.Warn("modem paused by its budget; messages stay queued", "reason", reason)
			logged = reason
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if !until.IsZero() {
			timer = time.NewTimer(time.Until(until) + time.Second)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return false
		}
	}
}

// registeredNow says whether the modem is registered at this moment.
func (s *session) registeredNow() bool {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	return s.registered
}

// giveBack hands a message claimed ahead back to the queue untouched.
func (s *session) giveBack(job *queue.Job) {
	if job == nil {
		return
	}
	if err := s.record(s.log.With("message_id", job.ID), "release", func(ctx context.Context) error {
		return s.g.store.Release(ctx, job.AttemptID)
	}); err != nil {
		s.log.Error("release of a message claimed ahead failed", "message_id", job.ID, "err", err)
	}
}

// A worker claims its next message while the current one is on the wire,
// so that the modem starts it as soon as the network has taken this one
// instead of after a claim's commit. The claim is made late in the send
// (claimAheadShare of the last send's time on this modem, at least
// claimAheadMin in): until then a modem that is idle has the time to claim
// first, and a message claimed ahead waits for this modem. If this send
// then runs claimAheadHold longer than expected (a modem gone silent), the
// message is handed back for the others.
const (
	claimAheadMin   = 50 * time.Millisecond
	claimAheadShare = 0.75
	claimAheadHold  = 2 * time.Second
)

// ahead is a claim made while a message is on the wire.
type ahead struct {
	stop chan struct{}
	done chan struct{}
	job  *queue.Job
}

// claimAhead starts claiming this modem's next message. last is how long
// the previous send took (0: none yet). Not under rate limits: a claim
// counts as a send from the moment it is made, and a limit is to hold
// exactly.
func (s *session) claimAhead(ctx context.Context, co queue.ClaimOptions, last time.Duration) *ahead {
	a := &ahead{stop: make(chan struct{}), done: make(chan struct{})}
	if len(co.Limits) > 0 {
		close(a.done)
		return a
	}
	delay := max(time.Duration(float64(last)*claimAheadShare), claimAheadMin)
	go func() {
		defer close(a.done)
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-a.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.overBudget(ctx) {
			return
		}
		job, err := s.g.store.TryClaim(ctx, co)
		if err != nil {
			if !errors.Is(err, queue.ErrNoMessage) && ctx.Err() == nil && !errors.Is(err, queue.ErrClosed) {
				s.log.Warn("claiming ahead failed", "err", err)
			}
			return
		}
		t.Reset(max(last-delay, 0) + claimAheadHold)
		select {
		case <-a.stop:
			a.job = job
		case <-ctx.Done():
			a.job = job // the caller hands it back
		case <-t.C:
			s.giveBack(job)
		}
	}()
	return a
}

// take ends the claim ahead (if it has not started) and returns what it
// claimed, nil if nothing.
func (a *ahead) take() *queue.Job {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	<-a.done
	return a.job
}

// sendJob sends one claimed message part by part, recording each part
// durably before the next. It returns the class of a failure (for pacing)
// and an error only when the modem itself is in trouble.
func (s *session) sendJob(job *queue.Job) (queue.ErrorClass, error) {
	// Parts already on the wire finish even during a graceful stop.
	ctx := s.sendCtx
	log := s.log.With("message_id", job.ID)
	ref := rand.IntN(255) + 1
	if job.Resume != nil {
		ref = job.Resume.Ref
	}
	opt := pdu.SubmitOptions{StatusReport: job.Report}
	opt.Ref = uint16(ref)
	switch job.Coding {
	case "gsm7":
		opt.Coding = pdu.CodingGSM7
	case "ucs2":
		opt.Coding = pdu.CodingUCS2
	}
	opt.Flash = job.Flash
	if !job.ExpiresAt.IsZero() {
		// The SMSC stops trying when the message is no longer wanted.
		opt.Validity = max(time.Until(job.ExpiresAt), 5*time.Minute)
	}
	parts, err := encodeJob(job, opt)
	if err != nil {
		f := queue.Failure{Class: queue.Permanent, Err: "cannot encode: " + err.Error()}
		if _, merr := s.g.store.MarkFailed(ctx, job.AttemptID, f); merr != nil {
			log.Error("mark failed", "err", merr)
		}
		s.m.CountFailed(-1)
		return queue.Permanent, nil
	}
	todo := parts
	if job.Resume != nil && job.Resume.Total == len(parts) {
		todo = todo[:0:0]
		for _, seq := range job.Resume.Missing() {
			todo = append(todo, parts[seq-1])
		}
	}
	total := len(parts)
	sent := 0
	started := time.Now()
	wire := make([]modem.Part, len(todo))
	for i, p := range todo {
		wire[i] = modem.Part{Len: p.TPDULen, Hex: p.Hex}
	}
	// The remaining parts go out in one call, so the driver can keep the
	// radio link open across them (AT+CMMS); each part's MR is committed
	// from the callback before the next part is written, so a crash
	// leaves the queue knowing which parts the phone already has. The
	// burst is pending in s.recording throughout: a status report for an
	// early part waits until its part is recorded.
	//
	// The last part's record (MarkSent) is the exception: it commits in
	// the background, the burst still pending until it has, while this
	// modem goes on to its next message. Nothing is sent of this message after
	// it, so a crash before it commits leaves what a crash just before the
	// next AT+CMGS would: the part out, the attempt open, recovery's
	// policy to apply. The modem is idle a commit less per message.
	var recErr error
	async := false
	var recorded func() // ends the burst's place in s.recording
	onPart := func(i, mr int) error {
		p := todo[i]
		pr := queue.PartResult{Seq: p.Seq, Total: total, Ref: ref, MR: max(mr, 0)}
		if i == len(todo)-1 {
			async = true
			sent++
			s.records.Add(1)
			done := make(chan struct{})
			s.recorded = done
			go func() {
				defer s.records.Done()
				defer close(done)
				defer recorded()
				if err := s.record(log, "sent part", func(ctx context.Context) error {
					_, err := s.g.store.MarkSent(ctx, job.AttemptID, pr)
					return err
				}); err != nil {
					// The store closed under us: the queue's recovery
					// decides at the next start.
					log.Error("recording a sent part failed", "part", p.Seq, "err", err)
					return
				}
				s.sentRecorded(log, total, started)
			}()
			return nil
		}
		err := s.record(log, "sent part", func(ctx context.Context) error {
			return s.g.store.MarkPartSent(ctx, job.AttemptID, pr)
		})
		if err != nil {
			recErr = err
			return err
		}
		sent++
		return nil
	}
	// A STOP committed since the claim (this message was claimed ahead
	// while the previous one was on the wire) cancels it here, before any
	// byte of it reaches the modem; without one this costs no query.
	if ok, err := s.g.store.StillWanted(ctx, job); err != nil {
		// The store closed under us or failed: hand it back unsent; the
		// next claim checks consent again.
		log.Error("consent recheck failed; message handed back", "err", err)
		s.giveBack(job)
		return queue.Temporary, nil
	} else if !ok {
		log.Info("cancelled before sending: consent refuses it since an opt-out after its claim")
		return "", nil
	}
	// The previous message's last part must be on record before this
	// one's first goes out: a crash then leaves at most one unrecorded
	// message per modem (the only duplicate recovery may cause), however
	// slow the database is to commit. The modem sends nothing before the
	// PDU's ^Z, so the wait runs at the prompt: AT+CMGS= and the modem's
	// "> " go back and forth while the record commits. A record slower
	// than recordHold leaves the prompt (ESC) and is waited for here.
	held := false
	if prev := s.recorded; prev != nil {
		wire[0].Hold = func(ctx context.Context) error {
			t := time.NewTimer(recordHold)
			defer t.Stop()
			select {
			case <-prev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				held = true
				return errRecordPending
			}
		}
	}
	recorded = s.recording.begin()
	if f := s.g.opts.OnCMGS; f != nil {
		f(job.ID, time.Now())
	}
	s.inCMGS.Store(true)
	_, err = s.dev.SendPartsFunc(ctx, wire, onPart)
	if held && errors.Is(err, errRecordPending) {
		log.Warn("the previous message took long to record; waiting for it before sending this one")
		s.records.Wait()
		wire[0].Hold = nil
		_, err = s.dev.SendPartsFunc(ctx, wire, onPart)
	}
	s.inCMGS.Store(false)
	if !async {
		recorded()
	} else if s.g.budget != nil {
		// Every part is out: the budget counts it before the next claim.
		s.g.budget.Sent(s.m.ID(), job.ID, job.To, total, job.Campaign)
	}
	if recErr != nil {
		// The part is out but could not be recorded (the store closed
		// under us): the queue's recovery decides at the next start;
		// sending on would lose track.
		log.Error("recording a sent part failed", "part", todo[sent].Seq, "err", recErr)
		return queue.Temporary, nil
	}
	if err != nil && async {
		// Every part is out and being recorded: nothing left to fail.
		log.Warn("the modem reported an error after the last part was sent", "err", err)
		return "", nil
	}
	if err != nil {
		return s.sendFailed(log, job, sent, err)
	}
	return "", nil
}

// recordHold bounds how long a modem is kept at the prompt for the record
// of the previous message (a commit takes milliseconds; a database in
// trouble may take much longer, and a modem is not to sit at a prompt
// meanwhile).
const recordHold = time.Second

// errRecordPending is the hold at the prompt giving up on the previous
// message's record.
var errRecordPending = errors.New("the previous message is not on record yet")

// pendingRecords is the set of sends whose parts may be out but not yet on
// record.
type pendingRecords struct {
	mu   sync.Mutex
	next uint64
	open map[uint64]chan struct{}
}

// begin adds a send to the set; the function it returns removes it, once.
func (p *pendingRecords) begin() func() {
	ch := make(chan struct{})
	p.mu.Lock()
	if p.open == nil {
		p.open = map[uint64]chan struct{}{}
	}
	id := p.next
	p.next++
	p.open[id] = ch
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		delete(p.open, id)
		p.mu.Unlock()
		close(ch)
	}
}

// wait returns once every send pending when it was called has ended: a
// report that came then is for a part already recorded or one of these
// (a part's report cannot come before its AT+CMGS). Sends begun later are
// not waited for.
func (p *pendingRecords) wait() {
	p.mu.Lock()
	chs := make([]chan struct{}, 0, len(p.open))
	for _, ch := range p.open {
		chs = append(chs, ch)
	}
	p.mu.Unlock()
	for _, ch := range chs {
		<-ch
	}
}

// sentRecorded counts a message whose last part is recorded.
func (s *session) sentRecorded(log *slog.Logger, parts int, started time.Time) {
	s.m.CountSent()
	s.m.Touch()
	if obs := s.g.opts.ObserveSend; obs != nil {
		obs(s.m.ID(), time.Since(started))
	}
	log.Info("sent", "parts", parts)
}

// encodeJob builds the SUBMITs of a job: its text, or its 8-bit data, with
// the port, header, class and TP-PID it carries.
func encodeJob(job *queue.Job, opt pdu.SubmitOptions) ([]pdu.Part, error) {
	b := job.Binary
	if b.Class != nil {
		opt.Class = pdu.ClassOf(*b.Class)
	}
	opt.PID = byte(b.PID)
	if b.Ports != nil {
		opt.Ports = &pdu.Ports{Dst: b.Ports.Dst, Src: b.Ports.Src, Bits: 16}
	}
	if len(b.UDH) > 0 {
		h, _, err := pdu.ParseUDH(b.UDH)
		if err != nil {
			return nil, fmt.Errorf("user data header: %w", err)
		}
		opt.Header = h
	}
	if b.IsData() {
		return pdu.EncodeSubmitData(job.To, b.Data, opt)
	}
	return pdu.EncodeSubmit(job.To, job.Text, opt)
}

// record commits the outcome of a part: what the modem confirmed (the only
// thing that keeps a sent part from being sent again), or how the attempt
// ended. Neither a graceful stop nor an abort may cancel it: it runs on a
// context that cannot end, and a failing store is retried with backoff
// until it takes the record, so no message is left "sending" until the
// next start. It gives up only when retrying cannot help: the store is
// closed (the process is going away; recovery at the next start applies
// the policy) or the attempt is no longer ours.
func (s *session) record(log *slog.Logger, what string, fn func(ctx context.Context) error) error {
	ctx := context.WithoutCancel(s.sendCtx)
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				log.Info(what+" recorded after retries", "attempts", attempt)
			}
			return nil
		}
		if errors.Is(err, queue.ErrClosed) || errors.Is(err, queue.ErrNotClaimed) ||
			errors.Is(err, smsgw.ErrNotFound) || errors.Is(err, queue.ErrInvalid) {
			return err
		}
		wait := recordBackoff.Delay(attempt, 0)
		log.Warn("recording a "+what+" failed; retrying", "attempt", attempt, "in", wait, "err", err)
		time.Sleep(wait)
	}
}

// recordBackoff spaces the attempts to record a part's outcome: short at
// first (a busy database frees up in milliseconds), never more than a few
// seconds apart.
var recordBackoff = smsgw.Backoff{Initial: 50 * time.Millisecond, Max: 5 * time.Second}

// sendFailed ends a failed attempt and says whether the modem is to blame.
// What it records follows from two facts: did any byte of the part's PDU
// reach the modem, and did the modem answer.
//
//   - Not on the wire and no answer (no "> " prompt, the port closed, a
//     stop before the write): nothing was sent. The message goes back to
//     the queue at once for any modem, not counted against it; a modem
//     that missed its prompt is resynced before it claims again.
//   - On the wire and no answer (timeout after ^Z, cancellation, port
//     closed): the part may have left. retry.policy decides: resend
//     (at-least-once) or mark uncertain (at-most-once). Never released.
//   - An answer (+CMS ERROR...): the modem's verdict, classified.
func (s *session) sendFailed(log *slog.Logger, job *queue.Job, sent int, err error) (queue.ErrorClass, error) {
	lost := false
	select {
	case <-s.dev.Lost():
		lost = true
	default:
	}
	if unanswered(err) && !onWire(err) {
		if rerr := s.record(log, "release", func(ctx context.Context) error { return s.g.store.Release(ctx, job.AttemptID) }); rerr != nil {
			log.Error("release failed", "err", rerr)
		}
		s.m.NoteError(err)
		switch {
		case lost:
			return queue.ModemFault, fmt.Errorf("%w: %v", pool.ErrPortLost, err)
		case s.sendCtx.Err() != nil:
			return queue.ModemFault, nil // stopping or aborted: hand back untouched
		}
		log.Warn("modem did not answer; message handed back with nothing sent", "err", err)
		if rerr := s.resync(); rerr != nil {
			return queue.ModemFault, fmt.Errorf("no answer to a send, nor to a resync: %v; %w", err, rerr)
		}
		return "", nil
	}
	if unanswered(err) {
		// The modem took the part but never answered: it may be out.
		if s.g.opts.Retry.AtMostOnce {
			s.m.CountFailed(-1)
			s.m.NoteError(err)
			why := "the part was on the wire when the modem stopped answering; not resent (retry.policy at-most-once): " + err.Error()
			if merr := s.record(log, "uncertain part", func(ctx context.Context) error {
				_, err := s.g.store.MarkUncertain(ctx, job.AttemptID, why)
				return err
			}); merr != nil {
				log.Error("mark uncertain", "err", merr)
			}
			log.Warn("send uncertain", "err", err)
		} else {
			f := queue.Failure{Class: queue.Temporary,
				Err: "uncertain, resending (retry.policy at-least-once): " + err.Error()}
			s.m.CountFailed(-1)
			s.m.NoteError(err)
			if merr := s.record(log, "uncertain part", func(ctx context.Context) error {
				_, err := s.g.store.MarkFailed(ctx, job.AttemptID, f)
				return err
			}); merr != nil {
				log.Error("mark failed", "err", merr)
			}
			log.Warn("send uncertain; will resend", "err", err)
		}
		switch {
		case lost:
			return queue.Temporary, fmt.Errorf("%w: %v", pool.ErrPortLost, err)
		case s.sendCtx.Err() != nil:
			return queue.Temporary, nil
		case modemLevel(err):
			return queue.Temporary, err
		}
		return queue.Temporary, nil
	}
	f := failure(err)
	code := -1
	if f.Code != 0 {
		code = f.Code
	}
	s.m.CountFailed(code)
	s.m.NoteError(err)
	if merr := s.record(log, "failed part", func(ctx context.Context) error {
		_, err := s.g.store.MarkFailed(ctx, job.AttemptID, f)
		return err
	}); merr != nil {
		log.Error("mark failed", "err", merr)
	}
	log.Warn("send failed", "class", f.Class, "code", f.Code, "err", err)
	if modemLevel(err) {
		if lost {
			return f.Class, fmt.Errorf("%w: %v", pool.ErrPortLost, err)
		}
		return f.Class, err
	}
	return f.Class, nil
}

// resync brings a modem that missed an answer back in step: ESC (the
// engine sent one already if a prompt was pending) and a bare AT, bounded
// by the prompt timeout. An error means the modem is still silent: the
// session ends and the pool recovers the device (reopen, then reset).
func (s *session) resync() error {
	ctx, cancel := context.WithTimeout(s.sendCtx, s.g.opts.Retry.PromptTimeout)
	defer cancel()
	if err := s.dev.Ping(ctx); err != nil {
		return fmt.Errorf("resync: %w", err)
	}
	s.log.Info("modem answers again after a missed answer")
	return nil
}
