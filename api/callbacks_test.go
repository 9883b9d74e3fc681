package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"smsgw"
)

// TestCallbackTargetsRefused: a send-scope client cannot make the daemon
// call loopback, link-local or private addresses, neither through Kannel's
// dlr-url nor through reserved metadata in v1, nor by registering a webhook.
func TestCallbackTargetsRefused(t *testing.T) {
	e := newEnv(t, Options{Tokens: []Token{{Secret: "full", Scope: ScopeFull}, {Secret: "snd", Scope: ScopeSend}, {Secret: "rd", Scope: ScopeRead}}})
	for _, target := range []string{"http://127.0.0.1:8787/v1/messages", "http://169.254.169.254/latest/meta-data/", "http://localhost/", "http://10.0.0.1/", "http://[::1]/"} {
		r := e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=3&dlr-url="+url.QueryEscape(target), nil, "Authorization", "Bearer snd")
		e.want(r, http.StatusBadRequest)
		if !strings.Contains(string(r.body), "not allowed") {
			t.Fatalf("%s: %s", target, r.body)
		}
	}
	// v1 clients may not set the gateway's own metadata keys.
	for _, k := range []string{"kannel.dlr-url", "Kannel.DLR-Mask", "kannel.from"} {
		r := e.do("POST", "/v1/messages", map[string]any{"to": "+4915112345678", "text": "x", "metadata": map[string]string{k: "http://127.0.0.1/"}}, "Authorization", "Bearer snd")
		e.want(r, http.StatusUnprocessableEntity)
		if code, field := r.errCode(t); code != CodeReservedMetadata || field != "metadata."+k {
			t.Fatalf("%s: %s %s", k, code, field)
		}
	}
	if page, _ := e.store.Messages(t.Context(), MessageFilter{}); len(page.Messages) != 0 {
		t.Fatalf("%d messages queued", len(page.Messages))
	}
	// Registering a webhook needs the full scope, and a public target.
	hook := `{"url":"https://example.org/hook?token=s3cret","event":"sms:received"}`
	e.want(e.do("POST", "/webhooks", hook, "Authorization", "Bearer snd"), http.StatusForbidden)
	e.want(e.do("POST", "/webhooks", hook, "Authorization", "Bearer rd"), http.StatusForbidden)
	r := e.do("POST", "/webhooks", `{"url":"http://192.168.1.1/admin","event":"sms:received"}`, "Authorization", "Bearer full")
	e.want(r, http.StatusUnprocessableEntity)
	if code, _ := r.errCode(t); code != CodeCallbackNotAllowed {
		t.Fatalf("%s", r.body)
	}
	e.want(e.do("POST", "/webhooks", hook, "Authorization", "Bearer full"), http.StatusCreated)
	// A read-only token sees the webhook without its secret query.
	r = e.do("GET", "/webhooks", nil, "Authorization", "Bearer rd")
	e.want(r, http.StatusOK)
	if strings.Contains(string(r.body), "s3cret") || !strings.Contains(string(r.body), "https://example.org/hook?...") {
		t.Fatalf("read-only webhook list: %s", r.body)
	}
	r = e.do("GET", "/webhooks", nil, "Authorization", "Bearer full")
	if !strings.Contains(string(r.body), "s3cret") {
		t.Fatalf("full webhook list: %s", r.body)
	}
	// Likewise a dlr-url with credentials, in every message read route.
	dlr := "https://user:pw@example.org/dlr?key=s3cret&type=%d"
	e.want(e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=3&dlr-url="+url.QueryEscape(dlr), nil, "Authorization", "Bearer snd"), http.StatusAccepted)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	for _, path := range []string{"/v1/messages/" + id, "/v1/messages", "/messages/" + id} {
		r = e.do("GET", path, nil, "Authorization", "Bearer rd")
		e.want(r, http.StatusOK)
		if strings.Contains(string(r.body), "s3cret") || strings.Contains(string(r.body), "pw@") {
			t.Fatalf("read-only %s: %s", path, r.body)
		}
	}
	r = e.do("GET", "/v1/messages/"+id, nil, "Authorization", "Bearer full")
	if !strings.Contains(string(r.body), "s3cret") {
		t.Fatalf("full token: %s", r.body)
	}
}

// TestDLRRedirectNotFollowed: a callback receiver that answers with a
// redirect does not get the daemon to call where it points.
func TestDLRRedirectNotFollowed(t *testing.T) {
	var inner atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	defer target.Close()
	called := make(chan struct{}, 4)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusFound)
		called <- struct{}{}
	}))
	defer redir.Close()
	e := newEnv(t, Options{Callbacks: loopbackCallbacks, ExternalDLR: true})
	e.want(e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=1&dlr-url="+url.QueryEscape(redir.URL+"/?t=%d"), nil, "User-Agent", "curl/8"), http.StatusAccepted)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	p, _ := json.Marshal(EventPayload{MessageID: id, DeliveredAt: time.Now().Format(time.RFC3339)})
	if err := e.h.KannelDLR(t.Context(), smsgw.Event{ID: "e1", Event: "sms:delivered", Payload: p}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
	default:
		t.Fatal("the dlr-url was not called")
	}
	if inner.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestDLRErrorHasNoSecrets: a failing callback's error (stored with the
// delivery and logged) carries neither the query nor the user info.
func TestDLRErrorHasNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	base := srv.URL
	srv.Close() // nothing listens there any more: the dial fails
	e := newEnv(t, Options{Callbacks: loopbackCallbacks, ExternalDLR: true})
	dlr := strings.Replace(base, "http://", "http://user:pw@", 1) + "/dlr?token=s3cret&t=%d"
	e.want(e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=1&dlr-url="+url.QueryEscape(dlr), nil), http.StatusAccepted)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	p, _ := json.Marshal(EventPayload{MessageID: page.Messages[0].ID})
	err := e.h.KannelDLR(t.Context(), smsgw.Event{ID: "e1", Event: "sms:delivered", Payload: p})
	if err == nil {
		t.Fatal("a refused connection reported success")
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw") {
		t.Fatalf("secret in %q", err)
	}
}
