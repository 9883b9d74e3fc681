package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

const (
	fullToken = "full-secret-0123456789"
	readToken = "read-secret-0123456789"
	sendToken = "send-secret-0123456789"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newHandler(t *testing.T, o Options) *Handler {
	t.Helper()
	if o.Tokens == nil {
		o.Tokens = []Token{{fullToken, ""}, {readToken, ScopeRead}, {sendToken, ScopeSend}}
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// do sends one request to h as a browser on the same origin would.
func do(h http.Handler, method, target string, body io.Reader, hdr map[string]string, cookies ...*http.Cookie) *http.Response {
	r := httptest.NewRequest(method, target, body)
	r.Host = "127.0.0.1:8787"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func cookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var csrfMeta = regexp.MustCompile(`name="smsgw-csrf" content="([^"]*)"`)
var preField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// signIn goes through the sign-in form with token and returns the session
// cookie and the page's CSRF token.
func signIn(t *testing.T, h http.Handler, token string) (*http.Cookie, string) {
	t.Helper()
	form := do(h, "GET", "/ui/signin", nil, nil)
	pre := cookie(form, preCookie)
	m := preField.FindStringSubmatch(readAll(t, form))
	if pre == nil || m == nil {
		t.Fatal("the sign-in form has no CSRF cookie or field")
	}
	v := url.Values{"token": {token}, "csrf": {m[1]}, "next": {"/ui/messages?state=failed"}}
	resp := do(h, "POST", "/ui/signin", strings.NewReader(v.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://127.0.0.1:8787"}, pre)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, readAll(t, resp))
	}
	if loc := resp.Header.Get("Location"); loc != "/ui/messages?state=failed" {
		t.Fatalf("sign-in redirects to %q", loc)
	}
	c := cookie(resp, cookieName)
	if c == nil {
		t.Fatal("no session cookie")
	}
	page := do(h, "GET", "/", nil, nil, c)
	if page.StatusCode != 200 {
		t.Fatalf("overview after sign-in: %d", page.StatusCode)
	}
	cm := csrfMeta.FindStringSubmatch(readAll(t, page))
	if cm == nil || cm[1] == "" {
		t.Fatal("the page carries no CSRF token")
	}
	return c, cm[1]
}

func TestSignInSetsAStrictHttpOnlyExpiringCookie(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	h := newHandler(t, Options{Now: clk.now, SessionTTL: time.Hour})
	c, _ := signIn(t, h, fullToken)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", c)
	}
	if c.MaxAge != 3600 || !c.Expires.Equal(clk.now().Add(time.Hour)) {
		t.Fatalf("cookie expiry MaxAge=%d Expires=%v, want one hour", c.MaxAge, c.Expires)
	}
	r := httptest.NewRequest("GET", "/v1/messages", nil)
	r.AddCookie(c)
	if name, sc, ok := h.Authenticate(r); !ok || sc != ScopeFull || name != CallerName {
		t.Fatalf("Authenticate = %q %q %v, want dashboard all true", name, sc, ok)
	}
	clk.add(time.Hour)
	if _, _, ok := h.Authenticate(r); ok {
		t.Fatal("the session outlived its expiry")
	}
	resp := do(h, "GET", "/ui/send", nil, nil, c)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/signin?next=%2Fui%2Fsend") {
		t.Fatalf("an expired session gets %d %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSignInRefusals(t *testing.T) {
	h := newHandler(t, Options{})
	form := do(h, "GET", "/ui/signin", nil, nil)
	pre := cookie(form, preCookie)
	field := preField.FindStringSubmatch(readAll(t, form))[1]
	post := func(v url.Values, hdr map[string]string, cs ...*http.Cookie) *http.Response {
		if hdr == nil {
			hdr = map[string]string{}
		}
		hdr["Content-Type"] = "application/x-www-form-urlencoded"
		return do(h, "POST", "/ui/signin", strings.NewReader(v.Encode()), hdr, cs...)
	}
	cases := []struct {
		name string
		resp *http.Response
		want int
	}{
		{"wrong token", post(url.Values{"token": {"nope"}, "csrf": {field}}, nil, pre), http.StatusUnauthorized},
		{"no form cookie", post(url.Values{"token": {fullToken}, "csrf": {field}}, nil), http.StatusForbidden},
		{"wrong form token", post(url.Values{"token": {fullToken}, "csrf": {"x" + field}}, nil, pre), http.StatusForbidden},
		{"cross-site origin", post(url.Values{"token": {fullToken}, "csrf": {field}}, map[string]string{"Origin": "http://evil.example"}, pre), http.StatusForbidden},
		{"cross-site fetch", post(url.Values{"token": {fullToken}, "csrf": {field}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, pre), http.StatusForbidden},
	}
	for _, c := range cases {
		if c.resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.resp.StatusCode, c.want)
		}
		if cookie(c.resp, cookieName) != nil {
			t.Errorf("%s: a session cookie was set", c.name)
		}
	}
	if n := h.sessions.count(); n != 0 {
		t.Fatalf("%d sessions after refused sign-ins", n)
	}
}

func TestSafeNextStaysOnSite(t *testing.T) {
	for in, want := range map[string]string{
		"/messages?x=1": "/messages?x=1", "": "/", "//evil.example/": "/", "https://evil.example": "/",
		"/\\evil.example": "/", "javascript:alert(1)": "/", "/a\r\nSet-Cookie: x": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPagesNeedASessionAndCarryTheirCSRFToken(t *testing.T) {
	h := newHandler(t, Options{Version: "v-test"})
	c, csrf := signIn(t, h, readToken)
	for _, p := range []string{"/", "/ui/messages", "/ui/messages/42", "/ui/send", "/ui/inbox", "/ui/optouts", "/ui/contacts", "/ui/campaigns", "/ui/campaigns/1", "/ui/spend", "/ui/rules", "/ui/modems", "/ui/modems/sim1", "/ui/settings"} {
		resp := do(h, "GET", p, nil, nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/signin?next=") {
			t.Errorf("%s without a session: %d %q, want a redirect to sign in", p, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp = do(h, "GET", p, nil, nil, c)
		body := readAll(t, resp)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
			continue
		}
		if !strings.Contains(body, `content="`+csrf+`"`) || !strings.Contains(body, `name="smsgw-scope" content="read"`) {
			t.Errorf("%s: the page lacks the session's CSRF token or scope", p)
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: security headers missing: %v", p, resp.Header)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: a page with a CSRF token may be cached", p)
		}
	}
	if resp := do(h, "GET", "/ui/messages/a/b", nil, nil, c); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/messages/a/b: %d, want 404", resp.StatusCode)
	}
}

func TestOpenDashboardNeedsNoSignIn(t *testing.T) {
	h := newHandler(t, Options{Tokens: []Token{}})
	resp := do(h, "GET", "/", nil, nil)
	body := readAll(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="smsgw-scope" content="all"`) || !strings.Contains(body, "open (loopback)") {
		t.Fatalf("open overview: %d", resp.StatusCode)
	}
	if resp := do(h, "GET", "/ui/signin", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on an open dashboard: %d, want a redirect", resp.StatusCode)
	}
	// Cross-site still refused on a state-changing answer.
	resp = do(h, "POST", "/ui/api/count?encoding=auto", strings.NewReader("hi"), map[string]string{"Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site count on an open dashboard: %d", resp.StatusCode)
	}
}

func TestCheckCSRF(t *testing.T) {
	h := newHandler(t, Options{})
	c, csrf := signIn(t, h, fullToken)
	req := func(hdr string, form string) *http.Request {
		r := httptest.NewRequest("POST", "/v1/messages", strings.NewReader(form))
		if form != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if hdr != "" {
			r.Header.Set(csrfHeader, hdr)
		}
		r.AddCookie(c)
		return r
	}
	if !h.CheckCSRF(req(csrf, "")) {
		t.Error("the right header is refused")
	}
	if !h.CheckCSRF(req("", "csrf="+url.QueryEscape(csrf))) {
		t.Error("the right form field is refused")
	}
	for _, bad := range []*http.Request{req("", ""), req("x"+csrf, ""), req("", "csrf=nope")} {
		if h.CheckCSRF(bad) {
			t.Error("a wrong or missing CSRF token passes")
		}
	}
	// Another session's token does not pass.
	_, other := signIn(t, h, fullToken)
	if h.CheckCSRF(req(other, "")) {
		t.Error("another session's CSRF token passes")
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set(csrfHeader, csrf)
	if h.CheckCSRF(r) {
		t.Error("CSRF passes without a session")
	}
}

func TestSignOutNeedsCSRFAndEndsTheSession(t *testing.T) {
	h := newHandler(t, Options{})
	c, csrf := signIn(t, h, fullToken)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	resp := do(h, "POST", "/ui/signout", strings.NewReader("csrf=wrong"), form, c)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-out with a wrong CSRF token: %d", resp.StatusCode)
	}
	resp = do(h, "POST", "/ui/signout", strings.NewReader("csrf="+url.QueryEscape(csrf)), map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"}, c)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-out: %d", resp.StatusCode)
	}
	resp = do(h, "POST", "/ui/signout", strings.NewReader("csrf="+url.QueryEscape(csrf)), form, c)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if gone := cookie(resp, cookieName); gone == nil || gone.MaxAge >= 0 {
		t.Fatalf("sign-out does not clear the cookie: %+v", gone)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	if _, _, ok := h.Authenticate(r); ok {
		t.Fatal("the session lives on after sign-out")
	}
}

func TestSessionCapDropsTheOldest(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	s := newSessions(3, time.Hour, clk.now)
	first, _ := s.create(ScopeRead)
	for i := 0; i < 3; i++ {
		clk.add(time.Second)
		s.create(ScopeRead)
	}
	if s.count() != 3 || s.get(first) != nil {
		t.Fatalf("%d sessions, oldest kept: %v", s.count(), s.get(first) != nil)
	}
}

func TestCountIsTheCodecs(t *testing.T) {
	h := newHandler(t, Options{})
	c, csrf := signIn(t, h, readToken)
	hdr := map[string]string{csrfHeader: csrf, "Content-Type": "text/plain"}
	count := func(text, enc string) (int, countAnswer) {
		resp := do(h, "POST", "/ui/api/count?encoding="+enc, strings.NewReader(text), hdr, c)
		var a countAnswer
		json.NewDecoder(resp.Body).Decode(&a)
		return resp.StatusCode, a
	}
	cases := []struct {
		text          string
		coding        string
		parts, chars  int
		units, remain int
	}{
		{strings.Repeat("a", 160), "gsm7", 1, 160, 160, 0},
		{strings.Repeat("a", 200), "gsm7", 2, 200, 200, 106},
		{strings.Repeat("€", 10), "gsm7", 1, 10, 20, 140}, // escape pairs count two
		{"Hello 👋 " + strings.Repeat("x", 60), "ucs2", 1, 68, 69, 1},
		{strings.Repeat("😀", 40), "ucs2", 2, 40, 80, 54}, // surrogate pairs, 67 per part
		{"", "gsm7", 0, 0, 0, 160},
	}
	for _, tc := range cases {
		st, a := count(tc.text, "auto")
		if st != 200 || a.Coding != tc.coding || a.Parts != tc.parts || a.Chars != tc.chars || a.Units != tc.units || a.Remaining != tc.remain {
			t.Errorf("count(%.20q): %d %+v, want %s %d parts %d chars %d units %d left", tc.text, st, a, tc.coding, tc.parts, tc.chars, tc.units, tc.remain)
		}
	}
	if st, _ := count("😀", "gsm7"); st != http.StatusUnprocessableEntity {
		t.Errorf("emoji forced to gsm7: %d, want 422", st)
	}
	if st, _ := count("x", "latin1"); st != http.StatusBadRequest {
		t.Errorf("unknown encoding: %d, want 400", st)
	}
	if st, _ := count(strings.Repeat("a", maxCountBytes+1), "auto"); st != http.StatusRequestEntityTooLarge {
		t.Errorf("huge text: %d, want 413", st)
	}
	if st, _ := count("\xff\xfe", "auto"); st != http.StatusBadRequest {
		t.Errorf("invalid UTF-8: %d, want 400", st)
	}
	// Without the CSRF token, or without a session, nothing is counted.
	if resp := do(h, "POST", "/ui/api/count", strings.NewReader("x"), nil, c); resp.StatusCode != http.StatusForbidden {
		t.Errorf("count without CSRF: %d", resp.StatusCode)
	}
	if resp := do(h, "POST", "/ui/api/count", strings.NewReader("x"), hdr); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("count without a session: %d", resp.StatusCode)
	}
}

func openStore(t *testing.T, now func() time.Time) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{Now: now}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

func TestStatsBucketsTheQueue(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)}
	st := openStore(t, clk.now)
	ctx := context.Background()
	enqueue := func(n int) []int64 {
		var ids []int64
		for i := 0; i < n; i++ {
			e, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+15550100002"}, Text: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range e.Messages {
				ids = append(ids, m.ID)
			}
		}
		return ids
	}
	clk.add(-30 * time.Hour) // yesterday, in the 48 h window
	old := enqueue(2)
	clk.add(-10 * 24 * time.Hour) // eleven days ago: the 30-day window only
	enqueue(1)
	clk.add(10*24*time.Hour + 30*time.Hour) // back to now
	now := enqueue(3)
	if _, err := st.Cancel(ctx, now[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Cancel(ctx, old[0]); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, Options{Messages: st, Now: clk.now})
	c, _ := signIn(t, h, readToken)
	resp := do(h, "GET", "/ui/api/stats", nil, nil, c)
	var s Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stats: %d %v", resp.StatusCode, err)
	}
	if len(s.Hours) != 48 || len(s.Days) != 30 {
		t.Fatalf("%d hours, %d days", len(s.Hours), len(s.Days))
	}
	if q := s.Queue; q[smsgw.StateQueued] != 4 || q[smsgw.StateCancelled] != 2 {
		t.Fatalf("queue %v, want 4 queued 2 cancelled", q)
	}
	last := s.Hours[47].Modem[""]
	if last == nil || last.Pending != 2 || last.Cancelled != 1 {
		t.Fatalf("this hour: %+v", last)
	}
	y := s.Hours[47-30].Modem[""]
	if y == nil || y.Pending != 1 || y.Cancelled != 1 {
		t.Fatalf("30 hours ago: %+v", y)
	}
	total := 0
	for _, d := range s.Days {
		for _, c := range d.Modem {
			total += c.Pending + c.Cancelled
		}
	}
	if total != 6 {
		t.Fatalf("30 days hold %d messages, want 6", total)
	}
	if today := s.Today[""]; today == nil || today.Pending != 2 || today.Cancelled != 1 {
		t.Fatalf("today: %+v", today)
	}
	// A send-only session does not read.
	cs, _ := signIn(t, h, sendToken)
	if resp := do(h, "GET", "/ui/api/stats", nil, nil, cs); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("stats for a send token: %d", resp.StatusCode)
	}
	if resp := do(h, "GET", "/ui/api/stats", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stats without a session: %d", resp.StatusCode)
	}
}

func TestSettingsAndTrace(t *testing.T) {
	h := newHandler(t, Options{
		Settings: func() string { return "[server]\ntokens = [\"***\"]\n" },
		Trace: func(id string) ([]string, bool) {
			if id != "sim1" {
				return nil, false
			}
			return []string{"> AT+CSQ", "< +CSQ: 20,99"}, true
		},
	})
	rc, _ := signIn(t, h, readToken)
	fc, _ := signIn(t, h, fullToken)
	resp := do(h, "GET", "/ui/api/settings", nil, nil, rc)
	var s map[string]string
	json.NewDecoder(resp.Body).Decode(&s)
	if resp.StatusCode != 200 || !strings.Contains(s["config"], `tokens = ["***"]`) {
		t.Fatalf("settings: %d %v", resp.StatusCode, s)
	}
	if resp := do(h, "GET", "/ui/api/modems/sim1/trace", nil, nil, rc); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("trace for a read token: %d, want 403", resp.StatusCode)
	}
	resp = do(h, "GET", "/ui/api/modems/sim1/trace", nil, nil, fc)
	if body := readAll(t, resp); resp.StatusCode != 200 || body != "> AT+CSQ\n< +CSQ: 20,99\n" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="at-trace-sim1.log"` {
		t.Fatalf("trace: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp := do(h, "GET", "/ui/api/modems/nope/trace", nil, nil, fc); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("trace of an unknown modem: %d", resp.StatusCode)
	}
}

func TestAssetsAreCompressedAndCached(t *testing.T) {
	h := newHandler(t, Options{})
	u := h.assets.url("app.js")
	resp := do(h, "GET", u, nil, map[string]string{"Accept-Encoding": "gzip, br"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("app.js: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.HasPrefix(plain, []byte("// smsgw dashboard")) {
		t.Fatal("the gzipped body is not app.js")
	}
	if resp := do(h, "GET", "/ui/assets/app.js", nil, nil); resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("unversioned, no gzip: %v", resp.Header)
	}
	if resp := do(h, "GET", "/ui/assets/app.js", nil, map[string]string{"If-None-Match": resp.Header.Get("ETag")}); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	if resp := do(h, "GET", "/ui/assets/nope.js", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown asset: %d", resp.StatusCode)
	}
	if resp := do(h, "GET", "/favicon.ico", nil, nil); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("favicon: %d %v", resp.StatusCode, resp.Header)
	}
}

// firstLoadBudget is the most a first visit may transfer, compressed: the
// page and everything it loads.
const firstLoadBudget = 200 << 10

// TestFirstLoadBudget adds up what a browser fetches on a first visit to
// the heaviest page: the HTML (gzipped as a proxy would) and every asset
// it references, as served with Accept-Encoding: gzip.
func TestFirstLoadBudget(t *testing.T) {
	h := newHandler(t, Options{})
	c, _ := signIn(t, h, fullToken)
	resp := do(h, "GET", "/", nil, nil, c)
	html := readAll(t, resp)
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(html))
	zw.Close()
	total := zb.Len()
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(html, -1)
	seen := map[string]bool{}
	for _, m := range refs {
		p := strings.ReplaceAll(m[1], "&amp;", "&")
		if seen[p] || !(strings.HasPrefix(p, "/ui/assets/") || p == "/favicon.ico") {
			continue
		}
		seen[p] = true
		a := do(h, "GET", p, nil, map[string]string{"Accept-Encoding": "gzip"})
		n, _ := io.Copy(io.Discard, a.Body)
		if a.StatusCode != 200 {
			t.Fatalf("%s: %d", p, a.StatusCode)
		}
		total += int(n)
	}
	if len(seen) < 3 {
		t.Fatalf("the page references %d assets; want the script, the styles and the icon", len(seen))
	}
	t.Logf("first load: %d bytes compressed (%d files)", total, len(seen)+1)
	if total > firstLoadBudget {
		t.Fatalf("first load is %d bytes compressed, over the %d budget", total, firstLoadBudget)
	}
}

func TestNewRefusesBadTokens(t *testing.T) {
	if _, err := New(Options{Tokens: []Token{{"", ""}}}); err == nil {
		t.Error("an empty token was accepted")
	}
	if _, err := New(Options{Tokens: []Token{{"x", "admin"}}}); err == nil {
		t.Error("an unknown scope was accepted")
	}
}

// Refuse answers the HTTP layer's refusals in the dashboard's own way.
func TestRefuse(t *testing.T) {
	h := newHandler(t, Options{})
	refuse := func(method, target string, status int, code, msg string) *http.Response {
		w := httptest.NewRecorder()
		h.Refuse(w, httptest.NewRequest(method, target, nil), status, code, msg)
		return w.Result()
	}
	resp := refuse("GET", "/ui/api/stats", http.StatusForbidden, "forbidden", "scope too small")
	var e apiError
	if json.NewDecoder(resp.Body).Decode(&e); resp.StatusCode != 403 || e.Error.Code != "forbidden" || e.Error.Message != "scope too small" {
		t.Fatalf("JSON refusal: %d %+v", resp.StatusCode, e)
	}
	resp = refuse("GET", "/ui/messages?state=failed", http.StatusUnauthorized, "unauthorized", "sign in")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/signin?next=%2Fui%2Fmessages%3Fstate%3Dfailed" {
		t.Fatalf("page refusal: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = refuse("POST", "/ui/signout", http.StatusForbidden, "bad_host", `Host "<script>x</script>" is not ours`)
	body := readAll(t, resp)
	if resp.StatusCode != 403 || !strings.Contains(body, "bad_host") || strings.Contains(body, "<script>x") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("HTML refusal: %d %s", resp.StatusCode, body)
	}
}

// Routes tells the HTTP layer what each route needs: pages and the
// sign-in are open (the dashboard checks the session itself), the
// statistics and settings need a reader, the AT trace a full token.
func TestRoutesDeclareTheirNeeds(t *testing.T) {
	h := newHandler(t, Options{})
	got := map[string]smsgw.Need{}
	h.Routes(func(method, path string, need smsgw.Need, _ http.Handler) { got[method+" "+path] = need })
	want := map[string]smsgw.Need{
		"GET /": smsgw.NeedNone, "GET /ui/send": smsgw.NeedNone, "POST /ui/signin": smsgw.NeedNone, "POST /ui/api/count": smsgw.NeedNone,
		"GET /ui/api/stats": smsgw.NeedRead, "GET /ui/api/settings": smsgw.NeedRead, "GET /ui/api/modems/{id}/trace": smsgw.NeedFull,
	}
	for k, n := range want {
		if g, ok := got[k]; !ok || g != n {
			t.Errorf("%s: need %v (present %v), want %v", k, g, ok, n)
		}
	}
	if len(got) != len(h.routes) || len(got) < 17 {
		t.Errorf("%d routes handed over, %d in the table", len(got), len(h.routes))
	}
}
