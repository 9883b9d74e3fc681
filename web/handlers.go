package web

import (
	"crypto/subtle"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"smsgw"
	"smsgw/modem/pdu"
)

// page is one screen of the dashboard: the path it lives at, its name in
// the navigation and the script's key for it.
type page struct {
	Path, Title, Key string
	// Nav: shown in the navigation bar.
	Nav bool
}

var pages = []page{
	{"/", "Overview", "overview", true},
	{"/ui/messages", "Messages", "messages", true},
	{"/ui/messages/{id}", "Message", "message", false},
	{"/ui/send", "Send", "send", true},
	{"/ui/inbox", "Inbox", "inbox", true},
	{"/ui/optouts", "Opt-outs", "optouts", true},
	{"/ui/contacts", "Contacts", "contacts", true},
	{"/ui/campaigns", "Campaigns", "campaigns", true},
	{"/ui/campaigns/{id}", "Campaign", "campaign", false},
	{"/ui/spend", "Spend", "spend", true},
	{"/ui/rules", "Rules", "rules", true},
	{"/ui/modems", "Modems", "modems", true},
	{"/ui/modems/{id}", "Modem", "modem", false},
	{"/ui/settings", "Settings", "settings", true},
}

func (h *Handler) routeTable() []route {
	var r []route
	add := func(method, path string, need smsgw.Need, fn http.HandlerFunc) {
		r = append(r, route{method: method, path: path, need: need, handler: h.secure(fn)})
	}
	// Pages and the sign-in are open to the HTTP layer: a page sends a
	// browser without a session to the sign-in itself, and a send-only
	// session may open the send form though it reads nothing.
	for _, p := range pages {
		add(http.MethodGet, p.Path, smsgw.NeedNone, h.page(p))
	}
	add(http.MethodGet, "/ui/signin", smsgw.NeedNone, h.signinForm)
	add(http.MethodPost, "/ui/signin", smsgw.NeedNone, h.signin)
	add(http.MethodPost, "/ui/signout", smsgw.NeedNone, h.signout)
	add(http.MethodGet, "/ui/assets/{name}", smsgw.NeedNone, h.asset)
	add(http.MethodGet, "/favicon.ico", smsgw.NeedNone, h.favicon)
	// Counting sends nothing: any session may preview a text.
	add(http.MethodPost, "/ui/api/count", smsgw.NeedNone, h.needs(smsgw.NeedNone, true, h.count))
	add(http.MethodGet, "/ui/api/stats", smsgw.NeedRead, h.needs(smsgw.NeedRead, false, h.statsJSON))
	add(http.MethodGet, "/ui/api/settings", smsgw.NeedRead, h.needs(smsgw.NeedRead, false, h.settings))
	add(http.MethodGet, "/ui/api/modems/{id}/trace", smsgw.NeedFull, h.needs(smsgw.NeedFull, false, h.trace))
	return r
}

// secure sets the headers every answer of the dashboard carries: the
// scripts and styles come only from here, no page may frame it, no
// Referer leaves it.
func (h *Handler) secure(fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		fn(w, r)
	})
}

// scopeOf returns the caller's scope: full when the dashboard is open,
// the session's otherwise ("" without a session).
func (h *Handler) scopeOf(r *http.Request) (smsgw.Scope, *session) {
	if h.open() {
		return ScopeFull, nil
	}
	s := h.sessions.fromRequest(r)
	if s == nil {
		return "", nil
	}
	return s.scope, s
}

// needs guards one of the dashboard's JSON answers: a session of the
// scope (or an open dashboard), and on a state-changing one the session's
// CSRF token and a same-site origin.
func (h *Handler) needs(need smsgw.Need, changes bool, fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got, s := h.scopeOf(r)
		if got == "" {
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "sign in first")
			return
		}
		if changes {
			if why := crossSite(r); why != "" {
				writeError(w, http.StatusForbidden, CodeCrossSite, "refusing a request sent by another site's web page (%s)", why)
				return
			}
			if s != nil && !h.CheckCSRF(r) {
				writeError(w, http.StatusForbidden, CodeBadCSRF, "missing or wrong CSRF token; reload the page")
				return
			}
		}
		if !allows(got, need) {
			writeError(w, http.StatusForbidden, CodeForbidden, "this session's token (%s) does not allow this", scopeLabel(got))
			return
		}
		fn(w, r)
	}
}

func scopeLabel(s smsgw.Scope) string {
	if s == ScopeFull {
		return "full"
	}
	return string(s) + "-only"
}

// crossSite reports why a state-changing request looks sent by another
// site's page, or "" (the API's rule: Sec-Fetch-Site when the browser
// sends it, else Origin against Host; same-site is foreign, since another
// port on localhost is the same site).
func crossSite(r *http.Request) string {
	switch sfs := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); sfs {
	case "none", "same-origin":
		return ""
	case "":
	default:
		return "Sec-Fetch-Site: " + clip(sfs, 40)
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, r.Host) {
			return "Origin " + clip(o, 100)
		}
	}
	return ""
}

func clip(s string, n int) string {
	s = strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return ' '
		}
		return c
	}, s)
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// shell is what the page template is filled with.
type shell struct {
	Page    page
	Pages   []page
	ID      string
	CSRF    string
	Scope   smsgw.Scope
	Open    bool
	Expires string
	Version string
	JS, CSS string
	// Sign-in form only.
	Error, Next, PreCSRF string
}

func (h *Handler) page(p page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if strings.Contains(p.Path, "{id}") {
			prefix := strings.TrimSuffix(p.Path, "{id}")
			id = strings.TrimPrefix(r.URL.Path, prefix)
			if id == "" || strings.Contains(id, "/") || len(id) > 128 {
				http.NotFound(w, r)
				return
			}
		}
		scope, s := h.scopeOf(r)
		if scope == "" {
			http.Redirect(w, r, "/ui/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		d := h.shellFor(p, scope, s)
		d.ID = id
		h.render(w, http.StatusOK, d)
	}
}

func (h *Handler) shellFor(p page, scope smsgw.Scope, s *session) shell {
	d := shell{Page: p, Pages: pages, Scope: scope, Open: h.open(), Version: h.opts.Version,
		JS: h.assets.url("app.js"), CSS: h.assets.url("app.css")}
	if s != nil {
		d.CSRF = s.csrf
		d.Expires = s.expires.UTC().Format(time.RFC3339)
	}
	return d
}

func (h *Handler) render(w http.ResponseWriter, status int, d shell) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, d); err != nil {
		h.log.Error("web: page template", "page", d.Page.Key, "err", err)
	}
}

// safeNext keeps the after-sign-in redirect on this site: a local path,
// never "//host" or a scheme.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

var signinPage = page{Path: "/ui/signin", Title: "Sign in", Key: "signin"}

func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) {
	if h.open() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	h.renderSignin(w, r, http.StatusOK, "")
}

func (h *Handler) renderSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	pre := randomToken()
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: pre, Path: "/ui/signin", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 3600})
	d := shell{Page: signinPage, Version: h.opts.Version, CSS: h.assets.url("app.css"),
		Error: msg, Next: safeNext(r.FormValue("next")), PreCSRF: pre}
	h.render(w, status, d)
}

func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	if h.open() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.renderSignin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if why := crossSite(r); why != "" {
		h.renderSignin(w, r, http.StatusForbidden, "Refused: the form was sent by another site's page ("+why+").")
		return
	}
	c, err := r.Cookie(preCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		h.renderSignin(w, r, http.StatusForbidden, "The form expired or did not come from this page; try again.")
		return
	}
	scope, ok := h.lookup(strings.TrimSpace(r.PostFormValue("token")))
	if !ok {
		h.renderSignin(w, r, http.StatusUnauthorized, "That token is not one of this gateway's API tokens.")
		return
	}
	id, s := h.sessions.create(scope)
	http.SetCookie(w, sessionCookie(r, id, s.expires, h.now()))
	http.SetCookie(w, &http.Cookie{Name: preCookie, Path: "/ui/signin", MaxAge: -1})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if why := crossSite(r); why != "" {
		writeError(w, http.StatusForbidden, CodeCrossSite, "refusing a request sent by another site's web page (%s)", why)
		return
	}
	c, err := r.Cookie(cookieName)
	if err == nil {
		if h.sessions.get(c.Value) != nil && !h.CheckCSRF(r) {
			writeError(w, http.StatusForbidden, CodeBadCSRF, "missing or wrong CSRF token; reload the page")
			return
		}
		h.sessions.remove(c.Value)
	}
	http.SetCookie(w, sessionCookie(r, "", time.Time{}, h.now()))
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}

// countAnswer is the live counter's answer: what the codec will make of
// the text.
type countAnswer struct {
	Chars     int    `json:"chars"`
	Coding    string `json:"coding"`
	Units     int    `json:"units"`
	PerPart   int    `json:"per_part"`
	Parts     int    `json:"parts"`
	Remaining int    `json:"remaining"`
}

// maxCountBytes bounds the counter's input: the API takes 5000
// characters, at most 4 bytes each.
const maxCountBytes = 20000

func (h *Handler) count(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCountBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, CodeBadRequest, "the text is longer than %d bytes", maxCountBytes)
		return
	}
	text := string(b)
	if !utf8.ValidString(text) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "the text is not valid UTF-8")
		return
	}
	c := pdu.CodingAuto
	switch enc := r.URL.Query().Get("encoding"); enc {
	case "", "auto":
	case "gsm7":
		c = pdu.CodingGSM7
	case "ucs2":
		c = pdu.CodingUCS2
	default:
		writeError(w, http.StatusBadRequest, CodeBadRequest, "encoding must be auto, gsm7 or ucs2")
		return
	}
	if text == "" {
		writeJSON(w, http.StatusOK, countAnswer{Coding: "gsm7", PerPart: 160, Remaining: 160})
		return
	}
	n, err := pdu.CountParts(text, pdu.SegmentOptions{Coding: c})
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, CodeBadRequest, "the text cannot be encoded in that coding: %v", err)
		return
	}
	rem := n.PerPart*n.Parts - n.Units
	if rem < 0 {
		rem = 0
	}
	writeJSON(w, http.StatusOK, countAnswer{Chars: utf8.RuneCountInString(text), Coding: n.Coding.String(),
		Units: n.Units, PerPart: n.PerPart, Parts: n.Parts, Remaining: rem})
}

func (h *Handler) settings(w http.ResponseWriter, r *http.Request) {
	text := ""
	if h.opts.Settings != nil {
		text = h.opts.Settings()
	}
	writeJSON(w, http.StatusOK, map[string]string{"config": text})
}

func (h *Handler) trace(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/ui/api/modems/"), "/trace")
	if h.opts.Trace == nil {
		writeError(w, http.StatusNotFound, CodeNotFound, "no AT trace is kept")
		return
	}
	lines, ok := h.opts.Trace(id)
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, "no modem %q", clip(id, 60))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	name := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '_'
	}, id)
	w.Header().Set("Content-Disposition", `attachment; filename="at-trace-`+name+`.log"`)
	for _, l := range lines {
		io.WriteString(w, l)
		io.WriteString(w, "\n")
	}
}

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))
