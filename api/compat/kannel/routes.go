// Package kannel is the Kannel compatible API: smsbox's /cgi-bin/sendsms
// with the parameters of the Kannel user guide (from the query string, a
// form body or X-Kannel-* headers, with the text as a text/plain body),
// Kannel's plain-text answers, and the dlr-url callbacks a message sent
// through it asks for.
//
// Messages are validated and stored through the v1 core (package api). The
// HTTP layer mounts Routes beside v1's and applies the shared checks
// (origin, authentication with Kannel's username and password parameters,
// metrics).
package kannel

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"smsgw"
	"smsgw/api"
)

// Options configure the Kannel API. Zero values take the defaults.
type Options struct {
	// HTTPClient makes the dlr-url callbacks (default: a client with a
	// 10 s timeout that enforces the core's callback policy on every
	// connection and follows no redirect).
	HTTPClient *http.Client
	// ExternalDLR: the daemon calls KannelDLR from a durable event
	// consumer, so Publish does not make the dlr-url callbacks.
	ExternalDLR bool
}

// API answers /cgi-bin/sendsms over the v1 core and makes the dlr-url
// callbacks. Close waits for pending callbacks.
type API struct {
	core *api.Handler
	opts Options
	dlr  *dlrNotifier

	closeMu sync.Mutex
	closed  bool
}

// New builds the Kannel API on the v1 core.
func New(core *api.Handler, o Options) (*API, error) {
	if o.HTTPClient == nil {
		c, err := core.Callbacks().Client(10 * time.Second)
		if err != nil {
			return nil, fmt.Errorf("kannel: callbacks: %w", err)
		}
		o.HTTPClient = c
	}
	h := &API{core: core, opts: o}
	h.dlr = newDLRNotifier(h)
	return h, nil
}

// Routes lists the Kannel endpoints; they take Kannel's credentials and
// answer errors in Kannel's plain text.
func (h *API) Routes() []api.Route {
	return []api.Route{
		{Method: http.MethodGet, Path: "/cgi-bin/sendsms", Need: api.NeedSend, Style: api.StyleKannel, Serve: h.sendsms, Write: WriteError},
		{Method: http.MethodPost, Path: "/cgi-bin/sendsms", Need: api.NeedSend, Style: api.StyleKannel, Serve: h.sendsms, Write: WriteError},
	}
}

// Publish hands one gateway event to the API: unless Options.ExternalDLR,
// a delivery report for a message sent with a dlr-url triggers that
// callback, retried in memory. Publish never blocks.
func (h *API) Publish(ev smsgw.Event) {
	if !h.opts.ExternalDLR {
		h.dlr.handle(ev)
	}
}

// Close waits (bounded by ctx) for pending dlr-url callbacks and stops
// taking new ones. It is idempotent.
func (h *API) Close(ctx context.Context) error {
	h.closeMu.Lock()
	if h.closed {
		h.closeMu.Unlock()
		return nil
	}
	h.closed = true
	h.closeMu.Unlock()
	return h.dlr.close(ctx)
}
