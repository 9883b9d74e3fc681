package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"smsgw"
	"smsgw/campaign"
	"smsgw/contacts"
	"smsgw/hooks"
	"smsgw/internal/callback"
)

// Options configure the handler. Zero values take the documented defaults.
type Options struct {
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
	// Logger for server-side failures; nil uses slog.Default().
	Logger *slog.Logger
	// Version is shown by /health and /healthz.
	Version string
	// Now is the clock (tests); nil uses time.Now.
	Now func() time.Time
	// Callbacks says which hosts the Kannel dlr-url and registered
	// webhooks may target; the Kannel API's default HTTP client enforces it
	// when it connects.
	Callbacks callback.Policy
}

// Backend groups what the handler talks to. Store is required; without
// Modems the modem routes answer 503 and /readyz is not ready; without
// Webhooks the android-sms-gateway webhook routes answer 503; without
// Events, /v1/events does not replay after Last-Event-ID.
type Backend struct {
	Store  Store
	Modems Modems
	// Fleet, when set, answers GET /v1/modems and GET /v1/modems/{id} with
	// every gateway's modems (Modems stays this gateway's own, for
	// readiness, metrics and the compatible APIs).
	Fleet    Fleet
	Webhooks Webhooks
	// Events, when set, lets an event-stream client that reconnects with
	// Last-Event-ID get what it missed from the durable outbox.
	Events EventLog
	// Rules, when set, serves /v1/rules (else 503).
	Rules Rules
	// Conversations, when set, serves /v1/conversations (else 503).
	Conversations Conversations
	// Consent, when set, serves /v1/optouts and /v1/consent (else 503).
	Consent Consent
	// Contacts, when set, serves /v1/contacts and /v1/groups (else 503).
	Contacts contacts.Store
	// Fanout feeds /v1/events with live events (the daemon's, fed by the
	// outbox consumer hooks.Fanout.Consumer, closed by the daemon). Nil:
	// the handler makes one of its own, fed by Publish and ended by Close.
	Fanout *hooks.Fanout
	// Prices, when set, serves /v1/prices and /v1/quote (else 503).
	Prices Prices
	// Spend, when set, serves /v1/spend (else 503).
	Spend campaign.SpendStore
	// Tariffs, when set, serves /v1/tariffs (else 503) and prices a quote
	// pinned to a modem by its tariff.
	Tariffs Tariffs
	// Budgets, when set, adds each modem's usage to /v1/tariffs.
	Budgets Budgets
	// Campaigns, when set, serves /v1/campaigns (else 503).
	Campaigns Campaigns
	// CampaignBudgets, when set, serves PUT /v1/campaigns/{id}/budget
	// (else 503).
	CampaignBudgets CampaignBudgets
}

// Handler is the v1 API: its routes (Routes) and the core the compatible
// APIs build on. It is safe for concurrent use. Close ends the event
// streams.
type Handler struct {
	opts Options
	cc   string
	b    Backend
	// qs is b's Store when it keeps its messages in the queue; a v1 send
	// then goes through it (see queueSubmitter).
	qs      queueSubmitter
	log     *slog.Logger
	fanout  *hooks.Fanout
	ownFan  bool // the fanout is the handler's own: Close ends it
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

// New builds the v1 API.
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
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := opts.Callbacks.Validate(); err != nil {
		return nil, fmt.Errorf("api: callbacks: %w", err)
	}
	qs, _ := b.Store.(queueSubmitter)
	b.Store = guardedStore{b.Store}
	h := &Handler{
		qs:      qs,
		opts:    opts,
		cc:      cc,
		b:       b,
		log:     opts.Logger,
		fanout:  b.Fanout,
		now:     opts.Now,
		started: opts.Now(),

		ussdTimeout: 25 * time.Second,
	}
	if h.fanout == nil {
		h.fanout, h.ownFan = hooks.NewFanout(), true
	}
	if b.Webhooks != nil {
		h.b.Webhooks = guardedWebhooks{inner: b.Webhooks, h: h}
	}
	h.table = h.routeTable()
	return h, nil
}

// Publish hands one event to every /v1/events subscriber of the
// handler's fanout (a daemon's is fed by the outbox instead). Publish
// never blocks on a slow client.
func (h *Handler) Publish(ev smsgw.Event) {
	h.fanout.Publish(ev)
}

// Streams is the number of open /v1/events streams.
func (h *Handler) Streams() int { return h.fanout.Subscribers() }

// Close ends every event stream when the fanout is the handler's own (the
// owner of Backend.Fanout closes that one first). Call it before
// http.Server.Shutdown.
func (h *Handler) Close(ctx context.Context) error {
	h.closeMu.Lock()
	if h.closed {
		h.closeMu.Unlock()
		return nil
	}
	h.closed = true
	h.closeMu.Unlock()
	if h.ownFan {
		return h.fanout.Close(ctx)
	}
	return nil
}

// Style names the API a route belongs to: v1, SMSGate or Kannel. The
// HTTP layer takes Kannel's credentials (username and password parameters
// in the query or a form) on StyleKannel routes only; Route.Write gives a
// style's error shape.
type Style int

const (
	StyleV1 Style = iota
	StyleASG
	StyleKannel
)

// Route is one endpoint as data: what it answers, what it requires of the
// caller and how its errors are written. The HTTP layer (package httpd)
// builds its router from the tables and wraps every route in the checks
// all routes share: the origin guard, the body limit, authentication,
// metrics, panic recovery and error writing.
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
	// BodyLimit, when set, caps the request body instead of the API's
	// limit (a streamed CSV import is larger than any JSON request).
	BodyLimit int64
	// Write writes the route's errors; nil writes the v1 JSON body. The
	// compatible APIs give their own shapes.
	Write func(http.ResponseWriter, *Error)
}

// Routes lists the v1 endpoints in the order they are tried.
func (h *Handler) Routes() []Route { return append([]Route(nil), h.table...) }

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
