package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/modem/pool"
	"smsgw/modem/sim"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// rig is a gateway on emulated modems over real ptys, with a real SQLite
// queue in a temp dir.
type rig struct {
	t      testing.TB
	dir    string
	net    *sim.Network
	modems []*sim.Modem
	opts   Options // the gateway's settings; start adds store and hooks
	db     string
	st     *sqlite.Store
	g      *Gateway
	log    *slog.Logger
	health time.Duration
	opTO   time.Duration
	qopts  func(o *queue.Options)
	dopts  sqlite.Options
	figs   figures
	chain  func(st queue.Storage) []InboundHandler
}

// figures records the moments latencies are measured from, across
// restarts of the rig's gateway: a message's first AT+CMGS and each
// modem's latest +CMTI.
type figures struct {
	mu        sync.Mutex
	firstCMGS map[int64]time.Time
	lastCMTI  map[string]time.Time
}

func (f *figures) cmgs(id int64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstCMGS == nil {
		f.firstCMGS = map[int64]time.Time{}
	}
	if _, ok := f.firstCMGS[id]; !ok {
		f.firstCMGS[id] = at
	}
}

func (f *figures) cmti(modem string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lastCMTI == nil {
		f.lastCMTI = map[string]time.Time{}
	}
	f.lastCMTI[modem] = at
}

// firstCMGS returns when the first AT+CMGS of a message was written.
func (r *rig) firstCMGS(id int64) (time.Time, bool) {
	r.figs.mu.Lock()
	defer r.figs.mu.Unlock()
	t, ok := r.figs.firstCMGS[id]
	return t, ok
}

// lastCMTI returns when the modem last announced a received message.
func (r *rig) lastCMTI(modem string) time.Time {
	r.figs.mu.Lock()
	defer r.figs.mu.Unlock()
	return r.figs.lastCMTI[modem]
}

type rigOptions struct {
	modems      int
	submitDelay time.Duration
	opts        func(*Options)
	health      time.Duration // session health checks (default 1 min)
	opTimeout   time.Duration // inbound/health operation bound (default 45 s)
	simOpts     func(i int, o *sim.Options)
	queueOpts   func(o *queue.Options) // adjusts the queue's options
	sqliteOpts  sqlite.Options         // the driver's own options
	// net, when set, is the network the modems join (shared with another
	// rig); the rig does not close it.
	net *sim.Network
	// chain builds the inbound chain over the store of each start.
	chain func(st queue.Storage) []InboundHandler
}

// testLogger writes to the test log when SMSGW_TEST_LOG is set.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SMSGW_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = testWriter{}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	return newRigTB(t, o)
}

func newRigTB(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), log: testLogger(t), health: o.health, opTO: o.opTimeout, qopts: o.queueOpts, dopts: o.sqliteOpts, chain: o.chain}
	if r.net = o.net; r.net == nil {
		r.net = sim.NewNetwork(sim.NetworkOptions{})
		t.Cleanup(func() { r.net.Close(context.Background()) })
	}
	for i := 0; i < o.modems; i++ {
		so := sim.Options{Dir: r.dir, Name: fmt.Sprintf("sim%d", i), SubmitDelay: o.submitDelay}
		if o.simOpts != nil {
			o.simOpts(i, &so)
		}
		m, err := r.net.AddModem(context.Background(), so)
		if err != nil {
			t.Fatal(err)
		}
		r.modems = append(r.modems, m)
	}
	r.db = filepath.Join(r.dir, "smsgw.db")
	opts := DefaultOptions()
	opts.Logger = r.log
	opts.Retry.Backoff = 50 * time.Millisecond
	opts.Retry.MaxBackoff = 200 * time.Millisecond
	opts.Webhook.Backoff = 20 * time.Millisecond
	opts.Webhook.MaxBackoff = 100 * time.Millisecond
	for i, m := range r.modems {
		opts.Modems = append(opts.Modems, ModemOptions{Spec: pool.Spec{ID: fmt.Sprintf("sim%d", i), Port: m.Path(), Baud: 115200, Number: m.Number()}})
	}
	if o.opts != nil {
		o.opts(&opts)
	}
	r.opts = opts
	r.start()
	return r
}

// start opens the queue and starts a gateway on it.
func (r *rig) start() {
	r.t.Helper()
	qo := QueueOptions(r.opts)
	if r.qopts != nil {
		r.qopts(&qo)
	}
	st, err := sqlite.Open(r.db, qo, r.dopts)
	if err != nil {
		r.t.Fatal(err)
	}
	o := r.gatewayOptions(st)
	o.healthEvery, o.opTimeout = r.health, r.opTO
	g, err := New(o)
	if err != nil {
		r.t.Fatal(err)
	}
	r.st, r.g = st, g
	r.t.Cleanup(r.stop)
}

// stop shuts the gateway down gracefully and closes the queue.
func (r *rig) stop() {
	if r.g == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.g.Close(ctx); err != nil {
		r.t.Errorf("gateway stop: %v", err)
	}
	if err := r.st.Close(ctx); err != nil {
		r.t.Errorf("queue close: %v", err)
	}
	r.g, r.st = nil, nil
}

func (r *rig) waitReady(n int) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%d modems ready", n), 20*time.Second, func() bool {
		ready, _ := r.g.Pool().Ready()
		return ready >= n
	})
}

// waitFor polls a condition; the events it waits on live in other
// processes' worth of goroutines (ptys, SQLite), so a short poll with a
// generous deadline is the honest guard.
func (r *rig) waitFor(what string, limit time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) enqueue(m queue.NewMessage) []queue.Message {
	r.t.Helper()
	res, err := r.st.Enqueue(context.Background(), m)
	if err != nil {
		r.t.Fatal(err)
	}
	return res.Messages
}

func (r *rig) get(id int64) queue.Message {
	r.t.Helper()
	m, err := r.st.Get(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// waitStates waits until every message is in one of the states.
func (r *rig) waitStates(ids []int64, limit time.Duration, states ...smsgw.State) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%d messages in %v", len(ids), states), limit, func() bool {
		for _, id := range ids {
			m := r.get(id)
			ok := false
			for _, s := range states {
				ok = ok || m.State == s
			}
			if !ok {
				return false
			}
		}
		return true
	})
}

func (r *rig) inbox() []queue.InboxMessage {
	r.t.Helper()
	p, err := r.st.Inbox(context.Background(), queue.InboxFilter{Limit: 1000})
	if err != nil {
		r.t.Fatal(err)
	}
	return p.Messages
}

func (r *rig) member(id string) *pool.Member {
	r.t.Helper()
	m, ok := r.g.Pool().Member(id)
	if !ok {
		r.t.Fatalf("no modem %s", id)
	}
	return m
}

// outbound collects messages by id.
type idSet struct {
	mu  sync.Mutex
	ids []int64
}

func ids(ms []queue.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// The [retry] policy values, spelled as the configuration spells them so
// that subtests read as the setting they exercise.
const (
	policyAtMostOnce  = "at-most-once"
	policyAtLeastOnce = "at-least-once"
)

// gatewayOptions are the rig's settings with st and the rig's hooks added.
func (r *rig) gatewayOptions(st queue.Storage) Options {
	o := r.opts
	o.Store, o.Logger = st, r.log
	o.WebhookImport = filepath.Join(r.dir, "webhooks.json")
	if reg, ok := st.(hooks.Registry); ok {
		o.Webhooks = reg
	}
	o.OnCMGS, o.OnCMTI = r.figs.cmgs, r.figs.cmti
	if r.chain != nil {
		o.InboundHandlers = r.chain(st)
	}
	return o
}
