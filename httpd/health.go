package httpd

import (
	"net/http"

	"smsgw/api"
)

// Health is the body of /healthz and /readyz.
type Health struct {
	Status  string            `json:"status"` // ok, ready, not_ready
	Version string            `json:"version,omitempty"`
	Uptime  float64           `json:"uptime_seconds"`
	Checks  map[string]string `json:"checks,omitempty"`
}

// healthRoutes are the liveness and readiness probes and the Prometheus
// scrape, in the v1 error style.
func (s *Stack) healthRoutes() []api.Route {
	metrics := metricsHandler(s.reg)
	return []api.Route{
		{Method: http.MethodGet, Path: "/healthz", Need: api.NeedNone, Style: api.StyleV1, Serve: s.healthz},
		{Method: http.MethodGet, Path: "/readyz", Need: api.NeedNone, Style: api.StyleV1, Serve: s.readyz},
		{Method: http.MethodGet, Path: "/metrics", Need: api.NeedRead, Style: api.StyleV1, Serve: func(w http.ResponseWriter, r *http.Request) *api.Error {
			metrics.ServeHTTP(w, r)
			return nil
		}},
	}
}

// healthz answers while the process serves HTTP at all.
func (s *Stack) healthz(w http.ResponseWriter, r *http.Request) *api.Error {
	h := s.API
	api.WriteJSON(w, http.StatusOK, Health{Status: "ok", Version: h.Version(), Uptime: h.Now().Sub(h.Started()).Seconds()})
	return nil
}

// readyz answers 200 when the database answers and a modem is registered.
func (s *Stack) readyz(w http.ResponseWriter, r *http.Request) *api.Error {
	h := s.API
	ok, checks, _, _ := h.Readiness(r.Context())
	hl := Health{Status: "ready", Version: h.Version(), Uptime: h.Now().Sub(h.Started()).Seconds(), Checks: checks}
	code := http.StatusOK
	if !ok {
		hl.Status = "not_ready"
		code = http.StatusServiceUnavailable
	}
	api.WriteJSON(w, code, hl)
	return nil
}
