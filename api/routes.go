package api

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openAPIDoc []byte

// asgPrefixes are where the SMSGate routes live: bare, as the app's local
// server has them, and under /3rdparty/v1, as its cloud server and the
// client libraries' default base URL have them.
var asgPrefixes = []string{"", "/3rdparty/v1"}

// routeTable is every endpoint of the v1 API, the compatible APIs, health,
// and metrics.
func (h *Handler) routeTable() []Route {
	var r []Route
	add := func(method, path string, n Need, st Style, fn func(http.ResponseWriter, *http.Request) *Error) {
		r = append(r, Route{Method: method, Path: path, Need: n, Style: st, Serve: fn})
	}
	add(http.MethodPost, "/v1/messages", NeedSend, StyleV1, h.postMessage)
	add(http.MethodGet, "/v1/messages", NeedRead, StyleV1, h.listMessages)
	add(http.MethodGet, "/v1/messages/{id}", NeedRead, StyleV1, h.getMessage)
	add(http.MethodDelete, "/v1/messages/{id}", NeedFull, StyleV1, h.cancelMessage)
	add(http.MethodPost, "/v1/messages/{id}/retry", NeedSend, StyleV1, h.retryMessage)
	add(http.MethodGet, "/v1/inbox", NeedRead, StyleV1, h.listInbox)
	add(http.MethodGet, "/v1/inbox/{id}", NeedRead, StyleV1, h.getInbound)
	add(http.MethodDelete, "/v1/inbox/{id}", NeedFull, StyleV1, h.deleteInbound)
	add(http.MethodGet, "/v1/modems", NeedRead, StyleV1, h.listModems)
	add(http.MethodGet, "/v1/modems/{id}", NeedRead, StyleV1, h.getModem)
	add(http.MethodPost, "/v1/modems/{id}/ussd", NeedFull, StyleV1, h.ussd)
	add(http.MethodGet, "/v1/events", NeedRead, StyleV1, h.events)

	add(http.MethodGet, "/healthz", NeedNone, StyleV1, h.healthz)
	add(http.MethodGet, "/readyz", NeedNone, StyleV1, h.readyz)
	metrics := h.metricsHandler()
	add(http.MethodGet, "/metrics", NeedRead, StyleV1, func(w http.ResponseWriter, r *http.Request) *Error {
		metrics.ServeHTTP(w, r)
		return nil
	})
	add(http.MethodGet, "/openapi.json", NeedNone, StyleV1, func(w http.ResponseWriter, r *http.Request) *Error {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIDoc)
		return nil
	})

	for _, p := range asgPrefixes {
		add(http.MethodPost, p+"/message", NeedSend, StyleASG, h.asgSend)
		add(http.MethodPost, p+"/messages", NeedSend, StyleASG, h.asgSend)
		add(http.MethodGet, p+"/message/{id}", NeedRead, StyleASG, h.asgGet)
		add(http.MethodGet, p+"/messages/{id}", NeedRead, StyleASG, h.asgGet)
		add(http.MethodGet, p+"/messages", NeedRead, StyleASG, h.asgList)
		add(http.MethodGet, p+"/inbox", NeedRead, StyleASG, h.asgInbox)
		add(http.MethodGet, p+"/webhooks", NeedRead, StyleASG, h.asgWebhooks)
		add(http.MethodPost, p+"/webhooks", NeedFull, StyleASG, h.asgAddWebhook)
		add(http.MethodDelete, p+"/webhooks/{id}", NeedFull, StyleASG, h.asgDeleteWebhook)
		add(http.MethodGet, p+"/devices", NeedRead, StyleASG, h.asgDevices)
		add(http.MethodGet, p+"/health", NeedNone, StyleASG, h.asgHealth)
	}

	add(http.MethodGet, "/cgi-bin/sendsms", NeedSend, StyleKannel, h.sendsms)
	add(http.MethodPost, "/cgi-bin/sendsms", NeedSend, StyleKannel, h.sendsms)
	return r
}
