package httpd_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"smsgw"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

// testSite is a dashboard in miniature, as package web plugs into the
// seam: sessions are cookies naming a user, the CSRF token is tied to the
// session, and refusals are pages (a login redirect for nobody).
type testSite struct{}

var sessions = map[string]struct {
	name  string
	scope smsgw.Scope
}{"s-alice": {"alice", smsgw.ScopeRead}, "s-bob": {"bob", smsgw.ScopeSend}, "s-root": {"root", smsgw.ScopeFull}}

func (testSite) Authenticate(r *http.Request) (string, smsgw.Scope, bool) {
	c, err := r.Cookie("session")
	if err != nil {
		return "", "", false
	}
	s, ok := sessions[c.Value]
	return s.name, s.scope, ok
}

func (testSite) CheckCSRF(r *http.Request) bool {
	c, err := r.Cookie("session")
	return err == nil && r.Header.Get("X-CSRF-Token") == "csrf-"+c.Value
}

func (testSite) Routes(add func(method, path string, need smsgw.Need, h http.Handler)) {
	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := smsgw.CallerFrom(r.Context())
		if !ok {
			fmt.Fprint(w, "nobody")
			return
		}
		fmt.Fprintf(w, "%s %s", c.Name, c.Scope)
	})
	add(http.MethodGet, "/", smsgw.NeedRead, who)
	add(http.MethodPost, "/send", smsgw.NeedSend, who)
	add(http.MethodPost, "/settings", smsgw.NeedFull, who)
	add(http.MethodGet, "/login", smsgw.NeedNone, who)
	add(http.MethodPost, "/login", smsgw.NeedNone, who)
	add(http.MethodGet, "/healthz", smsgw.NeedNone, who) // the API's route comes first
	add(http.MethodGet, "/panic", smsgw.NeedNone, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
}

func (testSite) Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if status == http.StatusUnauthorized {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "refused %s: %s", code, message)
}

// The dashboard seam: a site's pages sit on the API's listener behind the
// same checks, browsers authenticate by the site's session cookie on the
// pages and on the API, a cookie-authenticated state-changing request
// needs the site's CSRF proof, and every refusal on a page is the site's
// own answer.
func TestSitePages(t *testing.T) {
	e := httpdtest.New(t, httpd.Options{
		Tokens: []httpd.Token{{Secret: "full-token", Scope: smsgw.ScopeFull}},
		Sites:  []httpd.Site{testSite{}},
	})
	noToken := []string{"Authorization", ""}
	as := func(session string, csrf bool) []string {
		h := append([]string{"Cookie", "session=" + session}, noToken...)
		if csrf {
			h = append(h, "X-CSRF-Token", "csrf-"+session)
		}
		return h
	}
	page := func(method, path string, hdr []string, code int, body string) {
		t.Helper()
		r := e.Do(method, path, nil, hdr...)
		if r.Code != code || !strings.Contains(string(r.Body), body) {
			t.Errorf("%s %s %v: %d %q, want %d %q", method, path, hdr, r.Code, r.Body, code, body)
		}
	}
	// Nobody on a page that needs someone: the site's login redirect.
	r := e.Do("GET", "/", nil, noToken...)
	if r.Code != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("nobody: %d %v", r.Code, r.Header)
	}
	page("GET", "/", as("s-nobody", false), http.StatusSeeOther, "")
	page("GET", "/", as("s-alice", false), 200, "alice read")
	page("GET", "/", nil, 200, "token all") // a bearer token works on pages too
	page("GET", "/login", noToken, 200, "nobody")
	page("GET", "/login", as("s-bob", false), 200, "bob send")

	// State changes: the scope, then the CSRF proof.
	page("POST", "/send", as("s-alice", true), 403, "refused forbidden")
	page("POST", "/send", as("s-bob", false), 403, "refused "+httpd.CodeCSRF)
	page("POST", "/send", as("s-bob", true), 200, "bob send")
	page("POST", "/settings", as("s-bob", true), 403, "refused forbidden")
	page("POST", "/settings", as("s-root", true), 200, "root all")
	// An open form with a stale session and no proof is anyone's.
	page("POST", "/login", as("s-bob", false), 200, "nobody")
	// Another site's page posting with the user's cookie.
	page("POST", "/send", append(as("s-bob", true), "Origin", "https://evil.example"), 403, "refused "+httpd.CodeCrossSite)

	// The session works on the API as well, with the same CSRF rule.
	send := `{"to":"+4915112345678","text":"from the dashboard"}`
	r = e.Do("POST", "/v1/messages", send, as("s-bob", false)...)
	if code, _ := r.ErrCode(t); r.Code != 403 || code != httpd.CodeCSRF {
		t.Fatalf("API without CSRF: %d %s", r.Code, r.Body)
	}
	e.Want(e.Do("POST", "/v1/messages", send, as("s-bob", true)...), 202)
	e.Want(e.Do("GET", "/v1/messages", nil, as("s-alice", false)...), 200)
	e.Want(e.Do("GET", "/v1/messages", nil, as("s-bob", false)...), 403)
	e.Want(e.Do("GET", "/v1/messages", nil, noToken...), 401)

	// The API's routes come first; a page that panics is the site's 500.
	r = e.Do("GET", "/healthz", nil, noToken...)
	var hl httpd.Health
	r.JSON(t, &hl)
	if hl.Status != "ok" {
		t.Fatalf("healthz: %s", r.Body)
	}
	page("GET", "/panic", noToken, 500, "refused "+api.CodeInternal)

	// Pages are counted under their path template.
	r = e.Do("GET", "/metrics", nil)
	for _, want := range []string{`smsgw_http_requests_total{code="200",method="POST",route="/send"} 1`, `smsgw_http_requests_total{code="403",method="POST",route="/send"} 3`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Without tokens a browser nobody authenticated is the local user (full
// scope), but a session the site knows is held to its scope and its CSRF
// proof, and the Host guard stands before every page.
func TestSitePagesWithoutTokens(t *testing.T) {
	e := httpdtest.New(t, httpd.Options{Sites: []httpd.Site{testSite{}}})
	r := e.Do("GET", "/", nil)
	if r.Code != 200 || string(r.Body) != "local all" {
		t.Fatalf("local: %d %s", r.Code, r.Body)
	}
	r = e.Do("POST", "/settings", nil, "Cookie", "session=s-alice", "X-CSRF-Token", "csrf-s-alice")
	if r.Code != 403 {
		t.Fatalf("read session on a full page: %d %s", r.Code, r.Body)
	}
	r = e.Do("POST", "/send", nil, "Cookie", "session=s-bob")
	if r.Code != 403 || !strings.Contains(string(r.Body), httpd.CodeCSRF) {
		t.Fatalf("session without CSRF: %d %s", r.Code, r.Body)
	}
	r = e.Do("GET", "/", nil, "Host", "evil.example")
	if r.Code != 403 || !strings.Contains(string(r.Body), httpd.CodeBadHost) {
		t.Fatalf("rebinding host: %d %s", r.Code, r.Body)
	}
}
