package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"smsgw"
	"smsgw/internal/callback"
)

// Options configure the handler. Zero values take the documented defaults.
type Options struct {
	// Tokens; none means no authentication (Listen then refuses a
	// non-loopback address).
	Tokens []Token
	// DefaultCountry for national-format numbers: an ISO code ("DE") or a
	// calling code ("49"). Empty: numbers must be international.
	DefaultCountry string
	// MaxParts caps the SMS parts one message may take (default 10).
	MaxParts int
	// MaxBodyBytes caps a request body when Limits.BodyBytes is zero.
	MaxBodyBytes int64
	// MaxRecipients caps the recipients of one request when
	// Limits.Recipients is zero (android-sms-gateway's own limit of 100
	// applies on its routes).
	MaxRecipients int
	// Limits are the caps on requests and event streams (DefaultLimits
	// where zero).
	Limits Limits
	// Registry receives the API's collectors and is what /metrics serves;
	// the HTTP layer owns it and registers the daemon's own measurements in
	// it too. Nil creates a private one.
	Registry *prometheus.Registry
	// Logger for server-side failures; nil uses slog.Default().
	Logger *slog.Logger
	// Version is shown by /health and /healthz.
	Version string
	// Now is the clock (tests); nil uses time.Now.
	Now func() time.Time
	// Callbacks says which hosts the Kannel dlr-url and registered
	// webhooks may target; the default HTTPClient enforces it when it
	// connects.
	Callbacks callback.Policy
	// AllowedHosts are Host header values answered without tokens besides
	// localhost and loopback addresses ("name" for any port, "name:port"
	// for that port only). With tokens every Host is answered.
	AllowedHosts []string
	// KannelGet is KannelGetLocal (the default) or KannelGetNever: when
	// GET /cgi-bin/sendsms is accepted without a token.
	KannelGet string
}

// Backend groups what the handler talks to. Store is required; without
// Modems the modem routes answer 503 and /readyz is not ready; without
// Webhooks the android-sms-gateway webhook routes answer 503; without
// Events, /v1/events does not replay after Last-Event-ID.
type Backend struct {
	Store    Store
	Modems   Modems
	Webhooks Webhooks
	// Events, when set, lets an event-stream client that reconnects with
	// Last-Event-ID get what it missed from the durable outbox.
	Events EventLog
	// Rules, when set, serves /v1/rules (else 503).
	Rules Rules
	// Conversations, when set, serves /v1/conversations (else 503).
	Conversations Conversations
}

// Handler is the API's http.Handler. It is safe for concurrent use. Close
// ends the event streams and waits for pending delivery-report callbacks.
type Handler struct {
	opts    Options
	cc      string
	b       Backend
	auth    *authenticator
	mux     *mux.Router
	reg     *prometheus.Registry
	metrics *httpMetrics
	log     *slog.Logger
	hub     *hub
	now     func() time.Time
	started time.Time
	closeMu sync.Mutex
	closed  bool
	table   []Route
	// ussdTimeout bounds a USSD request (tests shorten it).
	ussdTimeout time.Duration
	// pingEvery is the system:ping interval of event streams (tests
	// shorten it; zero is pingInterval).
	pingEvery time.Duration
}

// New builds the API handler.
func New(opts Options, b Backend) (*Handler, error) {
	if b.Store == nil {
		return nil, errors.New("api: a Store is required")
	}
	cc, err := smsgw.CallingCode(opts.DefaultCountry)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if opts.MaxParts <= 0 {
		opts.MaxParts = 10
	}
	opts.Limits = opts.Limits.withDefaults(opts)
	opts.MaxBodyBytes, opts.MaxRecipients = opts.Limits.BodyBytes, opts.Limits.Recipients
	switch opts.KannelGet {
	case "":
		opts.KannelGet = KannelGetLocal
	case KannelGetLocal, KannelGetNever:
	default:
		return nil, fmt.Errorf("api: KannelGet %q: want %q or %q", opts.KannelGet, KannelGetLocal, KannelGetNever)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := opts.Callbacks.Validate(); err != nil {
		return nil, fmt.Errorf("api: callbacks: %w", err)
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	b.Store = guardedStore{b.Store}
	h := &Handler{
		opts:    opts,
		cc:      cc,
		b:       b,
		auth:    newAuthenticator(opts.Tokens),
		reg:     reg,
		log:     opts.Logger,
		hub:     newHub(),
		now:     opts.Now,
		started: opts.Now(),

		ussdTimeout: 25 * time.Second,
	}
	if b.Webhooks != nil {
		h.b.Webhooks = guardedWebhooks{inner: b.Webhooks, h: h}
	}
	h.metrics, err = newHTTPMetrics(reg, h)
	if err != nil {
		return nil, fmt.Errorf("api: metrics: %w", err)
	}
	h.table = h.routeTable()
	h.mux = h.router()
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// Publish hands one gateway event to every /v1/events subscriber. The
// daemon calls it for each event it takes from the queue's event outbox
// (the same events its webhooks get). Publish never blocks on a slow
// client.
func (h *Handler) Publish(ev smsgw.Event) {
	h.hub.publish(ev)
}

// Close ends every event stream. Call it before http.Server.Shutdown.
func (h *Handler) Close(ctx context.Context) error {
	h.closeMu.Lock()
	if h.closed {
		h.closeMu.Unlock()
		return nil
	}
	h.closed = true
	h.closeMu.Unlock()
	h.hub.close()
	return nil
}

// Style selects how a route's errors are written: our JSON, SMSGate's
// JSON or Kannel's plain text.
type Style int

const (
	StyleV1 Style = iota
	StyleASG
	StyleKannel
)

// Route is one endpoint as data: what it answers, what it requires of the
// caller and how its errors are written. The router is built from the
// table; Wrap adds what every route shares.
type Route struct {
	Method, Path string
	Need         Need
	// Style says which credentials the route takes (StyleKannel: also
	// Kannel's username and password parameters, read from a parsed form)
	// and, with Write, how its errors look.
	Style Style
	// Serve answers the request, or returns the error to write in the
	// route's style.
	Serve func(http.ResponseWriter, *http.Request) *Error
	// Write writes the route's errors; nil writes the v1 JSON body. The
	// compatible APIs give their own shapes.
	Write func(http.ResponseWriter, *Error)
}

// Routes lists every endpoint the handler answers, in registration order
// (gorilla/mux tries them in that order).
func (h *Handler) Routes() []Route { return append([]Route(nil), h.table...) }

// router is what ServeHTTP answers with: the same mux the HTTP layer
// builds from Routes, so the handler can be driven on its own.
func (h *Handler) router() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(h.NotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(h.MethodNotAllowed)
	for _, rt := range h.table {
		r.Handle(rt.Path, h.Wrap(rt)).Methods(rt.Method)
	}
	return r
}

// Wrap applies to one route the origin guard, the body limit,
// authentication, metrics, panic recovery and error writing.
func (h *Handler) Wrap(rt Route) http.Handler {
	return h.wrap(rt.Path, rt.Need, rt.Style, rt.Write, rt.Serve)
}

// wrap applies the body limit, authentication, metrics and error writing.
func (h *Handler) wrap(route string, n Need, st Style, write func(http.ResponseWriter, *Error), fn func(http.ResponseWriter, *http.Request) *Error) http.Handler {
	kannel := st == StyleKannel
	if write == nil {
		write = writeErr
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.Error("api: panic in handler", "route", route, "panic", fmt.Sprint(v))
				if !sw.wrote {
					write(sw, errorf(http.StatusInternalServerError, CodeInternal, "", "internal error"))
				}
			}
			h.metrics.observe(r.Method, route, sw.status(), time.Since(start))
		}()
		if e := h.guardOrigin(r, isStateChanging(r.Method) || kannel, kannel && r.Method == http.MethodGet); e != nil {
			write(sw, e)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, h.opts.MaxBodyBytes)
		}
		if kannel {
			// Kannel credentials may come in a form body.
			parse := r.ParseForm
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				parse = func() error { return r.ParseMultipartForm(h.opts.MaxBodyBytes) }
			}
			if err := parse(); err != nil {
				write(sw, formError(err))
				return
			}
		}
		scope, e := h.auth.authorize(r, n, kannel)
		if e == nil {
			r = r.WithContext(context.WithValue(r.Context(), scopeKey{}, scope))
		} else {
			if kannel {
				// Kannel answers every refusal alike.
				e = errorf(http.StatusForbidden, CodeForbidden, "", "Authorization failed for sendsms")
			}
			write(sw, e)
			return
		}
		if e := fn(sw, r); e != nil {
			if e.Status == http.StatusInternalServerError {
				h.log.Error("api: request failed", "route", route, "method", r.Method, "code", e.Code)
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

// NotFound answers a path no route matches with the v1 error body.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	writeErr(w, errorf(http.StatusNotFound, CodeNotFound, "", "no route for %s %s", r.Method, r.URL.Path))
}

// MethodNotAllowed answers a method the matched path does not take with
// the v1 error body.
func (h *Handler) MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeErr(w, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "", "method %s not allowed on %s", r.Method, r.URL.Path))
}

// queryInt parses an optional integer query parameter within [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, *Error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badField(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// queryTime parses an optional RFC 3339 time or unix seconds.
func queryTime(r *http.Request, name string) (time.Time, *Error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, badField(name, "%s must be an RFC 3339 time (2026-01-02T15:04:05Z) or unix seconds", name)
}
