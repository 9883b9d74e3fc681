// Package daemon is the composition root: it maps the configuration to
// each package's options, builds the parts in one order (store, event
// consumers, gateway, HTTP), each running once built, and stops them
// within their budgets.
package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"smsgw"
	"strings"
	"sync"
	"time"

	"smsgw/api"
	"smsgw/api/compat/kannel"
	"smsgw/campaign"
	"smsgw/config"
	"smsgw/consent"
	"smsgw/contacts"
	"smsgw/gateway"
	"smsgw/hooks"
	"smsgw/httpd"
	"smsgw/internal/sdnotify"
	"smsgw/modem/pool"
	"smsgw/modem/sim"
	"smsgw/web"
)

// storeCloseTimeout bounds the database close at the end of a stop, after
// the HTTP shutdown ([server] shutdown_timeout) and the drain of sends
// ([retry] drain_timeout), which run side by side on budgets of their own.
const storeCloseTimeout = 10 * time.Second

// simCloseTimeout bounds the stop of the emulated modems (--simulate).
const simCloseTimeout = 10 * time.Second

// Options carries what the daemon takes from its caller beside the
// configuration.
type Options struct {
	// Logger receives the daemon's log; nil discards it.
	Logger *slog.Logger
	// Stdout receives the one-line banner and the emulated modems' numbers;
	// nil discards them.
	Stdout io.Writer
	// Version is reported by the API and in the banner.
	Version string
	// Commit is the source revision, for smsgw_build_info.
	Commit string
}

// New builds the daemon from cfg and starts it: the store, the gateway
// with its workers, then the HTTP API on its listener. When a step fails
// New logs it, stops what it had started and returns the error.
func New(cfg config.Config, o Options) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	d := &Daemon{cfg: cfg, log: o.Logger, stdout: o.Stdout, version: o.Version, commit: o.Commit}
	if err := d.start(); err != nil {
		d.log.Error("start failed", "err", err)
		d.Close(context.Background())
		return nil, err
	}
	return d, nil
}

// Addr is the address the API listens on.
func (d *Daemon) Addr() string { return d.listening }

// Close stops the daemon as a graceful stop does (HTTP and the drain of
// sends side by side on their configured budgets, then the database);
// ending ctx cuts both budgets short.
func (d *Daemon) Close(ctx context.Context) {
	d.closeOnce.Do(func() { d.shutdown(ctx) })
}

// Daemon holds what New started, for an orderly stop.
type Daemon struct {
	cfg    config.Config
	log    *slog.Logger
	stdout io.Writer

	simDir    string
	simTemp   bool
	net       *sim.Network
	store     Store
	gw        *gateway.Gateway
	fleetStop func()        // ends the heartbeat of the register of gateways
	fleetDone chan struct{} // closed when it has ended
	fanout    *hooks.Fanout
	feeder    *campaign.Feeder
	http      *httpd.Server
	notifier  *sdnotify.Notifier
	listening string
	version   string
	commit    string
	closeOnce sync.Once
	// budgetGate pauses a campaign whose budget is reached: a gate of the
	// campaign feeder, which it wakes.
	budgetGate *campaign.BudgetGate
	// idle gives memory back once the daemon has been quiet a while.
	idle *idleTrim
}

func (d *Daemon) start() error {
	d.notifier = sdnotify.New(d.log)
	var extra []pool.Spec
	if n := d.cfg.Simulate.Modems; n > 0 {
		var err error
		if extra, err = d.startSim(n); err != nil {
			return err
		}
	}
	st, err := OpenStore(context.Background(), d.cfg, d.log)
	if err != nil {
		return fmt.Errorf("open queue: %w", err)
	}
	d.store = st

	tokens := make([]httpd.Token, 0, len(d.cfg.Server.Tokens))
	for _, t := range d.cfg.Server.Tokens {
		tokens = append(tokens, httpd.Token{Secret: t.Value.Reveal(), Scope: smsgw.Scope(t.Scope)})
	}
	// Construction runs one way: the store, the metrics and the event
	// consumers the gateway feeds, the gateway (running once built), then
	// the HTTP layer on top of it, serving once built.
	metrics, err := httpd.NewMetrics()
	if err != nil {
		return err
	}
	if err := metrics.Watch(httpd.Build{Version: d.version, Commit: d.commit}, st); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	rec := metrics.Recorder
	gwo := GatewayOptions(d.cfg)
	gwo.Store, gwo.Logger, gwo.Extra = st, d.log, extra
	gwo.Webhooks, gwo.WebhookImport = st, filepath.Join(filepath.Dir(d.cfg.Storage.Path), "webhooks.json")
	gwo.ObserveSend, gwo.HookDelivery, gwo.HookSkipped = rec.ObserveSend, rec.HookDelivery, rec.HookSkipped
	// The outbox consumers that serve the HTTP side: the live feed of
	// /v1/events and the dlr-url callbacks of Kannel messages.
	qs := api.NewQueueStore(st)
	d.fanout = hooks.NewFanout()
	dlr, err := hooks.NewKannelDLR(hooks.KannelDLROptions{Target: kannel.DLRTarget(qs), Policy: d.cfg.Callbacks.Policy(), Logger: d.log})
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	prices, err := campaign.NewPriceBook(context.Background(), config.Prices(d.cfg.Prices), st)
	if err != nil {
		return err
	}
	gwo.Consumers = append(gwo.Consumers, dlr.Consumer(gwo.Webhook.MaxAttempts), d.fanout.Consumer())
	// The modems' own tariffs, and the ledger of their spend the budget
	// caps are checked against at each claim.
	tariffs, err := campaign.NewTariffs(context.Background(), prices, config.Tariffs(d.cfg.Tariffs), st)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	ledger, err := campaign.NewLedger(context.Background(), campaign.LedgerOptions{Tariffs: tariffs, Totals: st, Events: st, Logger: d.log})
	if err != nil {
		return err
	}
	gwo.Budget = ledger
	// The campaigns' budgets: a gate of the campaign feeder, woken by the
	// ledger when a message brings a campaign to its budget.
	d.budgetGate = &campaign.BudgetGate{Ledger: ledger, Events: st}
	// What each sent message cost, at the price in force when it went out.
	spend := &campaign.SpendRecorder{Book: prices, Store: st, Tariffs: tariffs, Ledger: ledger}
	gwo.Consumers = append(gwo.Consumers, hooks.Consumer{Name: "spend", MaxAttempts: 10, Deliver: spend.Record})
	// The inbound chain: consent keywords first, then the rules.
	cons, err := consent.New(ConsentOptions(d.cfg), st)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	gwo.InboundHandlers = append(gwo.InboundHandlers, gateway.ConsentHandler(cons))
	cc, err := smsgw.CallingCode(d.cfg.Server.DefaultCountry)
	if err != nil {
		return fmt.Errorf("config: server.default_country: %w", err)
	}
	engine, err := RulesEngine(d.cfg, st, contacts.Membership{Store: st, CC: cc})
	if err != nil {
		return err
	}
	// Keyword rules come after the consent keywords in the chain.
	gwo.InboundHandlers = append(gwo.InboundHandlers, gateway.RulesHandler(engine))
	var ids []string
	for _, m := range gwo.Modems {
		ids = append(ids, m.Spec.ID)
	}
	for _, m := range extra {
		ids = append(ids, m.ID)
	}
	if err := checkUnique(context.Background(), st, d.cfg.Node.Name, d.cfg.Node.Lease.Duration, ids); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	// Campaigns, on a driver that keeps them: the feeder moves launched
	// campaigns into the queue, resuming at start what a stop interrupted.
	var campaigns api.Campaigns
	var budgets api.CampaignBudgets
	if cs, ok := st.(campaign.Store); ok {
		exp := campaign.Expander{Contacts: st, CallingCode: cc}
		d.feeder = campaign.NewFeeder(campaign.FeederOptions{Store: cs, Expander: exp, Prices: prices, Changed: st.Changed, Logger: d.log,
			Gates: []campaign.Gate{d.budgetGate}})
		d.budgetGate.Wake = d.feeder.Wake
		campaigns = &campaign.Service{Store: cs, Expander: exp, Prices: prices, OptOuts: st, Feeder: d.feeder}
		if bs, ok := st.(campaign.BudgetStore); ok {
			budgets = campaign.BudgetSetter{Store: cs, Budgets: bs, Gate: d.budgetGate, Wake: d.feeder.Wake}
		}
	}
	gw, err := gateway.New(gwo)
	if err != nil {
		return err
	}
	d.gw = gw
	// This gateway's entry in the register of gateways, from which every
	// gateway on the database lists the whole fleet's modems.
	fl := newFleet(gw, st, d.cfg.Node.Name, d.cfg.Node.Lease.Duration, d.log)
	fctx, fcancel := context.WithCancel(context.Background())
	d.fleetStop = func() {
		fcancel()
		<-d.fleetDone
		// A last beat after the gateway stopped: the others list its
		// modems as stopped rather than as they last were.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		fl.beat(ctx)
		// The gateway has stopped claiming: it leaves the register, so the
		// others show it stopped at once rather than alive until its beat
		// ages out. Its next start beats again and clears it.
		if err := fl.nodes.Leave(ctx); err != nil {
			d.log.Warn("recording that this gateway left the register of gateways", "err", err)
		}
	}
	d.fleetDone = make(chan struct{})
	go func() { defer close(d.fleetDone); fl.run(fctx) }()
	dash, err := web.New(web.Options{
		Tokens: webTokens(d.cfg.Server.Tokens), Messages: st, Trace: gw.Trace, Version: d.version, Logger: d.log,
		Settings: func() string { return SettingsText(d.cfg) },
	})
	if err != nil {
		return err
	}
	srv, err := httpd.New(httpd.Options{
		Sites: []httpd.Site{dash},
		API: api.Options{
			DefaultCountry: d.cfg.Server.DefaultCountry, MaxParts: d.cfg.Server.MaxParts,
			Logger: d.log, Version: d.version,
			Callbacks: d.cfg.Callbacks.Policy(), Limits: apiLimits(d.cfg.Limits),
		},
		Tokens:       tokens,
		AllowedHosts: d.cfg.Security.AllowedHosts,
		KannelGet:    d.cfg.Security.KannelGet,
		Pprof:        d.cfg.Debug.Pprof,
		Backend: api.Backend{Store: qs, Modems: fleetModems{gw, fl}, Fleet: fl, Webhooks: gw, Events: gw, Fanout: d.fanout,
			Rules: engine, Conversations: st, Consent: cons, Contacts: st, Prices: prices, Spend: st,
			Tariffs: tariffs, Budgets: ledger, Campaigns: campaigns, CampaignBudgets: budgets},
		Listen: httpd.ListenConfig{Addr: d.cfg.Server.Listen, TLSCert: d.cfg.Server.TLSCert, TLSKey: d.cfg.Server.TLSKey},
	}, metrics)
	if err != nil {
		return err
	}
	d.http = srv
	d.listening = srv.Addr()

	scheme := "http"
	if d.cfg.Server.TLSCert != "" {
		scheme = "https"
	}
	db := DatabaseName(d.cfg.Storage)
	d.log.Info("smsgw running", "version", d.version, "api", d.listening, "database", db, "node", d.cfg.Node.Name)
	fmt.Fprintf(d.stdout, "smsgw %s: API on %s://%s, database %s\n", d.version, scheme, d.listening, db)
	if !strings.HasPrefix(d.listening, "/") && !strings.HasPrefix(d.listening, "@") {
		fmt.Fprintf(d.stdout, "dashboard: %s://%s/\n", scheme, d.listening)
	}
	// Ready once the database is open and the API listens; modems come
	// and go on their own and show in STATUS.
	if d.feeder != nil {
		d.feeder.Start()
	}
	d.notifier.Ready(gw.Summary(context.Background()))
	d.idle = newIdleTrim(idleTrimOptions{Trim: storeTrim(st), Logger: d.log})
	return nil
}

// startSim brings up n emulated modems on a shared network and returns
// them as modems for the pool. Without a configured storage path the
// database goes with them into the simulation directory.
func (d *Daemon) startSim(n int) ([]pool.Spec, error) {
	d.simDir = d.cfg.Simulate.Dir
	if d.simDir == "" {
		dir, err := os.MkdirTemp("", "smsgw-sim-")
		if err != nil {
			return nil, fmt.Errorf("simulation directory: %w", err)
		}
		d.simDir, d.simTemp = dir, true
	} else if err := os.MkdirAll(d.simDir, 0o750); err != nil {
		return nil, fmt.Errorf("simulation directory: %w", err)
	}
	if d.cfg.Storage.Path == config.Default().Storage.Path {
		d.cfg.Storage.Path = filepath.Join(d.simDir, "smsgw.db")
	}
	d.net = sim.NewNetwork(sim.NetworkOptions{})
	var specs []pool.Spec
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("sim%d", i)
		if d.cfg.Storage.Driver == config.DriverPostgres {
			// Modem ids are unique across the gateways sharing a
			// database, and each gateway emulates its own sim1, sim2...
			name = d.cfg.Node.Name + "-" + name
		}
		m, err := d.net.AddModem(context.Background(), sim.Options{
			Dir: d.simDir, Name: name, Profile: d.cfg.Simulate.Profile, SubmitDelay: d.cfg.Simulate.SubmitDelay.Duration,
			// sim1 is +15550100001, sim2 +15550100002...: easy to type.
			Number: fmt.Sprintf("+155501%05d", i),
		})
		if err != nil {
			return nil, fmt.Errorf("emulated modem %d: %w", i, err)
		}
		specs = append(specs, pool.Spec{ID: name, Port: m.Path(), Baud: 115200, Number: m.Number(), Tags: []string{"simulated"}})
		fmt.Fprintf(d.stdout, "emulated modem %s: number %s, port %s\n", name, m.Number(), m.Path())
	}
	return specs, nil
}

// Run is the main loop: watchdog pings, STATUS updates, signals. The first
// signal on sigs stops gracefully and a later one aborts the sends still on
// the wire; a signal on dump writes each modem's recent AT traffic to a file
// next to the database. Run returns the process exit code.
func (d *Daemon) Run(sigs, dump <-chan os.Signal) int {
	tick := 10 * time.Second
	if wd := d.notifier.WatchdogInterval(); wd > 0 && wd < tick {
		tick = wd
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	last := ""
	for {
		select {
		case sig := <-sigs:
			d.log.Info("stopping: finishing messages on the wire; signal again to abort", "signal", sig.String())
			return d.stop(sigs)
		case <-dump:
			d.dumpTraces()
		case err := <-d.http.Err():
			d.log.Error("API server stopped", "err", err)
			d.stop(sigs)
			return 1
		case <-t.C:
			d.notifier.Watchdog()
			if s := d.gw.Summary(context.Background()); s != last {
				d.notifier.Status("%s", s)
				last = s
			}
		}
	}
}

// dumpTraces writes every modem's AT trace ring (PIN redacted) to
// <database dir>/at-trace-<modem>-<time>.log, for a bug report.
func (d *Daemon) dumpTraces() {
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for _, m := range d.gw.Pool().Members() {
		lines, ok := d.gw.Trace(m.ID())
		if !ok || len(lines) == 0 {
			continue
		}
		p := filepath.Join(filepath.Dir(d.cfg.Storage.Path), fmt.Sprintf("at-trace-%s-%s.log", m.ID(), stamp))
		var b []byte
		for _, l := range lines {
			b = append(append(b, l...), '\n')
		}
		// Written aside and renamed, so that whoever watches the folder for
		// a dump never reads a half-written one.
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			d.log.Error("AT trace dump failed", "modem", m.ID(), "err", err)
			continue
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			d.log.Error("AT trace dump failed", "modem", m.ID(), "err", err)
			continue
		}
		d.log.Info("AT trace dumped", "modem", m.ID(), "file", p, "lines", len(lines))
	}
}

// stop drains: the API stops taking requests, workers stop claiming and
// finish the parts on the wire, ports close, the database is flushed. A
// second signal aborts the sends still waiting for the network.
func (d *Daemon) stop(sigs <-chan os.Signal) int {
	d.notifier.Stopping("stopping: finishing messages on the wire")
	abort, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		d.Close(abort)
		close(done)
	}()
	// A signal sent to the whole process group (timeout(1), some
	// supervisors) arrives twice at once; only a later one means "abort".
	first := time.Now()
	for {
		select {
		case <-done:
			d.log.Info("stopped")
			return 0
		case sig := <-sigs:
			if time.Since(first) < 500*time.Millisecond {
				continue
			}
			d.log.Warn("second signal: aborting sends on the wire", "signal", sig.String())
			cancel() // cuts the gateway's drain short: it aborts sends on the wire
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
			return 1
		}
	}
}

// shutdown stops what start started. The HTTP side and the drain of sends
// run side by side, each on its own budget, so a client that will not let
// go cannot cut a send on the wire short (nor the other way round); the
// database closes after both, as in-flight requests and sends still write
// to it. Ending abort cuts both budgets short.
func (d *Daemon) shutdown(abort context.Context) {
	if d.idle != nil {
		d.idle.Close()
	}
	if d.feeder != nil {
		// Feeding stops first: what it had not queued is queued after
		// the next start.
		ctx, cancel := context.WithTimeout(abort, storeCloseTimeout)
		if err := d.feeder.Close(ctx); err != nil {
			d.log.Warn("campaign feeder stop", "err", err)
		}
		cancel()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(abort, d.cfg.Server.ShutdownTimeout.Duration)
		defer cancel()
		// The live event streams end first, so that the HTTP shutdown
		// does not wait for them.
		if d.fanout != nil {
			d.fanout.Close(ctx)
		}
		if d.http != nil {
			if err := d.http.Close(ctx); err != nil {
				d.log.Warn("API shutdown: closing the connections still open", "err", err,
					"shutdown_timeout", d.cfg.Server.ShutdownTimeout.Duration)
			}
		}
	}()
	if d.gw != nil {
		ctx, cancel := context.WithTimeout(abort, d.cfg.Retry.DrainTimeout.Duration)
		if err := d.gw.Close(ctx); err != nil {
			d.log.Warn("gateway stop", "err", err, "drain_timeout", d.cfg.Retry.DrainTimeout.Duration)
		}
		cancel()
	}
	wg.Wait()
	if d.fleetStop != nil {
		d.fleetStop()
	}
	if d.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeCloseTimeout)
		if err := d.store.Close(ctx); err != nil {
			d.log.Warn("queue close", "err", err)
		}
		cancel()
	}
	if d.net != nil {
		ctx, cancel := context.WithTimeout(context.Background(), simCloseTimeout)
		if err := d.net.Close(ctx); err != nil {
			d.log.Warn("emulated modems stop", "err", err)
		}
		cancel()
	}
	if d.simTemp {
		os.RemoveAll(d.simDir)
	}
}

// apiLimits maps the [limits] table to the HTTP API's limits.
func apiLimits(l config.LimitsConfig) api.Limits {
	return api.Limits{
		BodyBytes: l.BodyBytes, Recipients: l.Recipients, Tags: l.Tags, TagBytes: l.TagBytes,
		MetadataKeys: l.MetadataKeys, MetadataBytes: l.MetadataBytes,
		EventStreams: l.EventStreams, StreamWriteTimeout: l.StreamWriteTimeout.Duration,
	}
}
