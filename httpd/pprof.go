package httpd

import (
	"net/http"
	"net/http/pprof"

	"smsgw/api"
)

// pprofRoutes serves the runtime profiles (CPU, heap, allocations,
// goroutines, execution trace) to full-scope tokens. They reveal command
// lines, code paths and, in a heap dump, memory contents, and a CPU
// profile or trace keeps a core busy for as long as the caller asks, so
// they exist only when [debug] pprof is on. A CPU profile or trace must be
// shorter than the server's 30 s write timeout (?seconds=25 at most).
func pprofRoutes() []api.Route {
	serve := func(fn http.HandlerFunc) func(http.ResponseWriter, *http.Request) *api.Error {
		return func(w http.ResponseWriter, r *http.Request) *api.Error {
			fn(w, r)
			return nil
		}
	}
	return []api.Route{
		{Method: http.MethodGet, Path: "/debug/pprof/", Need: api.NeedFull, Style: api.StyleV1, Serve: serve(pprof.Index)},
		{Method: http.MethodGet, Path: "/debug/pprof/cmdline", Need: api.NeedFull, Style: api.StyleV1, Serve: serve(pprof.Cmdline)},
		{Method: http.MethodGet, Path: "/debug/pprof/profile", Need: api.NeedFull, Style: api.StyleV1, Serve: serve(pprof.Profile)},
		{Method: http.MethodGet, Path: "/debug/pprof/symbol", Need: api.NeedFull, Style: api.StyleV1, Serve: serve(pprof.Symbol)},
		{Method: http.MethodGet, Path: "/debug/pprof/trace", Need: api.NeedFull, Style: api.StyleV1, Serve: serve(pprof.Trace)},
		// heap, allocs, goroutine, block, mutex, threadcreate: pprof.Index
		// serves a named profile from the path's last element.
		{Method: http.MethodGet, Path: "/debug/pprof/{profile}", Need: api.NeedFull, Style: api.StyleV1, Serve: serve(pprof.Index)},
	}
}
