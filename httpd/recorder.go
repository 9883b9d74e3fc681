package httpd

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Recorder takes the measurements only the daemon can make (how long a
// send took on the wire, how hook deliveries went) into the HTTP layer's
// registry, so /metrics shows them next to the API's own. Safe for
// concurrent use; a nil *Recorder ignores every call.
type Recorder struct {
	sendDuration *prometheus.HistogramVec
	hooks        *prometheus.CounterVec
}

// NewRecorder registers the daemon's measurements in reg. NewMetrics makes
// it before the gateway that feeds it, in the registry /metrics serves.
func NewRecorder(reg *prometheus.Registry) (*Recorder, error) {
	r := &Recorder{
		sendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smsgw_send_duration_seconds",
			Help: "Time from handing a message to a modem until every part was accepted (+CMGS), by modem.",
			// From a fast single part to a congested multi-part send.
			Buckets: []float64{.25, .5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120},
		}, []string{"modem"}),
		hooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_hook_deliveries_total",
			Help: "Event deliveries to scripts and webhooks by hook and result (ok, failed; skipped: filtered out by the hook, not sent).",
		}, []string{"hook", "result"}),
	}
	for _, c := range []prometheus.Collector{r.sendDuration, r.hooks} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ObserveSend records one completed send on modem.
func (r *Recorder) ObserveSend(modem string, d time.Duration) {
	if r == nil {
		return
	}
	r.sendDuration.WithLabelValues(modem).Observe(d.Seconds())
}

// HookDelivery records one delivery attempt of an event to a hook (its
// consumer name, e.g. "exec" or "webhook:<id>"; never a URL with secrets).
func (r *Recorder) HookDelivery(hook string, ok bool) {
	if r == nil {
		return
	}
	res := "ok"
	if !ok {
		res = "failed"
	}
	r.hooks.WithLabelValues(hook, res).Inc()
}

// knowHook creates a hook's delivery counters at 0.
func (r *Recorder) knowHook(hook string) {
	if r == nil {
		return
	}
	for _, res := range []string{"ok", "failed", "skipped"} {
		r.hooks.WithLabelValues(hook, res)
	}
}

// HookSkipped records an event the hook filtered out (another event kind or
// modem than it subscribed to): nothing was sent, so it is neither ok nor
// failed.
func (r *Recorder) HookSkipped(hook string) {
	if r == nil {
		return
	}
	r.hooks.WithLabelValues(hook, "skipped").Inc()
}
