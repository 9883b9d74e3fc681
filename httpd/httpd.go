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
	h         *api.Handler
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
	h, err := api.New(o.API, o.Backend)
	if err != nil {
		return nil, err
	}
	o.Listen.HaveTokens = len(o.API.Tokens) > 0
	ln, err := Listen(o.Listen)
	if err != nil {
		h.Close(context.Background())
		return nil, err
	}
	return &Server{h: h, srv: NewServer(Router(h, o.Pprof), o.Server), ln: ln, errc: make(chan error, 1)}, nil
}

// Router mounts every route of the API on one mux, each behind the checks
// all routes share (Wrap), in the API's order; a path or method no route
// takes is answered with the v1 error body. With pprof the runtime
// profiles are mounted after the API's routes.
func Router(h *api.Handler, pprof bool) *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(h.NotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(h.MethodNotAllowed)
	routes := h.Routes()
	if pprof {
		routes = append(routes, pprofRoutes()...)
	}
	for _, rt := range routes {
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
// api.Handler.Publish).
func (s *Server) Publish(ev smsgw.Event) { s.h.Publish(ev) }

// KannelDLR makes the Kannel dlr-url callback an event asks for (see
// api.Handler.KannelDLR).
func (s *Server) KannelDLR(ctx context.Context, ev smsgw.Event) error {
	return s.h.KannelDLR(ctx, ev)
}

// Close ends the event streams and pending delivery-report callbacks, then
// stops taking requests and waits for those in flight, bounded by ctx.
// When ctx ends first the connections still open are closed and Close
// returns why Shutdown gave up. Close is idempotent.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.h.Close(ctx)
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
