package api

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Health is the body of /healthz and /readyz.
type Health struct {
	Status  string            `json:"status"` // ok, ready, not_ready
	Version string            `json:"version,omitempty"`
	Uptime  float64           `json:"uptime_seconds"`
	Checks  map[string]string `json:"checks,omitempty"`
}

// healthz answers while the process serves HTTP at all.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) *Error {
	writeJSON(w, http.StatusOK, Health{Status: "ok", Version: h.opts.Version, Uptime: h.now().Sub(h.started).Seconds()})
	return nil
}

// readiness: the database answers and at least one modem is registered.
func (h *Handler) readiness(ctx context.Context) (bool, map[string]string, int, int) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if err := h.b.Store.Ping(ctx); err != nil {
		checks["database"] = "fail: " + err.Error()
		ok = false
	} else {
		checks["database"] = "ok"
	}
	total, registered := 0, 0
	if h.b.Modems == nil {
		checks["modems"] = "fail: no modem source"
		return false, checks, 0, 0
	}
	ms, err := h.b.Modems.Modems(ctx)
	if err != nil {
		checks["modems"] = "fail: " + err.Error()
		return false, checks, 0, 0
	}
	for _, m := range ms {
		total++
		if m.Registered() {
			registered++
		}
	}
	if registered == 0 {
		ok = false
		checks["modems"] = fmt.Sprintf("fail: %d of %d registered", registered, total)
	} else {
		checks["modems"] = fmt.Sprintf("ok: %d of %d registered", registered, total)
	}
	return ok, checks, total, registered
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) *Error {
	ok, checks, _, _ := h.readiness(r.Context())
	hl := Health{Status: "ready", Version: h.opts.Version, Uptime: h.now().Sub(h.started).Seconds(), Checks: checks}
	code := http.StatusOK
	if !ok {
		hl.Status = "not_ready"
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, hl)
	return nil
}
