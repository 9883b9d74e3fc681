package httpd

import (
	"context"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// QueueGauges is what /metrics reads from the store at each scrape.
type QueueGauges interface {
	// OldestQueued returns when the oldest queued message was accepted
	// (the zero time when none is queued).
	OldestQueued(ctx context.Context) (time.Time, error)
	// Backlog returns each event consumer's unacknowledged events.
	Backlog(ctx context.Context) (map[string]int64, error)
}

// Build names the running binary in smsgw_build_info.
type Build struct {
	Version, Commit string
}

// internalConsumers are event consumers that are not hooks: the API's
// event stream and the inbound rules chain. Their backlog is shown, but
// they have no delivery counters.
var internalConsumers = map[string]bool{"api-events": true, "inbound-chain": true}

var (
	descOldest = prometheus.NewDesc("smsgw_queue_oldest_message_age_seconds",
		"Age of the oldest queued message (0 when none is queued): a queue that stops draining shows here first.", nil, nil)
	descBacklog = prometheus.NewDesc("smsgw_hook_backlog_events",
		"Events a script, webhook or other event consumer has not yet acknowledged.", []string{"hook"}, nil)
)

// queueCollector reads QueueGauges at each scrape.
type queueCollector struct {
	q   QueueGauges
	rec *Recorder
	now func() time.Time
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descOldest
	ch <- descBacklog
	c.rec.hooks.Describe(ch)
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if t, err := c.q.OldestQueued(ctx); err == nil {
		age := 0.0
		if !t.IsZero() {
			age = max(c.now().Sub(t).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
	}
	// The hook delivery counters are collected here, after the backlog
	// made sure every hook has them: in a registry of their own they
	// could be gathered before, and miss a hook on its first scrape.
	defer c.rec.hooks.Collect(ch)
	b, err := c.q.Backlog(ctx)
	if err != nil {
		return
	}
	for name, n := range b {
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(n), name)
		// A gateway's own consumer on a shared database is "name@node".
		if base, _, _ := strings.Cut(name, "@"); !internalConsumers[base] {
			// Every hook's delivery counters exist from its first scrape,
			// at 0, so rate() and increase() see the first failure.
			c.rec.knowHook(name)
		}
	}
}

// Watch adds to the registry what describes the running daemon: the Go
// runtime and process collectors, smsgw_build_info, and the gauges read
// from the store at each scrape. The daemon calls it once, with its store.
func (m *Metrics) Watch(b Build, q QueueGauges) error {
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "smsgw_build_info",
		Help:        "The running smsgw's version, commit and Go version; always 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "goversion": runtime.Version()},
	})
	build.Set(1)
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build,
	}
	if q != nil {
		m.Registry.Unregister(m.Recorder.hooks)
		cs = append(cs, &queueCollector{q: q, rec: m.Recorder, now: time.Now})
	}
	for _, c := range cs {
		if err := m.Registry.Register(c); err != nil {
			return err
		}
	}
	return nil
}
