// Package kannel is the Kannel compatible API: smsbox's /cgi-bin/sendsms
// with the parameters of the Kannel user guide (from the query string, a
// form body or X-Kannel-* headers, with the text as a text/plain body),
// Kannel's plain-text answers, and which dlr-url a delivery report of a
// message sent through it asks to be called (DLRTarget; the daemon's
// outbox consumer hooks.KannelDLR makes the calls).
//
// Messages are validated and stored through the v1 core (package api). The
// HTTP layer mounts Routes beside v1's and applies the shared checks
// (origin, authentication with Kannel's username and password parameters,
// metrics).
package kannel

import (
	"net/http"

	"smsgw/api"
)

// API answers /cgi-bin/sendsms over the v1 core. The dlr-url callbacks
// its messages ask for are made by the daemon's outbox consumer
// (hooks.KannelDLR with DLRTarget).
type API struct {
	core *api.Handler
}

// New builds the Kannel API on the v1 core.
func New(core *api.Handler) *API {
	return &API{core: core}
}

// Routes lists the Kannel endpoints; they take Kannel's credentials and
// answer errors in Kannel's plain text.
func (h *API) Routes() []api.Route {
	return []api.Route{
		{Method: http.MethodGet, Path: "/cgi-bin/sendsms", Need: api.NeedSend, Style: api.StyleKannel, Serve: h.sendsms, Write: WriteError},
		{Method: http.MethodPost, Path: "/cgi-bin/sendsms", Need: api.NeedSend, Style: api.StyleKannel, Serve: h.sendsms, Write: WriteError},
	}
}
