package httpd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/mux"
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
	// API configures the v1 API and the compatible APIs; its Registry is
	// replaced by the one in Metrics.
	API api.Options
	// Kannel configures the Kannel compatible API's dlr-url callbacks.
	Kannel kannel.Options
	// Backend is what the API talks to.
	Backend api.Backend
	// Listen says where the API listens; HaveTokens is filled in from
	// API.Tokens.
	Listen ListenConfig
	// Server bounds every connection.
	Server ServerConfig
	// Pprof serves the Go runtime profiles under /debug/pprof/ to tokens
	// of full scope ([debug] pprof); off, those paths do not exist.
	Pprof bool
}

// Server is the HTTP layer of a running daemon: the API mounted on its
// listener with its metrics registry. New opens the listener, Start serves
// on it, Close stops it.
type Server struct {
	st        *Stack
	srv       *http.Server
	ln        net.Listener
	errc      chan error
	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error
}

// New builds the API on m's registry and opens its listener (refusing, as
// Listen does, an exposed address without tokens). Nothing is served until
// Start.
func New(o Options, m *Metrics) (*Server, error) {
	if m == nil {
		var err error
		if m, err = NewMetrics(); err != nil {
			return nil, err
		}
	}
	o.API.Registry = m.Registry
	st, err := NewStack(o)
	if err != nil {
		return nil, err
	}
	o.Listen.HaveTokens = len(o.API.Tokens) > 0
	ln, err := Listen(o.Listen)
	if err != nil {
		st.Close(context.Background())
		return nil, err
	}
	return &Server{st: st, srv: NewServer(Router(st, o.Pprof), o.Server), ln: ln, errc: make(chan error, 1)}, nil
}

// Stack is every route set the HTTP layer mounts: the v1 API (with health,
// metrics and the OpenAPI document) and the SMSGate and Kannel compatible
// APIs built on it.
type Stack struct {
	API    *api.Handler
	ASG    *asg.API
	Kannel *kannel.API
}

// NewStack builds the v1 API from o.API and o.Backend and the compatible
// APIs on it; nothing listens yet. Close releases it.
func NewStack(o Options) (*Stack, error) {
	h, err := api.New(o.API, o.Backend)
	if err != nil {
		return nil, err
	}
	k, err := kannel.New(h, o.Kannel)
	if err != nil {
		h.Close(context.Background())
		return nil, err
	}
	return &Stack{API: h, ASG: asg.New(h), Kannel: k}, nil
}

// Routes lists every route in the order they are tried: v1, SMSGate,
// Kannel, and with pprof the runtime profiles.
func (s *Stack) Routes(pprof bool) []api.Route {
	routes := s.API.Routes()
	routes = append(routes, s.ASG.Routes()...)
	routes = append(routes, s.Kannel.Routes()...)
	if pprof {
		routes = append(routes, pprofRoutes()...)
	}
	return routes
}

// Publish hands one gateway event to the v1 event streams and the Kannel
// dlr-url callbacks (see api.Handler.Publish and kannel.API.Publish).
func (s *Stack) Publish(ev smsgw.Event) {
	s.API.Publish(ev)
	s.Kannel.Publish(ev)
}

// Close ends the event streams and waits, bounded by ctx, for pending
// dlr-url callbacks.
func (s *Stack) Close(ctx context.Context) error {
	err := s.API.Close(ctx)
	return errors.Join(err, s.Kannel.Close(ctx))
}

// Router mounts every route of the stack on one mux, each behind the
// checks all routes share (Wrap), in the stack's order; a path or method
// no route takes is answered with the v1 error body.
func Router(s *Stack, pprof bool) *mux.Router {
	h := s.API
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(h.NotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(h.MethodNotAllowed)
	for _, rt := range s.Routes(pprof) {
		r.Handle(rt.Path, h.Wrap(rt)).Methods(rt.Method)
	}
	return r
}

// Addr is the address the API listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Start serves the API on its listener in a goroutine that Close ends.
// Start is idempotent.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		go func() { s.errc <- s.srv.Serve(s.ln) }()
	})
}

// Err reports why serving stopped before Close was called: the listener
// failed.
func (s *Server) Err() <-chan error { return s.errc }

// Publish hands one gateway event to the API's event streams (see
// Stack.Publish).
func (s *Server) Publish(ev smsgw.Event) { s.st.Publish(ev) }

// KannelDLR makes the Kannel dlr-url callback an event asks for (see
// kannel.API.KannelDLR).
func (s *Server) KannelDLR(ctx context.Context, ev smsgw.Event) error {
	return s.st.Kannel.KannelDLR(ctx, ev)
}

// Close ends the event streams and pending delivery-report callbacks, then
// stops taking requests and waits for those in flight, bounded by ctx.
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
		// Shutdown also closes a listener that Start never served.
		s.ln.Close()
	})
	return s.closeErr
}
