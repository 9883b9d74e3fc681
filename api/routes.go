package api

import (
	_ "embed"
	"encoding/json"
	"net"
	"net/http"
	"net/url"

	"smsgw/wire"
)

//go:embed openapi.json
var openAPIDoc []byte

// routeTable is every endpoint of the v1 API and the OpenAPI document.
// Health and metrics are the HTTP layer's; the compatible APIs
// (api/compat/...) have tables of their own, mounted after this one.
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
	add(http.MethodPost, "/v1/modems/{id}/reset", NeedFull, StyleV1, h.resetModem)
	add(http.MethodGet, "/v1/events", NeedRead, StyleV1, h.events)
	add(http.MethodGet, "/v1/optouts", NeedRead, StyleV1, h.listOptOuts)
	add(http.MethodPost, "/v1/optouts", NeedSend, StyleV1, h.postOptOut)
	add(http.MethodDelete, "/v1/optouts/{number}", NeedFull, StyleV1, h.deleteOptOut)
	add(http.MethodPost, "/v1/consent", NeedSend, StyleV1, h.postConsent)
	add(http.MethodGet, "/v1/consent", NeedRead, StyleV1, h.getConsent)
	add(http.MethodGet, "/v1/rules", NeedRead, StyleV1, h.listRules)
	add(http.MethodPost, "/v1/rules", NeedFull, StyleV1, h.postRule)
	add(http.MethodPost, "/v1/rules/test", NeedRead, StyleV1, h.testRules)
	add(http.MethodGet, "/v1/rules/{id}", NeedRead, StyleV1, h.getRule)
	add(http.MethodPut, "/v1/rules/{id}", NeedFull, StyleV1, h.putRule)
	add(http.MethodDelete, "/v1/rules/{id}", NeedFull, StyleV1, h.deleteRule)
	add(http.MethodGet, "/v1/conversations", NeedRead, StyleV1, h.listConversations)
	add(http.MethodGet, "/v1/conversations/{number}", NeedRead, StyleV1, h.getConversation)
	add(http.MethodPost, "/v1/conversations/{number}", NeedSend, StyleV1, h.replyConversation)
	add(http.MethodGet, "/v1/contacts", NeedRead, StyleV1, h.listContacts)
	add(http.MethodPost, "/v1/contacts", NeedFull, StyleV1, h.postContact)
	add(http.MethodPost, "/v1/contacts/import", NeedFull, StyleV1, h.importContacts)
	r[len(r)-1].BodyLimit = ImportBodyBytes
	add(http.MethodGet, "/v1/contacts/export", NeedRead, StyleV1, h.exportContacts)
	add(http.MethodGet, "/v1/contacts/{id}", NeedRead, StyleV1, h.getContact)
	add(http.MethodPatch, "/v1/contacts/{id}", NeedFull, StyleV1, h.patchContact)
	add(http.MethodDelete, "/v1/contacts/{id}", NeedFull, StyleV1, h.deleteContact)
	add(http.MethodGet, "/v1/groups", NeedRead, StyleV1, h.listGroups)
	add(http.MethodPost, "/v1/groups", NeedFull, StyleV1, h.postGroup)
	add(http.MethodGet, "/v1/groups/{id}", NeedRead, StyleV1, h.getGroup)
	add(http.MethodPatch, "/v1/groups/{id}", NeedFull, StyleV1, h.patchGroup)
	add(http.MethodDelete, "/v1/groups/{id}", NeedFull, StyleV1, h.deleteGroup)
	add(http.MethodGet, "/v1/prices", NeedRead, StyleV1, h.getPrices)
	add(http.MethodPut, "/v1/prices", NeedFull, StyleV1, h.putPrices)
	add(http.MethodPost, "/v1/quote", NeedRead, StyleV1, h.postQuote)
	add(http.MethodGet, "/v1/campaigns", NeedRead, StyleV1, h.listCampaigns)
	add(http.MethodPost, "/v1/campaigns", NeedFull, StyleV1, h.postCampaign)
	r[len(r)-1].BodyLimit = CampaignBodyBytes
	add(http.MethodGet, "/v1/campaigns/{id}", NeedRead, StyleV1, h.getCampaign)
	add(http.MethodPost, "/v1/campaigns/{id}/quote", NeedRead, StyleV1, h.quoteCampaign)
	for _, a := range []string{"launch", "pause", "resume", "cancel", "clone"} {
		add(http.MethodPost, "/v1/campaigns/{id}/"+a, NeedFull, StyleV1, h.campaignAction(a))
	}
	add(http.MethodGet, "/v1/campaigns/{id}/recipients", NeedRead, StyleV1, h.campaignRecipients)
	add(http.MethodPut, "/v1/campaigns/{id}/budget", NeedFull, StyleV1, h.putCampaignBudget)
	add(http.MethodGet, "/v1/spend", NeedRead, StyleV1, h.getSpend)
	add(http.MethodGet, "/v1/tariffs", NeedRead, StyleV1, h.listTariffs)
	add(http.MethodGet, "/v1/tariffs/{modem}", NeedRead, StyleV1, h.getTariff)
	add(http.MethodPut, "/v1/tariffs/{modem}", NeedFull, StyleV1, h.putTariff)
	add(http.MethodDelete, "/v1/tariffs/{modem}", NeedFull, StyleV1, h.deleteTariff)

	add(http.MethodGet, "/openapi.json", NeedNone, StyleV1, func(w http.ResponseWriter, r *http.Request) *Error {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIFor(r))
		return nil
	})

	return r
}

// openAPIFor is the document with its servers set to the listener the
// request came in on: its scheme, the host and port the client reached it
// by (or the listener's own address), and for a unix socket its path, so
// that a client or viewer generated from the document talks to this
// gateway rather than to the default address.
func openAPIFor(r *http.Request) []byte {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(openAPIDoc, &top); err != nil {
		return openAPIDoc
	}
	servers, err := json.Marshal(serversFor(r))
	if err != nil {
		return openAPIDoc
	}
	top["servers"] = servers
	b, err := json.MarshalIndent(top, "", " ")
	if err != nil {
		return openAPIDoc
	}
	return append(b, '\n')
}

type openAPIServer struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

func serversFor(r *http.Request) []openAPIServer {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if la != nil && la.Network() == "unix" {
		return []openAPIServer{{URL: scheme + "://localhost", Description: "the unix socket " + la.String() + " (curl --unix-socket)"}}
	}
	host := r.Host
	if u, err := url.Parse(scheme + "://" + host); host == "" || err != nil || u.Host != host || u.Path != "" {
		host = ""
	}
	var out []openAPIServer
	if host != "" {
		out = append(out, openAPIServer{URL: scheme + "://" + host, Description: "the address this document was fetched from"})
	}
	if la != nil && la.String() != host {
		out = append(out, openAPIServer{URL: scheme + "://" + la.String(), Description: "the listener's own address"})
	}
	if len(out) == 0 {
		out = append(out, openAPIServer{URL: "http://" + wire.DefaultAddr, Description: "the default listener"})
	}
	return out
}
