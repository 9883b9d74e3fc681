package api

import (
	"context"
	"fmt"
	"time"
)

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
