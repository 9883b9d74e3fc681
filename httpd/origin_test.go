package httpd_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
	"strings"
	"testing"
)

// TestDNSRebindingRefused: a page on evil.example whose name now resolves
// to 127.0.0.1 makes the browser send its requests, Host and all, to a
// tokenless daemon. It must not read the inbox (one-time codes) nor send.
func TestDNSRebindingRefused(t *testing.T) {
	e := newEnv(t, api.Options{})
	e.AddInbound("m1", "+4915112345678", "Your code is 123456", e.API.Now())
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	get := func(host string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/inbox", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, host := range []string{"evil.example" + port, "evil.example", "127.0.0.1.nip.io" + port, "192.168.1.10" + port, "localhost.evil.example"} {
		code, body := get(host)
		if code != http.StatusForbidden || !strings.Contains(body, `"bad_host"`) || strings.Contains(body, "123456") {
			t.Fatalf("Host %s: %d %s", host, code, body)
		}
	}
	for _, host := range []string{"localhost" + port, "127.0.0.1" + port, "LOCALHOST", "[::1]" + port, "app.localhost" + port} {
		code, body := get(host)
		if code != http.StatusOK || !strings.Contains(body, "123456") {
			t.Fatalf("Host %s: %d %s", host, code, body)
		}
	}
	// A Host no browser sends, set directly on the request.
	e.Want(e.Do("GET", "/v1/inbox", nil, "Host", "localhost:1@evil.example"), http.StatusForbidden)
	// With tokens the Host does not matter: a rebinding page has no token.
	e2 := httpdtest.New(t, httpd.Options{Tokens: []httpd.Token{{Secret: "t", Scope: api.ScopeFull}}})
	e2.Want(e2.Do("GET", "/v1/inbox", nil, "Host", "gw.example.com"), http.StatusOK)
	// Configured names are answered.
	e3 := httpdtest.New(t, httpd.Options{AllowedHosts: []string{"gw.lan", "other.lan:9000"}})
	e3.Want(e3.Do("GET", "/v1/inbox", nil, "Host", "GW.lan:8787"), http.StatusOK)
	e3.Want(e3.Do("GET", "/v1/inbox", nil, "Host", "other.lan:9000"), http.StatusOK)
	e3.Want(e3.Do("GET", "/v1/inbox", nil, "Host", "other.lan:9001"), http.StatusForbidden)
}

// TestCrossSiteSendRefused: an <img> tag or a form on another site makes
// the browser send to the loopback daemon; none of those may send an SMS.
func TestCrossSiteSendRefused(t *testing.T) {
	e := newEnv(t, api.Options{})
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	const query = "/cgi-bin/sendsms?to=%2B4915112345678&text=pwned&username=x&password=y"
	img := func(hdr ...string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+query, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	browser := "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "image", "User-Agent", browser},
		{"Sec-Fetch-Site", "same-site", "User-Agent", browser}, // another port on localhost
		{"Origin", "https://evil.example"},
		{"Referer", "https://evil.example/page.html", "User-Agent", browser},
		{"User-Agent", browser}, // a browser too old for Sec-Fetch-Site
		{"Origin", "null"},
	} {
		code, body := img(hdr...)
		if code != http.StatusForbidden {
			t.Fatalf("%v: %d %s", hdr, code, body)
		}
	}
	if page, _ := e.Store.Messages(t.Context(), api.MessageFilter{}); len(page.Messages) != 0 {
		t.Fatalf("%d messages queued by cross-site requests", len(page.Messages))
	}
	// A script, or the user typing the URL, still sends.
	if code, body := img("User-Agent", "curl/8.5.0"); code != http.StatusAccepted {
		t.Fatalf("curl: %d %s", code, body)
	}
	if code, body := img("User-Agent", browser, "Sec-Fetch-Site", "none"); code != http.StatusAccepted {
		t.Fatalf("typed in the address bar: %d %s", code, body)
	}

	// A form POST with a foreign Origin, on every API.
	for _, c := range []struct{ path, ct, body string }{
		{"/v1/messages", "application/json", `{"to":"+4915112345678","text":"pwned"}`},
		{"/message", "application/json", `{"message":"pwned","phoneNumbers":["+4915112345678"]}`},
		{"/cgi-bin/sendsms", "application/x-www-form-urlencoded", url.Values{"to": {"+4915112345678"}, "text": {"pwned"}}.Encode()},
	} {
		r := e.Do("POST", c.path, c.body, "Content-Type", c.ct, "Origin", "https://evil.example")
		e.Want(r, http.StatusForbidden)
		if c.path != "/cgi-bin/sendsms" && c.path != "/message" {
			if code, _ := r.ErrCode(t); code != httpd.CodeCrossSite {
				t.Fatalf("%s: code %s", c.path, code)
			}
		}
		r = e.Do("POST", c.path, c.body, "Content-Type", c.ct, "Sec-Fetch-Site", "cross-site")
		e.Want(r, http.StatusForbidden)
		// The same request from the daemon's own origin goes through.
		e.Want(e.Do("POST", c.path, c.body, "Content-Type", c.ct, "Origin", "http://localhost:8787", "Sec-Fetch-Site", "same-origin"), http.StatusAccepted)
	}
	// Behind a proxy that rewrites Host, the browser's own Sec-Fetch-Site
	// says same-origin and is believed.
	e.Want(e.Do("POST", "/v1/messages", map[string]any{"to": "+4915112345678", "text": "x"}, "Origin", "https://sms.example.com", "Sec-Fetch-Site", "same-origin"), http.StatusAccepted)
	// A cancel from another site is refused too, even with a token.
	e2 := httpdtest.New(t, httpd.Options{Tokens: []httpd.Token{{Secret: "t", Scope: api.ScopeFull}}})
	id := e2.SendOne("+4915112345678", "hello")
	e2.Want(e2.Do("DELETE", "/v1/messages/"+id, nil, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	e2.Want(e2.Do("DELETE", "/v1/messages/"+id, nil), http.StatusOK)
	// With a token, Kannel GET with credentials works from anywhere the
	// browser markers do not say otherwise.
	e2.Want(e2.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=hi&password=t", nil, "User-Agent", browser), http.StatusAccepted)
}

// TestKannelGetNever: the operator can turn tokenless GET off altogether.
func TestKannelGetNever(t *testing.T) {
	e := httpdtest.New(t, httpd.Options{KannelGet: httpd.KannelGetNever})
	r := e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=hi", nil, "User-Agent", "curl/8")
	e.Want(r, http.StatusForbidden)
	if !strings.Contains(string(r.Body), "kannel_get") {
		t.Fatalf("answer does not name the setting: %s", r.Body)
	}
	r = e.Do("POST", "/cgi-bin/sendsms", url.Values{"to": {"+4915112345678"}, "text": {"hi"}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	e.Want(r, http.StatusAccepted)
	if _, err := httpd.NewStack(httpd.Options{KannelGet: "sometimes", Backend: api.Backend{Store: e.Store}}, nil); err == nil {
		t.Fatal("unknown KannelGet accepted")
	}
}
