package hooks

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"smsgw"
)

// Notifier says when new events may be waiting. The storage driver fires
// it after the commit that appended them (queue.Notifier), so a dispatcher
// that takes the channel before it claims never misses one.
type Notifier interface {
	// EventsAvailable returns a channel closed when events may have been
	// appended since it was taken.
	EventsAvailable() <-chan struct{}
}

// Outbox is where events wait for their consumers, with each consumer's
// retry state, and the Notifier of new ones. The queue's durable event
// outbox implements it in the daemon. The outbox owns the retry schedule
// (waiting by smsgw.Backoff), so the wait the dispatcher logs is the one
// the outbox stored. Implementations are safe for concurrent use.
type Outbox interface {
	Notifier
	// Claim returns up to n events that are due for consumer and neither
	// done, dropped nor already claimed, and marks them claimed. Attempt is
	// set to the number of this delivery (1 for the first).
	Claim(ctx context.Context, consumer string, n int) ([]smsgw.Event, error)
	// Done records a successful delivery.
	Done(ctx context.Context, consumer, id string) error
	// Retry records a failed attempt and returns when the event is due
	// again by the outbox's backoff, or the zero time when the outbox's
	// policy gave it up.
	Retry(ctx context.Context, consumer, id, reason string) (at time.Time, err error)
	// Drop gives the event up for consumer, keeping the reason.
	Drop(ctx context.Context, consumer, id, reason string) error
	// NextDue returns when the earliest waiting (not due yet) event for
	// consumer becomes due; ok is false when there is none.
	NextDue(ctx context.Context, consumer string) (at time.Time, ok bool, err error)
}

// ErrSkip is what a Deliver returns for an event its consumer does not want
// (a webhook subscribed to other events, a script that only takes received
// messages): the event is done for that consumer, but nothing was
// delivered, and metrics count it apart from deliveries.
var ErrSkip = errors.New("hooks: event not wanted by this consumer")

// Consumer is one destination of events: the script, or one webhook URL.
type Consumer struct {
	// Name keys the consumer's retry state in the outbox ("exec",
	// "webhook:<id>"); keep it stable across restarts.
	Name    string
	Deliver func(ctx context.Context, ev smsgw.Event) error
	// Concurrency bounds deliveries in flight (default 1).
	Concurrency int
	// MaxAttempts before the event is dropped for this consumer (default 1).
	// The wait between attempts is the outbox's.
	MaxAttempts int
	// Timeout bounds one delivery (the Exec and Webhook have their own too).
	Timeout time.Duration
	// PerNode marks a consumer each gateway runs for itself (its own
	// event-stream clients, the messages its own modems received) rather
	// than once for all the gateways sharing a database. On a shared
	// database it is registered under NodeConsumer(Name, node).
	PerNode bool
}

// NodeConsumer is the name a per-gateway consumer takes on a database
// shared by several gateways: "exec@gw1".
func NodeConsumer(name, node string) string { return name + "@" + node }

// ConsumerBase is a consumer's name without the gateway it may belong to,
// and that gateway ("" for a consumer the gateways share).
func ConsumerBase(name string) (base, node string) {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// Dispatcher feeds each consumer from the outbox in its own goroutine,
// woken by the outbox's Notifier and by its own retry timers.
// NewDispatcher -> Close.
type Dispatcher struct {
	outbox    Outbox
	log       *slog.Logger
	consumers []*consumerLoop
	wg        sync.WaitGroup
	cancel    context.CancelFunc
	closeOnce sync.Once
}

type consumerLoop struct {
	Consumer
}

// NewDispatcher starts one loop per consumer; they run until Close.
func NewDispatcher(ob Outbox, log *slog.Logger, cs ...Consumer) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{outbox: ob, log: log}
	for _, c := range cs {
		if c.Concurrency < 1 {
			c.Concurrency = 1
		}
		if c.MaxAttempts < 1 {
			c.MaxAttempts = 1
		}
		d.consumers = append(d.consumers, &consumerLoop{Consumer: c})
	}
	var ctx context.Context
	ctx, d.cancel = context.WithCancel(context.Background())
	for _, c := range d.consumers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.run(ctx, c)
		}()
	}
	return d
}

// Close stops the loops, waiting for deliveries in flight until ctx ends;
// their events stay claimed in a durable outbox only until the next start.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.closeOnce.Do(func() {
		if d.cancel != nil {
			d.cancel()
		}
	})
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *Dispatcher) run(ctx context.Context, c *consumerLoop) {
	results := make(chan struct{}, c.Concurrency)
	inflight := 0
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		for ; inflight > 0; inflight-- {
			<-results
		}
	}()
	errDelay := time.Duration(0)
	for {
		var timerC <-chan time.Time
		var wake <-chan struct{}
		if free := c.Concurrency - inflight; free > 0 && ctx.Err() == nil {
			// Taken before the claim: an event appended after it closes
			// this channel. With no free slot only a result matters.
			wake = d.outbox.EventsAvailable()
			evs, err := d.outbox.Claim(ctx, c.Name, free)
			if err != nil && ctx.Err() == nil {
				// A database hiccup (or a closed store, whose notifier
				// stays closed): try again by the timer alone, not in a
				// hot loop.
				d.log.Warn("hook outbox claim failed", "consumer", c.Name, "err", err)
				errDelay = min(max(2*errDelay, 100*time.Millisecond), 30*time.Second)
				timerC = d.arm(&timer, time.Now().Add(errDelay))
				wake = nil
			} else {
				errDelay = 0
			}
			for _, ev := range evs {
				inflight++
				go func() {
					d.deliver(ctx, c, ev)
					results <- struct{}{}
				}()
			}
			if len(evs) == free {
				continue // there may be more due right now
			}
			if err == nil {
				if at, ok, err := d.outbox.NextDue(ctx, c.Name); err == nil && ok {
					timerC = d.arm(&timer, at)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-results:
			inflight--
		case <-timerC:
		}
	}
}

func (d *Dispatcher) arm(t **time.Timer, at time.Time) <-chan time.Time {
	dur := max(time.Until(at), 0)
	if *t == nil {
		*t = time.NewTimer(dur)
	} else {
		(*t).Stop()
		select { // drain a stale fire (timers created before Go 1.23 semantics)
		case <-(*t).C:
		default:
		}
		(*t).Reset(dur)
	}
	return (*t).C
}

func (d *Dispatcher) deliver(ctx context.Context, c *consumerLoop, ev smsgw.Event) {
	dctx := ctx
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	start := time.Now()
	err := c.Deliver(dctx, ev)
	// Record the outcome even when shutting down: the answer is known.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	log := d.log.With("consumer", c.Name, "event", ev.Event, "event_id", ev.ID, "attempt", ev.Attempt)
	switch {
	case err == nil || errors.Is(err, ErrSkip):
		if err == nil {
			log.Debug("hook delivered", "took", time.Since(start).Round(time.Millisecond))
		}
		if err := d.outbox.Done(rctx, c.Name, ev.ID); err != nil {
			log.Error("hook outbox done failed", "err", err)
		}
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		// Interrupted by shutdown: handed back to the outbox, which counts
		// the attempt like any other failure.
		if _, err := d.outbox.Retry(rctx, c.Name, ev.ID, "interrupted by shutdown"); err != nil {
			log.Error("hook outbox retry failed", "err", err)
		}
	case IsPermanent(err) || ev.Attempt >= c.MaxAttempts:
		log.Error("hook gave up", "err", err)
		if err := d.outbox.Drop(rctx, c.Name, ev.ID, err.Error()); err != nil {
			log.Error("hook outbox drop failed", "err", err)
		}
	default:
		// Log only once the outbox has stored the time: that is the retry
		// that will happen.
		at, rerr := d.outbox.Retry(rctx, c.Name, ev.ID, err.Error())
		switch {
		case rerr != nil:
			log.Error("hook outbox retry failed", "err", rerr, "delivery_err", err)
		case at.IsZero():
			log.Error("hook gave up", "err", err)
		default:
			log.Warn("hook failed, will retry", "err", err, "at", at,
				"in", time.Until(at).Round(time.Millisecond))
		}
	}
}
