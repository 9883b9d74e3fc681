package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/modem"
	"smsgw/modem/pool"
	"smsgw/queue"
)

// Gateway joins the modem pool and the queue. New (which starts it) -> Close.
type Gateway struct {
	log   *slog.Logger
	store queue.Storage
	// pool is set at the end of New (pool.New starts the supervisors).
	pool     atomic.Pointer[pool.Pool]
	poolOpts pool.Options
	opts     Options
	limits   map[string][]queue.RateLimit
	budget   Budget

	// hard ends work already on the wire; only Close cancels it, when its
	// ctx ends before the drain is done.
	hard      context.Context
	abort     context.CancelFunc
	runCtx    context.Context
	runCancel context.CancelFunc

	closeOnce sync.Once
	closed    chan struct{} // closed when the first Close returns
	wg        sync.WaitGroup
	hbCancel  context.CancelFunc // stops the lease heartbeat, after the drain

	liveMu sync.Mutex
	lives  map[string]*live

	tracesMu sync.Mutex
	traces   map[string]*modem.ATTrace

	outbox   *queueOutbox
	hooksMu  sync.Mutex
	hookDisp map[string]*hooks.Dispatcher // consumer name -> dispatcher
	hooksEnd bool                         // closing: start no more dispatchers
	registry hooks.Registry

	healthEvery time.Duration
	// opTimeout bounds one inbound or health operation; longer means the
	// modem went silent.
	opTimeout time.Duration
}

// New builds the gateway and starts it: the hook consumers' dispatchers
// (Options.Consumers among them), the lease heartbeat, the pruning of
// old events, then the modem pool and its workers. When a step fails New
// stops what it had started. Close stops it.
func New(o Options) (*Gateway, error) {
	if o.Store == nil {
		return nil, errors.New("gateway: a store is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	g := &Gateway{
		log: o.Logger, store: o.Store, opts: o,
		limits: map[string][]queue.RateLimit{}, budget: o.Budget, lives: map[string]*live{}, traces: map[string]*modem.ATTrace{},
		hookDisp: map[string]*hooks.Dispatcher{}, healthEvery: defaultHealthEvery,
		opTimeout: 45 * time.Second,
	}
	if o.healthEvery > 0 {
		g.healthEvery = o.healthEvery
	}
	if o.opTimeout > 0 {
		g.opTimeout = o.opTimeout
	}
	g.hard, g.abort = context.WithCancel(context.Background())
	g.closed = make(chan struct{})
	g.outbox = newQueueOutbox(g)

	var specs []pool.Spec
	for _, m := range o.Modems {
		specs = append(specs, m.Spec)
		if len(m.Rate) > 0 {
			g.limits[m.ID] = append(g.limits[m.ID], m.Rate...)
		}
	}
	specs = append(specs, o.Extra...)
	// A bad pool configuration is refused before anything starts.
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.ID] {
			return nil, fmt.Errorf("gateway: duplicate modem id %q", s.ID)
		}
		seen[s.ID] = true
	}
	op := &opener{log: g.log, sendTimeout: o.Retry.SendTimeout, promptTimeout: o.Retry.PromptTimeout, traceFor: g.traceFor}
	open, probeFn := o.Open, o.Probe
	if open == nil {
		open = op.open
	}
	if probeFn == nil {
		probeFn = probe
	}
	g.poolOpts = pool.Options{
		Specs:              specs,
		Autodetect:         o.Autodetect.Enabled,
		Scanner:            pool.Scanner{Globs: o.Autodetect.Globs, VIDPID: o.Autodetect.VIDPID},
		DiscoveredDefaults: pool.Spec{Baud: 115200},
		Interval:           o.Autodetect.Interval,
		ProbeTimeout:       o.Autodetect.ProbeTimeout,
		BenchAfter:         o.Retry.BenchAfter,
		BenchFor:           o.Retry.BenchFor,
		Open:               open,
		Probe:              probeFn,
		Session:            g.runSession,
		OnChange:           func(m *pool.Member) { g.log.Debug("modem state", "modem", m.ID(), "state", m.State()) },
		Logger:             g.log,
	}
	g.registry = o.Webhooks
	if g.registry != nil && o.WebhookImport != "" {
		n, err := importWebhookFile(context.Background(), g.registry, o.WebhookImport)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		if n > 0 {
			g.log.Info("webhook registrations imported into the database", "count", n, "from", o.WebhookImport)
		}
	}
	if err := g.start(context.Background()); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), startFailClose)
		defer cancel()
		if cerr := g.Close(ctx); cerr != nil {
			g.log.Warn("gateway: stopping after a failed start", "err", cerr)
		}
		return nil, err
	}
	return g, nil
}

// startFailClose bounds the stop of what New started before a step failed.
const startFailClose = 10 * time.Second

func (g *Gateway) traceFor(port string) *modem.ATTrace {
	g.tracesMu.Lock()
	defer g.tracesMu.Unlock()
	t := g.traces[port]
	if t == nil {
		t = modem.NewATTrace(g.opts.ATTrace)
		g.traces[port] = t
	}
	return t
}

// start registers the hook consumers, starts their dispatchers and the
// modem pool (the end of New).
func (g *Gateway) start(ctx context.Context) error {
	g.runCtx, g.runCancel = context.WithCancel(ctx)
	if argv := g.opts.Inbound.Exec; len(argv) > 0 {
		// Say it now rather than at the first received message.
		if _, err := exec.LookPath(argv[0]); err != nil {
			g.log.Error("inbound.exec cannot be run; received messages are kept but not handed to it", "program", argv[0], "err", err)
		}
	}
	cs, err := g.consumers(ctx)
	if err != nil {
		return err
	}
	g.removeStaleConsumers(cs)
	for _, c := range cs {
		if err := g.startConsumer(c); err != nil {
			return err
		}
	}
	g.wg.Add(2)
	// The heartbeat outlives runCtx: the parts still on the wire while
	// Close drains the modems stay this gateway's.
	var hbCtx context.Context
	hbCtx, g.hbCancel = context.WithCancel(ctx)
	go func() {
		defer g.wg.Done()
		g.heartbeat(hbCtx)
	}()
	go func() {
		defer g.wg.Done()
		g.pruneEvents(g.runCtx)
	}()
	p, err := pool.New(g.poolOpts)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.pool.Store(p)
	return nil
}

// removeStaleConsumers unregisters outbox consumers this configuration no
// longer runs (a webhook taken out of the file): a consumer that never
// advances would keep every event from being pruned.
func (g *Gateway) removeStaleConsumers(keep []hooks.Consumer) {
	names, err := g.store.Consumers(g.runCtx)
	if err != nil {
		g.log.Warn("listing outbox consumers", "err", err)
		return
	}
	wanted := map[string]bool{}
	for _, c := range keep {
		wanted[c.Name] = true
	}
	var register map[string]queue.Node
	for _, n := range names {
		if wanted[n] {
			continue
		}
		if _, node := hooks.ConsumerBase(n); g.opts.Shared && node != "" && node != g.node() {
			// Another gateway's own consumer: its business, unless that
			// gateway is gone for good (its cursor would hold back the
			// pruning of every event).
			if register == nil {
				register = g.nodeRegister()
			}
			if !retiredNode(register, node, g.now()) {
				continue
			}
		}
		if err := g.store.RemoveConsumer(g.runCtx, n); err != nil {
			g.log.Warn("removing a stale outbox consumer", "consumer", n, "err", err)
			continue
		}
		g.log.Info("outbox consumer no longer configured; removed", "consumer", n)
	}
}

func (g *Gateway) startConsumer(c hooks.Consumer) error {
	if base, _ := hooks.ConsumerBase(c.Name); g.opts.HookDelivery != nil && base != hooks.FanoutConsumer && base != chainConsumer {
		rec := g.opts.HookDelivery
		deliver, name, skipped := c.Deliver, c.Name, g.opts.HookSkipped
		c.Deliver = func(ctx context.Context, ev smsgw.Event) error {
			err := deliver(ctx, ev)
			if errors.Is(err, hooks.ErrSkip) {
				// Filtered out, not delivered: counting it as ok would
				// hide a receiver that gets nothing.
				if skipped != nil {
					skipped(name)
				}
				return err
			}
			rec(name, err == nil)
			return err
		}
	}
	if err := g.store.AddConsumer(g.runCtx, c.Name); err != nil {
		return fmt.Errorf("gateway: register %s: %w", c.Name, err)
	}
	g.hooksMu.Lock()
	defer g.hooksMu.Unlock()
	if g.hooksEnd {
		return nil // closing; the consumer is registered and runs at the next start
	}
	d := hooks.NewDispatcher(g.outbox, g.log, c)
	g.hookDisp[c.Name] = d
	return nil
}

func (g *Gateway) stopConsumer(ctx context.Context, name string) {
	g.hooksMu.Lock()
	d := g.hookDisp[name]
	delete(g.hookDisp, name)
	g.hooksMu.Unlock()
	if d != nil {
		d.Close(ctx)
	}
}

// eventRetention is how long delivered outbox events are kept.
const eventRetention = 7 * 24 * time.Hour

// pruneEvents deletes, hourly, old events every consumer is done with and,
// with [storage] retention_days, finished messages and inbox messages past
// their retention.
func (g *Gateway) pruneEvents(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := g.store.PruneEvents(ctx, time.Now().Add(-eventRetention))
		if err != nil && ctx.Err() == nil {
			g.log.Warn("pruning delivered events", "err", err)
		} else if n > 0 {
			g.log.Debug("pruned delivered events", "events", n)
		}
		if days := g.opts.RetentionDays; days > 0 {
			p, err := g.store.Purge(ctx, time.Now().Add(-time.Duration(days)*24*time.Hour))
			if err != nil && ctx.Err() == nil {
				g.log.Warn("retention purge", "err", err)
			} else if p.Messages+p.Inbox > 0 {
				g.log.Info("retention purge", "messages", p.Messages, "inbox", p.Inbox, "events", p.Events, "older_than_days", days)
			}
		}
	}
}

// webhookID names a configured URL stably across restarts.
func webhookID(url string) string {
	s := sha256.Sum256([]byte(url))
	return "cfg-" + hex.EncodeToString(s[:4])
}

// consumers lists the hook consumers the configuration asks for.
func (g *Gateway) consumers(ctx context.Context) ([]hooks.Consumer, error) {
	var out []hooks.Consumer
	if c, ok := g.chainConsumerOf(); ok {
		out = append(out, c)
	}
	in := g.opts.Inbound
	if len(in.Exec) > 0 {
		x := &hooks.Exec{Argv: in.Exec, Timeout: in.Timeout}
		deliver, perNode := x.Deliver, !in.ExecFleet
		if g.opts.Shared && perNode {
			// Each gateway's script hears from its own modems: the one
			// that received the message runs it.
			deliver = func(ctx context.Context, ev smsgw.Event) error {
				if !g.ownsModem(ev.DeviceID) {
					return hooks.ErrSkip
				}
				return x.Deliver(ctx, ev)
			}
		}
		out = append(out, hooks.Consumer{Name: "exec", Deliver: deliver, Concurrency: in.Concurrency,
			MaxAttempts: in.Retries + 1, PerNode: perNode})
	}
	w := g.opts.Webhook
	add := func(url string, events []string) {
		id := webhookID(url)
		wh := &hooks.Webhook{URL: url, ID: id, Secret: w.Secret, Events: events, Timeout: w.Timeout}
		out = append(out, hooks.Consumer{Name: "webhook:" + id, Deliver: wh.Deliver, Concurrency: 4, MaxAttempts: w.MaxAttempts})
	}
	for _, u := range w.Targets {
		add(u, w.Events)
	}
	if in.Webhook != "" && !slices.Contains(w.Targets, in.Webhook) {
		add(in.Webhook, []string{smsgw.EventReceived, smsgw.EventDataReceived})
	}
	if g.registry != nil {
		regs, err := g.registry.Webhooks(ctx)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		for _, r := range regs {
			out = append(out, g.registeredConsumer(r))
		}
	}
	out = append(out, g.opts.Consumers...)
	if g.opts.Shared {
		for i := range out {
			if out[i].PerNode {
				out[i].Name = hooks.NodeConsumer(out[i].Name, g.node())
			}
		}
	}
	return out, nil
}

// Close drains: no new claims, parts on the wire finish, hooks in flight
// finish, modems' ports close. Until ctx ends; then it aborts what is left
// (ending ctx early is how a second signal aborts sends on the wire) and
// waits a moment more (abortGrace) for the aborted sends to be recorded: a
// part cut off on the wire becomes uncertain, or is resent, as
// retry.policy says, rather than being left "sending" for the next start
// to sort out. Later calls wait for the first to finish (or for their own
// ctx) and return nil: the first caller has the error.
func (g *Gateway) Close(ctx context.Context) error {
	first := false
	g.closeOnce.Do(func() { first = true })
	if !first {
		select {
		case <-g.closed:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("gateway: close: %w", ctx.Err())
		}
	}
	defer close(g.closed)
	return g.shutdown(ctx)
}

func (g *Gateway) shutdown(ctx context.Context) error {
	if g.runCancel != nil {
		g.runCancel()
	}
	defer g.abort()
	// Hooks stop taking events now, as the workers stop claiming; those in
	// flight have until ctx ends, alongside the drain of the modems.
	g.hooksMu.Lock()
	g.hooksEnd = true
	ds := make([]*hooks.Dispatcher, 0, len(g.hookDisp))
	for _, d := range g.hookDisp {
		ds = append(ds, d)
	}
	g.hooksMu.Unlock()
	hooksErr := make(chan error, 1)
	go func() {
		var err error
		for _, d := range ds {
			if derr := d.Close(ctx); err == nil && derr != nil {
				err = derr
			}
		}
		hooksErr <- err
	}()
	var err error
	if p := g.pool.Load(); p != nil {
		err = p.Close(ctx)
	}
	if err != nil {
		g.abort()
		gctx, cancel := context.WithTimeout(context.Background(), abortGrace)
		if g.pool.Load().Close(gctx) != nil {
			g.log.Warn("sessions still running after the abort", "waited", abortGrace)
		}
		cancel()
		err = fmt.Errorf("gateway: close: %w", err)
	}
	if herr := <-hooksErr; err == nil && herr != nil {
		err = herr
	}
	if g.hbCancel != nil {
		g.hbCancel()
	}
	stopped := make(chan struct{})
	go func() { g.wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("gateway: close: %w", ctx.Err())
		}
	}
	return err
}

// abortGrace is how long Close waits, after aborting, for the aborted
// sends to be recorded.
const abortGrace = 5 * time.Second

// Pool exposes the modem pool (status pages, tests).
func (g *Gateway) Pool() *pool.Pool { return g.pool.Load() }

// member returns the modem with id, if the pool runs and knows it.
func (g *Gateway) member(id string) (*pool.Member, bool) {
	p := g.pool.Load()
	if p == nil {
		return nil, false
	}
	return p.Member(id)
}

// members returns the modems of the running pool.
func (g *Gateway) members() []*pool.Member {
	p := g.pool.Load()
	if p == nil {
		return nil
	}
	return p.Members()
}

// Trace returns the AT trace of a modem's current port, oldest line first.
func (g *Gateway) Trace(id string) ([]string, bool) {
	m, ok := g.member(id)
	if !ok {
		return nil, false
	}
	g.tracesMu.Lock()
	t := g.traces[m.Port()]
	g.tracesMu.Unlock()
	if t == nil {
		return nil, true
	}
	return t.Lines(), true
}

// ATCommands returns the AT commands written to a modem's port so far.
func (g *Gateway) ATCommands(id string) int64 {
	m, ok := g.member(id)
	if !ok {
		return 0
	}
	g.tracesMu.Lock()
	t := g.traces[m.Port()]
	g.tracesMu.Unlock()
	if t == nil {
		return 0
	}
	return t.Commands()
}

func (g *Gateway) noteCMTI(modem string, at time.Time) {
	if f := g.opts.OnCMTI; f != nil {
		if at.IsZero() {
			at = time.Now()
		}
		f(modem, at)
	}
}

// Summary is the one-line state for systemd's STATUS=.
func (g *Gateway) Summary(ctx context.Context) string {
	var ready, total int
	if p := g.pool.Load(); p != nil {
		ready, total = p.Ready()
	}
	depth := int64(-1)
	if counts, err := g.store.Counts(ctx); err == nil {
		depth = counts[smsgw.StateQueued] + counts[smsgw.StateSending]
	}
	return fmt.Sprintf("%d/%d modems ready, %d messages queued", ready, total, depth)
}

// live is what sessions learn about a modem beyond the pool's state.
type live struct {
	mu       sync.Mutex
	signal   *modem.Signal
	history  []smsgw.SignalSample // ring of the last signalHistoryLen readings
	next     int                  // where the ring writes next once full
	reg      *modem.Registration
	operator string
	trace    *modem.ATTrace
}

func (g *Gateway) liveFor(id string) *live {
	g.liveMu.Lock()
	defer g.liveMu.Unlock()
	l := g.lives[id]
	if l == nil {
		l = &live{}
		g.lives[id] = l
	}
	return l
}

// signalHistoryLen bounds a modem's signal history: two hours of health
// checks at the default interval, a few kilobytes per modem.
const signalHistoryLen = 120

func (l *live) setSignal(s modem.Signal) { l.setSignalAt(s, time.Now()) }

func (l *live) setSignalAt(s modem.Signal, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.signal = &s
	smp := smsgw.SignalSample{At: at.UTC()}
	if s.DBm != nil {
		d := *s.DBm
		smp.DBm = &d
	}
	if len(l.history) < signalHistoryLen {
		l.history = append(l.history, smp)
		return
	}
	l.history[l.next] = smp
	l.next = (l.next + 1) % signalHistoryLen
}

// signalHistory returns the readings oldest first; the caller holds l.mu.
func (l *live) signalHistory() []smsgw.SignalSample {
	out := make([]smsgw.SignalSample, 0, len(l.history))
	out = append(out, l.history[l.next:]...)
	return append(out, l.history[:l.next]...)
}

func (l *live) setRegistration(r modem.Registration) { l.mu.Lock(); l.reg = &r; l.mu.Unlock() }
func (l *live) setOperator(op string)                { l.mu.Lock(); l.operator = op; l.mu.Unlock() }
func (l *live) setTrace(t *modem.ATTrace)            { l.mu.Lock(); l.trace = t; l.mu.Unlock() }

// ownNumber is the number of a modem's SIM, from the SIM or the config.
func (g *Gateway) ownNumber(id string) string {
	if m, ok := g.member(id); ok {
		return m.Status().Identity.Number
	}
	return ""
}

// Modems implements the HTTP API's Modems.
func (g *Gateway) Modems(ctx context.Context) ([]smsgw.ModemStatus, error) {
	var out []smsgw.ModemStatus
	for _, m := range g.members() {
		out = append(out, g.modemStatus(m))
	}
	return out, nil
}

// Modem implements the HTTP API's Modems.
func (g *Gateway) Modem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	m, ok := g.member(id)
	if !ok {
		return smsgw.ModemStatus{}, fmt.Errorf("modem %q: %w", id, smsgw.ErrNotFound)
	}
	st := g.modemStatus(m)
	l := g.liveFor(id)
	l.mu.Lock()
	st.SignalHistory = l.signalHistory()
	l.mu.Unlock()
	return st, nil
}

// USSD implements the HTTP API's Modems.
func (g *Gateway) USSD(ctx context.Context, id, code string) (string, error) {
	m, ok := g.member(id)
	if !ok {
		return "", fmt.Errorf("modem %q: %w", id, smsgw.ErrNotFound)
	}
	dev, ok := m.Device().(Device)
	if !ok || dev == nil {
		return "", fmt.Errorf("modem %q is %s: %w", id, m.State(), smsgw.ErrUnavailable)
	}
	rep, err := dev.USSD(ctx, code)
	if err != nil {
		return "", ussdError(id, rep, err)
	}
	return rep.Text, nil
}

// ResetModem implements the HTTP API's Modems: it closes and reopens the
// modem as its supervisor does after a fault (the message on the wire
// finishes first) and returns the modem's status as the reset starts.
func (g *Gateway) ResetModem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	m, ok := g.member(id)
	p := g.pool.Load()
	if !ok || p == nil {
		return smsgw.ModemStatus{}, fmt.Errorf("modem %q: %w", id, smsgw.ErrNotFound)
	}
	if err := p.Reset(id); err != nil {
		switch {
		case errors.Is(err, pool.ErrUnknownModem):
			return smsgw.ModemStatus{}, fmt.Errorf("%w: %w", err, smsgw.ErrNotFound)
		case errors.Is(err, pool.ErrNotReady):
			return smsgw.ModemStatus{}, fmt.Errorf("%w: %w", err, smsgw.ErrConflict)
		}
		return smsgw.ModemStatus{}, fmt.Errorf("reset modem %q: %w", id, err)
	}
	return g.modemStatus(m), nil
}

func (g *Gateway) modemStatus(m *pool.Member) smsgw.ModemStatus {
	st := m.Status()
	out := smsgw.ModemStatus{
		ID: st.ID, Port: st.Port, State: string(st.State), Manufacturer: st.Identity.Manufacturer,
		Model: st.Identity.Model, Revision: st.Identity.Revision, IMEI: st.Identity.IMEI, IMSI: st.Identity.IMSI,
		ICCID: st.Identity.ICCID, Number: st.Identity.Number, Tags: st.Tags, SIMSlot: 1,
		Counters:  smsgw.ModemCounters{Sent: st.Sent, Failed: st.Failed, Received: st.Received, Reconnects: st.Reconnects, FailuresByCode: st.ByCode},
		LastError: st.LastError,
	}
	if g.budget != nil {
		out.BudgetPaused, _, _ = g.budget.Blocked(context.Background(), st.ID)
	}
	if !st.LastErrorAt.IsZero() {
		t := st.LastErrorAt
		out.LastErrorAt = &t
	}
	if !st.LastSeen.IsZero() {
		t := st.LastSeen
		out.LastSeen = &t
	}
	added := st.Added
	out.Since = &added
	l := g.liveFor(st.ID)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.signal != nil && l.signal.DBm != nil {
		d := *l.signal.DBm
		out.SignalDBM = &d
	}
	out.Registration = "unknown"
	if l.reg != nil {
		out.Roaming = l.reg.Roaming
		switch {
		case l.reg.Registered && l.reg.Roaming:
			out.Registration = "roaming"
		case l.reg.Registered:
			out.Registration = "home"
		case l.reg.Stat == 2:
			out.Registration = "searching"
		case l.reg.Stat == 3:
			out.Registration = "denied"
		case l.reg.Stat == 0:
			out.Registration = "unregistered"
		}
	}
	out.Operator = l.operator
	return out
}

// heartbeat renews this gateway's attempt leases and takes back the
// in-flight work of gateways sharing the database whose leases ran out,
// every third of the lease, until ctx ends.
func (g *Gateway) heartbeat(ctx context.Context) {
	lease := g.opts.Lease
	if lease <= 0 {
		lease = DefaultOptions().Lease
	}
	t := time.NewTicker(lease / 3)
	defer t.Stop()
	// Other gateways' work is taken back only once this gateway has
	// renewed its own leases without a break for a whole lease: after the
	// database was unreachable every gateway's leases have run out, and
	// the live ones must get a lease's time to renew theirs before anyone
	// takes their messages (which they are still sending) from them.
	var renewingSince time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := g.store.RenewLeases(ctx); err != nil {
			renewingSince = time.Time{}
			if ctx.Err() == nil {
				g.log.Error("renewing attempt leases failed", "err", err)
			}
			continue
		}
		if renewingSince.IsZero() {
			renewingSince = time.Now()
		}
		if time.Since(renewingSince) < lease {
			continue
		}
		if _, err := g.store.RecoverExpired(ctx); err != nil && ctx.Err() == nil {
			g.log.Error("recovering expired attempt leases failed", "err", err)
		}
	}
}
