package campaign

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"smsgw"
)

// FeedBatch is how many recipients one feeding transaction queues.
const FeedBatch = 2000

// Unlimited is a Quota with no cap.
const Unlimited = -1

// Quota is how many of a campaign's recipients may be queued now.
type Quota struct {
	// N is the number that may go now, or Unlimited.
	N int
	// Next is when more may go, when N is capped (zero: at the next
	// change the feeder hears of).
	Next time.Time
	// Pause, when set, pauses the campaign with this reason (a budget
	// reached): its queued messages are held and nothing is lost.
	Pause string
}

// Gate is the seam through which schedules, send windows, rates and
// budgets decide when recipients go. The feeder asks every gate, before
// each batch, how many recipients may go (Quota), then about each
// recipient (Admit), and tells each gate what it queued (Fed). A gate is
// called from the feeder's goroutine only.
type Gate interface {
	// Quota says how many of c's recipients may be queued at now.
	Quota(ctx context.Context, c Campaign, now time.Time) (Quota, error)
	// Admit decides about t at now: queue it now (Decision.Now, with the
	// message's send-after and expiry times), or come back at
	// Decision.Retry (zero: at the next pass).
	Admit(c Campaign, t Target, now time.Time) Decision
	// Fed reports the recipients just queued for c.
	Fed(c Campaign, ts []Target, now time.Time)
}

// FeederOptions configure a Feeder.
type FeederOptions struct {
	Store    Store
	Expander Expander
	// Prices quotes a launch's cost; nil: no quote.
	Prices *PriceBook
	// Changed returns a channel closed at the next commit of any change
	// (queue.Notifier.Changed): the feeder then looks whether a campaign
	// finished. Nil: only Wake and timers move it.
	Changed func() <-chan struct{}
	// Gates decide when recipients go; every gate must agree.
	Gates []Gate
	// FinishEvery bounds how often commits make the feeder look for
	// finished campaigns (default 1s).
	FinishEvery time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
	// Location is the zone of repeat rules without their own and of
	// recipients whose contact and number name none (nil: the gateway's
	// local zone).
	Location *time.Location
}

// Feeder moves the recipients of running campaigns into the queue: it
// expands each launched campaign's audience into recipients (once: an
// expansion that runs again after a crash adds nothing twice), feeds them
// into the queue in batches, each recipient's message committed with its
// mark, pauses a campaign a gate asks to pause, and finishes a campaign
// whose every recipient is final. It resumes by itself whatever a crash
// interrupted: at Start it looks at every active campaign.
type Feeder struct {
	o      FeederOptions
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	idle   chan struct{} // closed and replaced after each pass (tests wait on it)
	passes int
	timing *TimingGate // always the last gate
}

// NewFeeder returns a feeder; Start runs it.
func NewFeeder(o FeederOptions) *Feeder {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FinishEvery <= 0 {
		o.FinishEvery = time.Second
	}
	// The campaign's own window and pace come last, so a recipient
	// another gate holds back takes no pace slot.
	timing := NewTimingGate(o.location())
	timing.store, _ = o.Store.(PaceStore)
	o.Gates = append(append([]Gate(nil), o.Gates...), timing)
	return &Feeder{o: o, wake: make(chan struct{}, 1), idle: make(chan struct{}), timing: timing}
}

// Start runs the feeder until Close.
func (f *Feeder) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan struct{})
	go f.run(ctx)
}

// Close stops the feeder, waiting for the batch in progress (bounded by
// ctx). What it had not fed yet is fed after the next Start.
func (f *Feeder) Close(ctx context.Context) error {
	if f.cancel == nil {
		return nil
	}
	f.cancel()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wake makes the feeder look at the campaigns now (a launch, a resume).
func (f *Feeder) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Passes returns the number of passes done and a channel closed when the
// next one ends (for tests that wait for the feeder).
func (f *Feeder) Passes() (int, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.passes, f.idle
}

func (f *Feeder) run(ctx context.Context) {
	defer close(f.done)
	var timer *time.Timer
	var lastFinish time.Time
	for {
		var changed <-chan struct{}
		if f.o.Changed != nil {
			changed = f.o.Changed()
		}
		next, waiting := f.pass(ctx)
		f.mu.Lock()
		f.passes++
		close(f.idle)
		f.idle = make(chan struct{})
		f.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if !waiting {
			changed = nil // nothing running waits for its messages
		}
		var tc <-chan time.Time
		if !next.IsZero() {
			d := max(next.Sub(f.o.Now()), 0)
			timer = resetTimer(timer, d)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-tc:
		case <-changed:
			// Commits come in bursts while a campaign sends: look for
			// finished campaigns at most every FinishEvery.
			if d := f.o.FinishEvery - time.Since(lastFinish); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-f.wake:
				case <-t.C:
				}
				t.Stop()
			}
			lastFinish = time.Now()
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) *time.Timer {
	if t == nil {
		return time.NewTimer(d)
	}
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	t.Reset(d)
	return t
}

// pass works on every active campaign once. It returns when to look
// again (zero: when woken) and whether a running campaign waits for its
// messages to become final.
func (f *Feeder) pass(ctx context.Context) (next time.Time, waiting bool) {
	cs, err := f.o.Store.ActiveCampaigns(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.o.Logger.Error("campaigns: listing active campaigns failed", "err", err)
			next = f.o.Now().Add(5 * time.Second)
		}
		return next, false
	}
	for _, c := range cs {
		n, w, err := f.feed(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return time.Time{}, false
			}
			f.o.Logger.Error("campaign: feeding failed; retrying", "campaign", c.ID, "err", err)
			n = f.o.Now().Add(5 * time.Second)
		}
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
		waiting = waiting || w
	}
	return next, waiting
}

// feed works on one campaign: start it when its time came, expand its
// audience, queue what may go, finish it when done.
func (f *Feeder) feed(ctx context.Context, c Campaign) (next time.Time, waiting bool, err error) {
	now := f.o.Now()
	c, next, wait, err := f.recur(ctx, c, now)
	if wait || err != nil {
		return next, false, err
	}
	if c.State == StateScheduled {
		if c.SendAt != nil && now.Before(*c.SendAt) {
			return *c.SendAt, false, nil
		}
		if c, err = f.o.Store.SetCampaignState(ctx, c.ID, []State{StateScheduled}, StateRunning, ""); err != nil {
			if errors.Is(err, smsgw.ErrConflict) {
				return time.Time{}, false, nil
			}
			return time.Time{}, false, err
		}
	}
	if !c.Expanded {
		if err := f.expand(ctx, c); err != nil {
			var ae *AudienceError
			if errors.As(err, &ae) {
				// The audience changed under the campaign (a group deleted):
				// it cannot go on as defined.
				_, perr := f.o.Store.PauseCampaign(ctx, c.ID, "audience: "+ae.Error())
				return time.Time{}, false, perr
			}
			return time.Time{}, false, err
		}
		c.Expanded = true
	}
	var after int64
	for ctx.Err() == nil {
		now = f.o.Now()
		limit := FeedBatch
		for _, g := range f.o.Gates {
			q, err := g.Quota(ctx, c, now)
			if err != nil {
				return time.Time{}, false, err
			}
			if q.Pause != "" {
				_, err := f.o.Store.PauseCampaign(ctx, c.ID, q.Pause)
				if errors.Is(err, smsgw.ErrConflict) {
					err = nil
				}
				return time.Time{}, false, err
			}
			if q.N != Unlimited && q.N < limit {
				limit = q.N
				if q.N <= 0 {
					next = q.Next
				}
			}
		}
		if limit <= 0 {
			return next, false, nil
		}
		ts, err := f.o.Store.PendingTargets(ctx, c.ID, c.Run, now, after, limit)
		if err != nil {
			return time.Time{}, false, err
		}
		if len(ts) == 0 {
			break
		}
		after = ts[len(ts)-1].ID
		admit := ts[:0:0]
		deferred := map[time.Time][]int64{}
		for _, t := range ts {
			ok, at := true, time.Time{}
			for _, g := range f.o.Gates {
				d := g.Admit(c, t, now)
				if !d.Now {
					ok, at = false, d.Retry
					break
				}
				// The latest start and the earliest expiry of all gates hold.
				if d.SendAfter.After(t.SendAfter) {
					t.SendAfter = d.SendAfter
				}
				if !d.NotAfter.IsZero() && (t.NotAfter.IsZero() || d.NotAfter.Before(t.NotAfter)) {
					t.NotAfter = d.NotAfter
				}
			}
			if ok {
				admit = append(admit, t)
			} else if !at.IsZero() {
				deferred[at] = append(deferred[at], t.ID)
			}
		}
		for at, ids := range deferred {
			if err := f.o.Store.DeferTargets(ctx, ids, at); err != nil {
				return time.Time{}, false, err
			}
		}
		if len(admit) > 0 {
			n, err := f.o.Store.FeedTargets(ctx, c, admit)
			if err != nil {
				return time.Time{}, false, err
			}
			if n == 0 {
				// The campaign left running meanwhile (paused, cancelled).
				return time.Time{}, false, nil
			}
			for _, g := range f.o.Gates {
				g.Fed(c, admit, now)
			}
		}
	}
	at, pending, err := f.o.Store.NextPending(ctx, c.ID, c.Run)
	if err != nil {
		return time.Time{}, false, err
	}
	if pending {
		if !at.After(now) {
			// Held by a gate that named no time: ask again shortly.
			at = now.Add(f.o.FinishEvery)
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
		// A windowed campaign's queued messages expire at their window's
		// close and put their recipients back: look again then.
		return next, c.Window != nil, nil
	}
	done, err := f.o.Store.FinishCampaign(ctx, c.ID)
	if err != nil {
		return time.Time{}, false, err
	}
	if done {
		f.o.Logger.Info("campaign finished", "campaign", c.ID, "run", c.Run)
		f.timing.Forget(c.ID)
		if c.Repeat != "" {
			next = now // the run is over: look for the next one's time
		}
	}
	return next, !done, nil
}

// expand stores the campaign's recipients and what they are quoted to
// cost.
func (f *Feeder) expand(ctx context.Context, c Campaign) error {
	var table *PriceTable
	if f.o.Prices != nil {
		table, _ = f.o.Prices.Table()
	}
	var cost Cost
	if table != nil {
		cost.Currency = table.Currency()
	}
	err := f.o.Expander.Expand(ctx, c.Spec, func(ts []Target) error {
		for _, t := range ts {
			if t.State != RecipientPending || table == nil {
				continue
			}
			cost.QuotedParts += t.Parts
			if _, price, ok := table.Lookup(t.Number); ok {
				cost.Quoted += price * Money(t.Parts)
			}
		}
		_, err := f.o.Store.AddTargets(ctx, c.ID, c.Run, ts)
		return err
	})
	if err != nil {
		return err
	}
	return f.o.Store.MarkExpanded(ctx, c.ID, c.Run, cost)
}
