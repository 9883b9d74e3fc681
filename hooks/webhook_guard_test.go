package hooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"smsgw"
	"smsgw/internal/callback"
)

// TestWebhookErrorHasNoSecrets: the error of a failed delivery is stored
// with it and logged; the *url.Error inside must not carry the URL's query
// or user info.
func TestWebhookErrorHasNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	u := strings.Replace(srv.URL, "http://", "http://user:pw@", 1) + "/in?token=s3cret"
	srv.Close() // the dial now fails
	wh := &Webhook{URL: u, ID: "w"}
	err := wh.Deliver(context.Background(), smsgw.Event{ID: "1", Event: "sms:received"})
	if err == nil {
		t.Fatal("delivery to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), ":pw") {
		t.Fatalf("secret in %q", err)
	}
}

// TestWebhookRedirectNotFollowed: a 3xx is a permanent failure, and the
// signed body never goes where it points.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	var followed atomic.Int32
	inner := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	defer inner.Close()
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL, http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	for _, c := range []*http.Client{nil, {}} {
		wh := &Webhook{URL: redir.URL, ID: "w", Client: c}
		err := wh.Deliver(context.Background(), smsgw.Event{ID: "1", Event: "sms:received"})
		var perm *PermanentError
		if !errors.As(err, &perm) {
			t.Fatalf("redirect: %v, want a permanent error", err)
		}
	}
	if followed.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestWebhookGuardedClient: with the callback policy's client, a webhook
// on a loopback address is refused at connection time, permanently.
func TestWebhookGuardedClient(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c, err := callback.Policy{}.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	wh := &Webhook{URL: srv.URL, ID: "w", Client: c}
	err = wh.Deliver(context.Background(), smsgw.Event{ID: "1", Event: "sms:received"})
	var perm *PermanentError
	if !errors.As(err, &perm) || !errors.Is(err, callback.ErrForbidden) {
		t.Fatalf("loopback webhook: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the loopback receiver was called")
	}
}
