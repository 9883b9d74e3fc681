package httpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"smsgw"
	"smsgw/api"
	"smsgw/api/compat/asg"
	"smsgw/api/compat/kannel"
)

// Metrics is the registry /metrics serves and the recorder of the
// measurements only the daemon makes. The daemon makes it first, hands the
// recorder's methods to the gateway that feeds it, then builds the Server
// on it.
type Metrics struct {
	Registry *prometheus.Registry
	Recorder *Recorder
}

// NewMetrics makes an empty registry with the daemon's own measurements
// registered in it.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	rec, err := NewRecorder(reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &Metrics{Registry: reg, Recorder: rec}, nil
}

// Options say what the Server serves and where.
type Options struct {
	// API configures the v1 API and the compatible APIs built on it.
	API api.Options
	// Backend is what the API talks to.
	Backend api.Backend
	// Tokens are the bearer tokens every route but the open ones asks
	// for; none means no authentication (Listen then refuses a
	// non-loopback address) and every caller has full scope.
	Tokens []Token
	// AllowedHosts are Host header values answered without tokens besides
	// localhost and loopback addresses ("name" for any port, "name:port"
	// for that port only). With tokens every Host is answered.
	AllowedHosts []string
	// KannelGet is KannelGetLocal (the default) or KannelGetNever: when
	// GET /cgi-bin/sendsms is accepted without a token.
	KannelGet string
	// Sites are further route sets on the same listener (the dashboard);
	// see Site.
	Sites []Site
	// Listen says where the API listens; HaveTokens is filled in from
	// Tokens.
	Listen ListenConfig
	// Server bounds every connection.
	Server ServerConfig
	// Pprof serves the Go runtime profiles under /debug/pprof/ to tokens
	// of full scope ([debug] pprof); off, those paths do not exist.
	Pprof bool
}

// Server is the HTTP layer of a running daemon: the API mounted on its
// listener with its metrics registry. New opens the listener and serves
// on it, Close stops it.
type Server struct {
	st        *Stack
	srv       *http.Server
	ln        net.Listener
	errc      chan error
	closeOnce sync.Once
	closeErr  error
}

// New builds the API on m's registry, opens its listener (refusing, as
// Listen does, an exposed address without tokens) and serves on it in a
// goroutine that Close ends. Build the parts the API talks to first.
func New(o Options, m *Metrics) (*Server, error) {
	if m == nil {
		var err error
		if m, err = NewMetrics(); err != nil {
			return nil, err
		}
	}
	st, err := NewStack(o, m)
	if err != nil {
		return nil, err
	}
	o.Listen.HaveTokens = len(o.Tokens) > 0
	ln, err := Listen(o.Listen)
	if err != nil {
		st.Close(context.Background())
		return nil, err
	}
	s := &Server{st: st, srv: NewServer(Handler(st), o.Server), ln: ln, errc: make(chan error, 1)}
	go func() { s.errc <- s.srv.Serve(s.ln) }()
	return s, nil
}

// Stack is every route set the HTTP layer mounts (the v1 API, the SMSGate
// and Kannel compatible APIs built on it, health and metrics, the sites)
// and what it wraps each route in: the origin guard, authentication and
// the request metrics.
type Stack struct {
	API    *api.Handler
	ASG    *asg.API
	Kannel *kannel.API

	opts    Options
	reg     *prometheus.Registry
	metrics *httpMetrics
	auth    *authenticator
	guard   guard
	log     *slog.Logger
}

// NewStack builds the v1 API from o.API and o.Backend, the compatible APIs
// on it, and registers the request metrics in m's registry (nil: a
// registry of its own); nothing listens yet. Close releases it.
func NewStack(o Options, m *Metrics) (*Stack, error) {
	switch o.KannelGet {
	case "":
		o.KannelGet = KannelGetLocal
	case KannelGetLocal, KannelGetNever:
	default:
		return nil, fmt.Errorf("httpd: KannelGet %q: want %q or %q", o.KannelGet, KannelGetLocal, KannelGetNever)
	}
	if m == nil {
		var err error
		if m, err = NewMetrics(); err != nil {
			return nil, err
		}
	}
	h, err := api.New(o.API, o.Backend)
	if err != nil {
		return nil, err
	}
	s := &Stack{API: h, ASG: asg.New(h), Kannel: kannel.New(h), opts: o, reg: m.Registry, log: h.Logger(),
		guard: guard{allowedHosts: o.AllowedHosts, kannelGet: o.KannelGet, tokenless: len(o.Tokens) == 0}}
	var extra []Authenticator
	for _, site := range o.Sites {
		extra = append(extra, site)
	}
	s.auth = newAuthenticator(o.Tokens, extra)
	if s.metrics, err = newHTTPMetrics(m.Registry, h); err != nil {
		s.Close(context.Background())
		return nil, fmt.Errorf("httpd: metrics: %w", err)
	}
	return s, nil
}

// Routes lists every API route in the order they are tried: v1, health
// and metrics, SMSGate, Kannel, and with Options.Pprof the runtime
// profiles. The sites' pages come after them.
func (s *Stack) Routes() []api.Route {
	routes := s.API.Routes()
	routes = append(routes, s.healthRoutes()...)
	routes = append(routes, s.ASG.Routes()...)
	routes = append(routes, s.Kannel.Routes()...)
	if s.opts.Pprof {
		routes = append(routes, pprofRoutes()...)
	}
	return routes
}

// Publish hands one event to the v1 event streams of a stack built without
// a daemon's fanout (api.Backend.Fanout), as tests do; a daemon's streams
// are fed by the outbox.
func (s *Stack) Publish(ev smsgw.Event) { s.API.Publish(ev) }

// Close ends the event streams the stack owns.
func (s *Stack) Close(ctx context.Context) error { return s.API.Close(ctx) }

// Addr is the address the API listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Err reports why serving stopped before Close was called: the listener
// failed.
func (s *Server) Err() <-chan error { return s.errc }

// Publish hands one event to the API's event streams (see Stack.Publish).
func (s *Server) Publish(ev smsgw.Event) { s.st.Publish(ev) }

// Close ends the event streams it owns, then stops taking requests and waits for those in flight, bounded by ctx.
// When ctx ends first the connections still open are closed and Close
// returns why Shutdown gave up. Close is idempotent.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.st.Close(ctx)
		err := s.srv.Shutdown(ctx)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.srv.Close()
			s.closeErr = err
		}
		s.ln.Close()
	})
	return s.closeErr
}
