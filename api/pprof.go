package api

import (
	"net/http"
	"net/http/pprof"

	"github.com/gorilla/mux"
)

// pprofRoutes serves the runtime profiles (CPU, heap, allocations,
// goroutines, execution trace) to full-scope tokens. They reveal command
// lines, code paths and, in a heap dump, memory contents, and a CPU
// profile or trace keeps a core busy for as long as the caller asks, so
// they exist only when [debug] pprof is on. A CPU profile or trace must be
// shorter than the server's 30 s write timeout (?seconds=25 at most).
func (h *Handler) pprofRoutes(r *mux.Router) {
	serve := func(fn http.HandlerFunc) func(http.ResponseWriter, *http.Request) *Error {
		return func(w http.ResponseWriter, r *http.Request) *Error {
			fn(w, r)
			return nil
		}
	}
	h.handle(r, http.MethodGet, "/debug/pprof/", needFull, styleV1, serve(pprof.Index))
	h.handle(r, http.MethodGet, "/debug/pprof/cmdline", needFull, styleV1, serve(pprof.Cmdline))
	h.handle(r, http.MethodGet, "/debug/pprof/profile", needFull, styleV1, serve(pprof.Profile))
	h.handle(r, http.MethodGet, "/debug/pprof/symbol", needFull, styleV1, serve(pprof.Symbol))
	h.handle(r, http.MethodGet, "/debug/pprof/trace", needFull, styleV1, serve(pprof.Trace))
	// heap, allocs, goroutine, block, mutex, threadcreate: pprof.Index
	// serves a named profile from the path's last element.
	h.handle(r, http.MethodGet, "/debug/pprof/{profile}", needFull, styleV1, serve(pprof.Index))
}
