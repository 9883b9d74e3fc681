package httpd

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"smsgw"
	"smsgw/api"
)

// httpMetrics are the request counters and latencies of every route plus a
// collector that reads the queue depth and the live modem status at scrape
// time (no copies to keep in sync). Labels never carry phone numbers or
// message ids.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry, h *api.Handler) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_http_requests_total",
			Help: "HTTP API requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "smsgw_http_request_duration_seconds",
			Help:    "HTTP API request latency by route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, &stateCollector{h: h}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *httpMetrics) observe(method, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// commonCodes are the status codes whose counters a route keeps at hand.
var commonCodes = [...]int{200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503}

// routeMetrics are the series of one route, looked up on its first request
// and kept, so a request costs no label lookup. A series still appears
// only once a request made it (a route nobody called shows none).
type routeMetrics struct {
	m             *httpMetrics
	method, route string
	duration      atomic.Pointer[prometheus.Observer]
	codes         [len(commonCodes)]atomic.Pointer[prometheus.Counter]
}

// forRoute returns the series of the route answering method on route.
func (m *httpMetrics) forRoute(method, route string) *routeMetrics {
	return &routeMetrics{m: m, method: method, route: route}
}

// observe records one request; method is the request's, which the router
// matched to the route's own (any other takes the slow way).
func (rm *routeMetrics) observe(method string, code int, d time.Duration) {
	if method != rm.method {
		rm.m.observe(method, rm.route, code, d)
		return
	}
	obs := rm.duration.Load()
	if obs == nil {
		o := rm.m.duration.WithLabelValues(rm.route)
		rm.duration.Store(&o)
		obs = &o
	}
	(*obs).Observe(d.Seconds())
	for i, c := range commonCodes {
		if c != code {
			continue
		}
		ctr := rm.codes[i].Load()
		if ctr == nil {
			nc := rm.m.requests.WithLabelValues(rm.route, rm.method, strconv.Itoa(code))
			rm.codes[i].Store(&nc)
			ctr = &nc
		}
		(*ctr).Inc()
		return
	}
	rm.m.requests.WithLabelValues(rm.route, rm.method, strconv.Itoa(code)).Inc()
}

var (
	descQueue = prometheus.NewDesc("smsgw_queue_messages",
		"Outbound messages in the queue by state.", []string{"state"}, nil)
	descStoreUp = prometheus.NewDesc("smsgw_store_up",
		"1 when the message store answers, else 0.", nil, nil)
	descModemUp = prometheus.NewDesc("smsgw_modem_up",
		"1 when the modem is ready to send, else 0.", []string{"modem"}, nil)
	descModemInfo = prometheus.NewDesc("smsgw_modem_info",
		"Modem identity; always 1.", []string{"modem", "manufacturer", "model", "revision", "imei"}, nil)
	descModemState = prometheus.NewDesc("smsgw_modem_state",
		"Modem state as a one-hot gauge.", []string{"modem", "state"}, nil)
	descSignal = prometheus.NewDesc("smsgw_modem_signal_dbm",
		"Received signal strength in dBm.", []string{"modem"}, nil)
	descRegistered = prometheus.NewDesc("smsgw_modem_registered",
		"1 when registered to a network (home or roaming), else 0.", []string{"modem", "registration"}, nil)
	descSent = prometheus.NewDesc("smsgw_modem_messages_sent_total",
		"Messages sent by the modem since the daemon started.", []string{"modem"}, nil)
	descFailed = prometheus.NewDesc("smsgw_modem_send_failures_total",
		"Failed sends by the modem and +CMS/+CME error code.", []string{"modem", "code"}, nil)
	descFailedAll = prometheus.NewDesc("smsgw_modem_messages_failed_total",
		"Sends that failed on the modem, whatever the error, since the daemon started (0 from the start, for alerts on its rate).", []string{"modem"}, nil)
	descReceived = prometheus.NewDesc("smsgw_modem_messages_received_total",
		"Messages received by the modem since the daemon started.", []string{"modem"}, nil)
	descReconnects = prometheus.NewDesc("smsgw_modem_reconnects_total",
		"Times the modem was reopened or re-initialised.", []string{"modem"}, nil)
	descStreams = prometheus.NewDesc("smsgw_event_streams",
		"Open /v1/events streams.", nil, nil)
)

type stateCollector struct{ h *api.Handler }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueue, descStoreUp, descModemUp, descModemInfo, descModemState, descSignal, descRegistered, descSent, descFailed, descFailedAll, descReceived, descReconnects, descStreams} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch <- prometheus.MustNewConstMetric(descStreams, prometheus.GaugeValue, float64(c.h.Streams()))
	counts, err := c.h.Backend().Store.Counts(ctx)
	up := 1.0
	if err != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, up)
	if err == nil {
		for _, st := range smsgw.States {
			ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(counts[st]), string(st))
		}
	}
	if c.h.Backend().Modems == nil {
		return
	}
	ms, err := c.h.Backend().Modems.Modems(ctx)
	if err != nil {
		return
	}
	for _, m := range ms {
		m = withBars(m)
		ready := 0.0
		if m.State == "ready" {
			ready = 1
		}
		ch <- prometheus.MustNewConstMetric(descModemUp, prometheus.GaugeValue, ready, m.ID)
		ch <- prometheus.MustNewConstMetric(descModemInfo, prometheus.GaugeValue, 1, m.ID, m.Manufacturer, m.Model, m.Revision, m.IMEI)
		// Every state, zeros included: an alert on "benched" must have a
		// series before the first modem is benched.
		known := false
		for _, st := range smsgw.ModemStates {
			v := 0.0
			if st == m.State {
				v, known = 1, true
			}
			ch <- prometheus.MustNewConstMetric(descModemState, prometheus.GaugeValue, v, m.ID, st)
		}
		if !known && m.State != "" {
			ch <- prometheus.MustNewConstMetric(descModemState, prometheus.GaugeValue, 1, m.ID, m.State)
		}
		if m.SignalDBM != nil {
			ch <- prometheus.MustNewConstMetric(descSignal, prometheus.GaugeValue, float64(*m.SignalDBM), m.ID)
		}
		reg := 0.0
		if m.Registered() {
			reg = 1
		}
		ch <- prometheus.MustNewConstMetric(descRegistered, prometheus.GaugeValue, reg, m.ID, m.Registration)
		ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(m.Counters.Sent), m.ID)
		ch <- prometheus.MustNewConstMetric(descFailedAll, prometheus.CounterValue, float64(m.Counters.Failed), m.ID)
		ch <- prometheus.MustNewConstMetric(descReceived, prometheus.CounterValue, float64(m.Counters.Received), m.ID)
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(m.Counters.Reconnects), m.ID)
		for code, n := range m.Counters.FailuresByCode {
			ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(n), m.ID, strconv.Itoa(code))
		}
	}
}

// withBars fills what /v1/modems shows besides the gateway's own fields.
func withBars(m smsgw.ModemStatus) smsgw.ModemStatus {
	if m.SignalDBM != nil {
		m.SignalBars = api.SignalBars(*m.SignalDBM)
	}
	if m.Registration == "" {
		m.Registration = "unknown"
	}
	return m
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
