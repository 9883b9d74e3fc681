package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"smsgw"
	"smsgw/queue"
)

// Scopes, as the API's tokens have them.
const (
	ScopeFull = smsgw.ScopeFull
	ScopeSend = smsgw.ScopeSend
	ScopeRead = smsgw.ScopeRead
)

// Token is one API credential the sign-in accepts. Secret is never logged.
type Token struct {
	Secret string
	Scope  smsgw.Scope // ScopeFull (or empty), ScopeSend or ScopeRead
}

// Messages is what the statistics need of the outbound store: the
// listing (for the charts) and the counts by state (queue depth).
type Messages interface {
	List(ctx context.Context, f queue.Filter) (queue.Page, error)
	Counts(ctx context.Context) (map[smsgw.State]int64, error)
}

// Options configure the dashboard. Zero values take the documented
// defaults.
type Options struct {
	// Tokens are the API tokens; none makes the dashboard open (the HTTP
	// layer then answers loopback Host names only).
	Tokens []Token
	// SessionTTL is how long a sign-in lasts (default 12 h).
	SessionTTL time.Duration
	// MaxSessions caps the sessions held at once (default 1000); the
	// oldest is dropped to make room.
	MaxSessions int
	// Messages feeds the charts and the queue depth; nil leaves them empty.
	Messages Messages
	// Settings returns the effective configuration as text with secrets
	// already redacted; nil shows none.
	Settings func() string
	// Trace returns a modem's recent AT traffic (PIN redacted); nil or
	// false: no trace for that modem.
	Trace func(modem string) ([]string, bool)
	// Version is shown in the footer.
	Version string
	// Logger receives server-side failures; nil uses slog.Default().
	Logger *slog.Logger
	// Now is the clock (tests); nil uses time.Now.
	Now func() time.Time
}

// Handler serves the dashboard. It is safe for concurrent use.
type Handler struct {
	opts     Options
	tokens   []hashedToken
	sessions *sessions
	assets   *assetSet
	stats    *statsCache
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
	routes   []route
}

type hashedToken struct {
	sum   [32]byte
	scope smsgw.Scope
}

// route is one endpoint of the dashboard and what the HTTP layer is to
// require of its caller. The handlers check the session themselves too, so
// the dashboard answers the same when served alone (ServeHTTP).
type route struct {
	method, path string
	need         smsgw.Need
	handler      http.Handler
}

// New builds the dashboard.
func New(o Options) (*Handler, error) {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	as, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	h := &Handler{opts: o, log: o.Logger, now: o.Now, assets: as}
	for _, t := range o.Tokens {
		if t.Secret == "" {
			return nil, errors.New("web: an empty token")
		}
		sc := t.Scope
		if sc == "" {
			sc = ScopeFull
		}
		if sc != ScopeFull && sc != ScopeSend && sc != ScopeRead {
			return nil, fmt.Errorf("web: token scope %q: want %s, %s or %s", t.Scope, ScopeFull, ScopeSend, ScopeRead)
		}
		h.tokens = append(h.tokens, hashedToken{sha256.Sum256([]byte(t.Secret)), sc})
	}
	h.sessions = newSessions(o.MaxSessions, o.SessionTTL, o.Now)
	h.stats = &statsCache{src: o.Messages, now: o.Now, log: o.Logger}
	h.routes = h.routeTable()
	h.mux = http.NewServeMux()
	for _, rt := range h.routes {
		pat := rt.path
		if pat == "/" {
			pat = "/{$}"
		}
		h.mux.Handle(rt.method+" "+pat, rt.handler)
	}
	return h, nil
}

// Routes hands every endpoint of the dashboard to the HTTP layer (the
// httpd.Site seam): its method, path template ({name} matches one path
// segment), what its caller needs, and its handler.
func (h *Handler) Routes(add func(method, path string, need smsgw.Need, h http.Handler)) {
	for _, rt := range h.routes {
		add(rt.method, rt.path, rt.need, rt.handler)
	}
}

// Refuse writes the HTTP layer's refusal of a request on one of the
// dashboard's routes: a page that needs a sign-in sends the browser to the
// sign-in form, the script's JSON routes get the API's error body, and
// anything else a short page saying why.
func (h *Handler) Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/ui/api/"):
		writeError(w, status, code, "%s", message)
	case status == http.StatusUnauthorized && r.Method == http.MethodGet:
		http.Redirect(w, r, "/ui/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		refusalTemplate.Execute(w, struct {
			Status        int
			Code, Message string
		}{status, code, message})
	}
}

var refusalTemplate = template.Must(template.New("refusal").Parse(`<!doctype html><html lang="en"><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1"><title>Refused · smsgw</title>` +
	`<h1>Refused ({{.Status}})</h1><p role="alert">{{.Message}} ({{.Code}})</p><p><a href="/">Back to the dashboard</a></p></html>`))

// ServeHTTP answers the dashboard's own routes (tests, or a server that
// mounts the dashboard alone).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// open reports whether the dashboard runs without sign-in (no tokens).
func (h *Handler) open() bool { return len(h.tokens) == 0 }

// lookup returns the scope of secret, comparing with every token so the
// time taken does not say which one matched.
func (h *Handler) lookup(secret string) (smsgw.Scope, bool) {
	if secret == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(secret))
	var scope smsgw.Scope
	found := false
	for _, t := range h.tokens {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 {
			scope, found = t.scope, true
		}
	}
	return scope, found
}

// CallerName is the caller's name the HTTP layer records for a request
// made with the dashboard's session cookie.
const CallerName = "dashboard"

// Authenticate returns the scope of the request's session cookie, for
// the HTTP layer to accept the cookie on the API as it accepts a token
// (the httpd.Authenticator seam). ok is false without a live session.
func (h *Handler) Authenticate(r *http.Request) (name string, scope smsgw.Scope, ok bool) {
	s := h.sessions.fromRequest(r)
	if s == nil {
		return "", "", false
	}
	return CallerName, s.scope, true
}

// CheckCSRF reports whether a state-changing request authenticated by the
// session cookie carries that session's CSRF token (header X-CSRF-Token,
// or the form field csrf). A request without a live session fails.
func (h *Handler) CheckCSRF(r *http.Request) bool {
	s := h.sessions.fromRequest(r)
	if s == nil {
		return false
	}
	got := r.Header.Get(csrfHeader)
	if got == "" && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// Close drops every session.
func (h *Handler) Close(ctx context.Context) error {
	h.sessions.clear()
	return nil
}

// apiError is the v1 error body, so the script reads every error the
// same way whichever side answered.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	var e apiError
	e.Error.Code, e.Error.Message = code, fmt.Sprintf(format, args...)
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

// Error codes of the dashboard's own answers.
const (
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeBadCSRF      = "csrf_failed" // the HTTP layer's code for the same refusal
	CodeCrossSite    = "cross_site"
	CodeBadRequest   = "bad_request"
	CodeNotFound     = "not_found"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// allows reports whether scope may use a route that needs n (the API's
// rule: a send token does not read, a read token does not send); NeedNone
// here means any signed-in session.
func allows(scope smsgw.Scope, n smsgw.Need) bool {
	if scope == "" {
		return false
	}
	return scope.Allows(n)
}
