package httpd

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/api"
)

// Router mounts every route of the stack on one mux, each behind the
// checks all routes share (see wrap), in the stack's order, then the
// sites' pages; a path or method nothing takes is answered with the v1
// error body.
func Router(s *Stack) *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(NotFound)
	routes := s.Routes()
	r.MethodNotAllowedHandler = methodNotAllowed(routes)
	for _, rt := range routes {
		r.Handle(rt.Path, s.wrap(rt)).Methods(rt.Method)
	}
	s.mountSites(r)
	return r
}

// Front is the handler a daemon serves: its Router, with the hottest
// request, a send (POST /v1/messages), handed straight to the route the
// Router would match for it. Matching the path pattern and copying the
// request twice to carry the route and its (no) variables cost as much as
// the route's own checks.
type Front struct {
	*mux.Router
	send http.Handler
}

// sendPath is the path of the route Front takes itself.
const sendPath = "/v1/messages"

// Handler is the Front over Router(s).
func Handler(s *Stack) *Front {
	r := Router(s)
	f := &Front{Router: r}
	probe, err := http.NewRequest(http.MethodPost, sendPath, nil)
	if err != nil {
		return f
	}
	var m mux.RouteMatch
	if r.Match(probe, &m) && m.Route != nil && len(m.Vars) == 0 {
		if tpl, err := m.Route.GetPathTemplate(); err == nil && tpl == sendPath {
			f.send = m.Handler
		}
	}
	return f
}

// ServeHTTP serves a send through its route and anything else through
// the Router.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.send != nil && r.Method == http.MethodPost && r.URL.Path == sendPath {
		f.send.ServeHTTP(w, r)
		return
	}
	f.Router.ServeHTTP(w, r)
}

// NotFound answers a path no route matches with the v1 error body.
func NotFound(w http.ResponseWriter, r *http.Request) {
	api.WriteError(w, api.Errorf(http.StatusNotFound, api.CodeNotFound, "", "no route for %s %s", r.Method, r.URL.Path))
}

// MethodNotAllowed answers a method the matched path does not take with
// the v1 error body.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	api.WriteError(w, api.Errorf(http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, "", "method %s not allowed on %s", r.Method, r.URL.Path))
}

// methodNotAllowed answers a method a path of routes does not take: 405
// with an Allow header naming the methods it does take (RFC 9110 section
// 15.5.6), written in the style of the path's routes (Kannel's plain text
// on /cgi-bin/sendsms, SMSGate's shape on its routes, else v1's).
func methodNotAllowed(routes []api.Route) http.Handler {
	type pathInfo struct {
		methods []string
		write   func(http.ResponseWriter, *api.Error)
	}
	routes = slices.Clone(routes) // built later, from the routes as they are now
	// The probe router compiles every path's pattern a second time (a
	// quarter of a megabyte kept for the life of the process); a 405 is
	// rare, so it is built by the first one.
	var (
		once  sync.Once
		probe *mux.Router
		infos map[string]*pathInfo
	)
	build := func() {
		probe, infos = mux.NewRouter(), map[string]*pathInfo{}
		for _, rt := range routes {
			pi := infos[rt.Path]
			if pi == nil {
				pi = &pathInfo{write: rt.Write}
				infos[rt.Path] = pi
				probe.Handle(rt.Path, http.NotFoundHandler())
			}
			if !slices.Contains(pi.methods, rt.Method) {
				pi.methods = append(pi.methods, rt.Method)
			}
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(build)
		var m mux.RouteMatch
		var pi *pathInfo
		if probe.Match(r, &m) && m.Route != nil {
			if tpl, err := m.Route.GetPathTemplate(); err == nil {
				pi = infos[tpl]
			}
		}
		if pi == nil {
			MethodNotAllowed(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(pi.methods, ", "))
		write := pi.write
		if write == nil {
			write = api.WriteError
		}
		write(w, api.Errorf(http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, "",
			"method %s not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(pi.methods, " or ")))
	})
}

// wrap applies to one route what every route shares: the browser-origin
// guard, the body limit, authentication (the caller goes into the
// request's context, see smsgw.CallerFrom), metrics, panic recovery and
// writing the route's errors in its own style.
func (s *Stack) wrap(rt api.Route) http.Handler {
	kannel := rt.Style == api.StyleKannel
	write := rt.Write
	if write == nil {
		write = api.WriteError
	}
	route, n, fn := rt.Path, rt.Need, rt.Serve
	rm := s.metrics.forRoute(strings.ToUpper(rt.Method), route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("httpd: panic in handler", "route", route, "panic", fmt.Sprint(v))
				if !sw.wrote {
					write(sw, api.Errorf(http.StatusInternalServerError, api.CodeInternal, "", "internal error"))
				}
			}
			rm.observe(r.Method, sw.status(), time.Since(start))
		}()
		stateChanging := isStateChanging(r.Method) || kannel
		if e := s.guard.check(r, stateChanging, kannel && r.Method == http.MethodGet); e != nil {
			write(sw, e)
			return
		}
		if r.Body != nil {
			limit := s.API.MaxBodyBytes()
			if rt.BodyLimit > 0 {
				limit = rt.BodyLimit
			}
			r.Body = http.MaxBytesReader(sw, r.Body, limit)
		}
		if kannel {
			// Kannel credentials may come in a form body.
			parse := r.ParseForm
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				parse = func() error { return r.ParseMultipartForm(s.API.MaxBodyBytes()) }
			}
			if err := parse(); err != nil {
				write(sw, api.FormError(err))
				return
			}
		}
		caller, known, e := s.auth.authorize(r, n, kannel, stateChanging)
		if e != nil {
			if kannel {
				// Kannel answers every refusal alike.
				e = api.Errorf(http.StatusForbidden, api.CodeForbidden, "", "Authorization failed for sendsms")
			}
			write(sw, e)
			return
		}
		if known {
			r = r.WithContext(smsgw.WithCaller(r.Context(), caller))
		}
		if e := fn(sw, r); e != nil {
			if e.Status == http.StatusInternalServerError {
				s.log.Error("httpd: request failed", "route", route, "method", r.Method, "code", e.Code)
			}
			write(sw, e)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusWriter) WriteHeader(c int) {
	if !s.wrote {
		s.code = c
		s.wrote = true
	}
	s.ResponseWriter.WriteHeader(c)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.code = http.StatusOK
		s.wrote = true
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if !s.wrote {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func isStateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}
