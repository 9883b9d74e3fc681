package httpd

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"smsgw"
	"smsgw/web"
)

// dashServer serves the API and the dashboard on one loopback listener.
func dashServer(t *testing.T, tokens []Token) *Server {
	t.Helper()
	wt := make([]web.Token, 0, len(tokens))
	for _, tk := range tokens {
		wt = append(wt, web.Token{Secret: tk.Secret, Scope: tk.Scope})
	}
	d, err := web.New(web.Options{Tokens: wt})
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Options{Tokens: tokens, Sites: []Site{d}}, nil)
	t.Cleanup(func() { s.Close(t.Context()) })
	return s
}

var (
	metaCSRF  = regexp.MustCompile(`name="smsgw-csrf" content="([^"]*)"`)
	formCSRF  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	noRedirec = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
)

// browserClient signs in through the form like a browser and returns a
// client holding the session cookie and the page's CSRF token.
func browserClient(t *testing.T, base, token string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formCSRF.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("sign-in form: %d %s", resp.StatusCode, b)
	}
	req, _ := http.NewRequest("POST", base+"/ui/signin", strings.NewReader(url.Values{"token": {token}, "csrf": {m[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	cm := metaCSRF.FindStringSubmatch(string(b))
	if resp.StatusCode != 200 || cm == nil {
		t.Fatalf("after sign-in: %d %.300s", resp.StatusCode, b)
	}
	return c, cm[1]
}

func call(t *testing.T, c *http.Client, method, u, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The API takes the dashboard's session cookie in place of a token, with
// the token's scope, and only with the session's CSRF token on a
// state-changing request.
func TestDashboardSessionOnTheAPI(t *testing.T) {
	s := dashServer(t, []Token{{Secret: "full-tok", Scope: smsgw.ScopeFull}, {Secret: "read-tok", Scope: smsgw.ScopeRead}})
	base := "http://" + s.Addr()
	send := `{"to":["+15550100002"],"text":"hi"}`

	anon := &http.Client{CheckRedirect: noRedirec}
	if st, _ := call(t, anon, "GET", base+"/v1/messages", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("no cookie, no token: %d", st)
	}
	resp, err := anon.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/signin") {
		t.Fatalf("/ without a session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	full, csrf := browserClient(t, base, "full-tok")
	if st, body := call(t, full, "GET", base+"/v1/messages", "", nil); st != 200 {
		t.Fatalf("a full session reads: %d %s", st, body)
	}
	if st, body := call(t, full, "POST", base+"/v1/messages", send, nil); st != http.StatusForbidden || !strings.Contains(body, CodeCSRF) {
		t.Fatalf("a send without the CSRF token: %d %s", st, body)
	}
	if st, body := call(t, full, "POST", base+"/v1/messages", send, map[string]string{"X-CSRF-Token": "nope"}); st != http.StatusForbidden || !strings.Contains(body, CodeCSRF) {
		t.Fatalf("a send with a wrong CSRF token: %d %s", st, body)
	}
	if st, body := call(t, full, "POST", base+"/v1/messages", send, map[string]string{"X-CSRF-Token": csrf}); st != http.StatusAccepted {
		t.Fatalf("a send with the CSRF token: %d %s", st, body)
	}
	if st, body := call(t, full, "POST", base+"/v1/messages", send, map[string]string{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}); st != http.StatusForbidden || !strings.Contains(body, "cross_site") {
		t.Fatalf("a cross-site send with the session: %d %s", st, body)
	}

	read, rcsrf := browserClient(t, base, "read-tok")
	if st, _ := call(t, read, "GET", base+"/v1/modems", "", nil); st == http.StatusUnauthorized || st == http.StatusForbidden {
		t.Fatalf("a read session is refused a read: %d", st)
	}
	if st, body := call(t, read, "POST", base+"/v1/messages", send, map[string]string{"X-CSRF-Token": rcsrf}); st != http.StatusForbidden || !strings.Contains(body, "forbidden") {
		t.Fatalf("a read session sends: %d %s", st, body)
	}
	// A bearer token wins over the cookie: the caller's own credentials.
	if st, _ := call(t, read, "POST", base+"/v1/messages", send, map[string]string{"Authorization": "Bearer full-tok"}); st != http.StatusAccepted {
		t.Fatalf("a token beside a read cookie: %d", st)
	}
}

// Without tokens the dashboard is open, behind the API's Host check: a
// loopback name is served, another name (a DNS-rebinding page) is not.
func TestOpenDashboardKeepsTheHostCheck(t *testing.T) {
	s := dashServer(t, nil)
	base := "http://" + s.Addr()
	for host, want := range map[string]int{"": 200, "localhost": 200, "evil.example": http.StatusForbidden} {
		req, _ := http.NewRequest("GET", base+"/", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
		if want == 200 && !strings.Contains(string(b), "open (loopback)") {
			t.Errorf("Host %q: not the open dashboard", host)
		}
	}
	st, body := call(t, http.DefaultClient, "POST", base+"/ui/api/count", "hello", map[string]string{"Origin": "http://evil.example"})
	if st != http.StatusForbidden || !strings.Contains(body, "cross_site") {
		t.Fatalf("a cross-site post to the dashboard: %d %s", st, body)
	}
}

// The HTTP layer's own refusals on the dashboard's routes reach the
// browser in the dashboard's form: a read session asking for the AT trace
// gets the API's JSON 403, a page asked for under a foreign Host an HTML
// page that says why.
func TestDashboardRefusals(t *testing.T) {
	s := dashServer(t, []Token{{Secret: "full-tok", Scope: smsgw.ScopeFull}, {Secret: "read-tok", Scope: smsgw.ScopeRead}})
	base := "http://" + s.Addr()
	read, _ := browserClient(t, base, "read-tok")
	st, body := call(t, read, "GET", base+"/ui/api/modems/sim1/trace", "", nil)
	if st != http.StatusForbidden || !strings.Contains(body, `"code":"forbidden"`) {
		t.Fatalf("trace for a read session: %d %s", st, body)
	}
	full, csrf := browserClient(t, base, "full-tok")
	st, body = call(t, full, "POST", base+"/ui/api/count", "hello", map[string]string{"X-CSRF-Token": csrf, "Content-Type": "text/plain"})
	if st != 200 || !strings.Contains(body, `"parts":1`) {
		t.Fatalf("count with the session: %d %s", st, body)
	}

	open := dashServer(t, nil)
	req, _ := http.NewRequest("GET", "http://"+open.Addr()+"/ui/messages", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "bad_host") {
		t.Fatalf("a page under a foreign Host: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
}
