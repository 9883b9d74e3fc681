package api

import (
	_ "embed"
	"net/http"

	"github.com/gorilla/mux"
)

//go:embed openapi.json
var openAPIDoc []byte

// asgPrefixes are where the SMSGate routes live: bare, as the app's local
// server has them, and under /3rdparty/v1, as its cloud server and the
// client libraries' default base URL have them.
var asgPrefixes = []string{"", "/3rdparty/v1"}

func (h *Handler) routes() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(h.notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(h.methodNotAllowed)

	h.handle(r, http.MethodPost, "/v1/messages", needSend, styleV1, h.postMessage)
	h.handle(r, http.MethodGet, "/v1/messages", needRead, styleV1, h.listMessages)
	h.handle(r, http.MethodGet, "/v1/messages/{id}", needRead, styleV1, h.getMessage)
	h.handle(r, http.MethodDelete, "/v1/messages/{id}", needFull, styleV1, h.cancelMessage)
	h.handle(r, http.MethodPost, "/v1/messages/{id}/retry", needSend, styleV1, h.retryMessage)
	h.handle(r, http.MethodGet, "/v1/inbox", needRead, styleV1, h.listInbox)
	h.handle(r, http.MethodGet, "/v1/inbox/{id}", needRead, styleV1, h.getInbound)
	h.handle(r, http.MethodDelete, "/v1/inbox/{id}", needFull, styleV1, h.deleteInbound)
	h.handle(r, http.MethodGet, "/v1/modems", needRead, styleV1, h.listModems)
	h.handle(r, http.MethodGet, "/v1/modems/{id}", needRead, styleV1, h.getModem)
	h.handle(r, http.MethodPost, "/v1/modems/{id}/ussd", needFull, styleV1, h.ussd)
	h.handle(r, http.MethodGet, "/v1/events", needRead, styleV1, h.events)

	h.handle(r, http.MethodGet, "/healthz", needNone, styleV1, h.healthz)
	h.handle(r, http.MethodGet, "/readyz", needNone, styleV1, h.readyz)
	metrics := h.metricsHandler()
	h.handle(r, http.MethodGet, "/metrics", needRead, styleV1, func(w http.ResponseWriter, r *http.Request) *Error {
		metrics.ServeHTTP(w, r)
		return nil
	})
	h.handle(r, http.MethodGet, "/openapi.json", needNone, styleV1, func(w http.ResponseWriter, r *http.Request) *Error {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIDoc)
		return nil
	})

	for _, p := range asgPrefixes {
		h.handle(r, http.MethodPost, p+"/message", needSend, styleASG, h.asgSend)
		h.handle(r, http.MethodPost, p+"/messages", needSend, styleASG, h.asgSend)
		h.handle(r, http.MethodGet, p+"/message/{id}", needRead, styleASG, h.asgGet)
		h.handle(r, http.MethodGet, p+"/messages/{id}", needRead, styleASG, h.asgGet)
		h.handle(r, http.MethodGet, p+"/messages", needRead, styleASG, h.asgList)
		h.handle(r, http.MethodGet, p+"/inbox", needRead, styleASG, h.asgInbox)
		h.handle(r, http.MethodGet, p+"/webhooks", needRead, styleASG, h.asgWebhooks)
		h.handle(r, http.MethodPost, p+"/webhooks", needFull, styleASG, h.asgAddWebhook)
		h.handle(r, http.MethodDelete, p+"/webhooks/{id}", needFull, styleASG, h.asgDeleteWebhook)
		h.handle(r, http.MethodGet, p+"/devices", needRead, styleASG, h.asgDevices)
		h.handle(r, http.MethodGet, p+"/health", needNone, styleASG, h.asgHealth)
	}

	h.handle(r, http.MethodGet, "/cgi-bin/sendsms", needSend, styleKannel, h.sendsms)
	h.handle(r, http.MethodPost, "/cgi-bin/sendsms", needSend, styleKannel, h.sendsms)
	if h.opts.Pprof {
		h.pprofRoutes(r)
	}
	return r
}
