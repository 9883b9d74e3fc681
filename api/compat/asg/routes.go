// Package asg is the android-sms-gateway (SMSGate) compatible API: its
// local server's routes, bare and under /3rdparty/v1 (its cloud server's
// and the client libraries' default base URL), answered in SMSGate's
// shapes.
//
// A modem stands in for a device (deviceId = modem id) and simNumber picks
// the n-th modem of /devices; a multi-recipient message is one batch in the
// store, whose id is the SMSGate message id. Messages are validated,
// stored and read through the v1 core (package api), so they behave as v1
// messages do; the HTTP layer mounts Routes beside v1's and applies the
// shared checks (origin, authentication, metrics).
package asg

import (
	"net/http"

	"smsgw/api"
)

// prefixes are where the SMSGate routes live: bare, as the app's local
// server has them, and under /3rdparty/v1, as its cloud server and the
// client libraries' default base URL have them.
var prefixes = []string{"", "/3rdparty/v1"}

// API answers the SMSGate routes over the v1 core.
type API struct {
	core *api.Handler
}

// New builds the SMSGate API on the v1 core.
func New(core *api.Handler) *API { return &API{core: core} }

// Routes lists the SMSGate endpoints, bare first, then under /3rdparty/v1;
// their errors are written in SMSGate's shape.
func (h *API) Routes() []api.Route {
	var r []api.Route
	add := func(method, path string, n api.Need, fn func(http.ResponseWriter, *http.Request) *api.Error) {
		r = append(r, api.Route{Method: method, Path: path, Need: n, Style: api.StyleASG, Serve: fn, Write: WriteError})
	}
	for _, p := range prefixes {
		add(http.MethodPost, p+"/message", api.NeedSend, h.asgSend)
		add(http.MethodPost, p+"/messages", api.NeedSend, h.asgSend)
		add(http.MethodGet, p+"/message/{id}", api.NeedRead, h.asgGet)
		add(http.MethodGet, p+"/messages/{id}", api.NeedRead, h.asgGet)
		add(http.MethodDelete, p+"/message/{id}", api.NeedSend, h.asgCancel)
		add(http.MethodDelete, p+"/messages/{id}", api.NeedSend, h.asgCancel)
		add(http.MethodGet, p+"/messages", api.NeedRead, h.asgList)
		add(http.MethodGet, p+"/inbox", api.NeedRead, h.asgInbox)
		add(http.MethodGet, p+"/webhooks", api.NeedRead, h.asgWebhooks)
		add(http.MethodPost, p+"/webhooks", api.NeedFull, h.asgAddWebhook)
		add(http.MethodDelete, p+"/webhooks/{id}", api.NeedFull, h.asgDeleteWebhook)
		add(http.MethodGet, p+"/devices", api.NeedRead, h.asgDevices)
		add(http.MethodGet, p+"/device", api.NeedRead, h.asgDevices) // the app's local server
		add(http.MethodGet, p+"/health", api.NeedNone, h.asgHealth)
	}
	return r
}
