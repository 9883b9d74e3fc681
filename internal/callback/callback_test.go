package callback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCheckRefusesLocalTargets(t *testing.T) {
	var p Policy
	for _, u := range []string{
		"http://127.0.0.1/x", "http://127.1.2.3:8080/", "http://[::1]/", "http://localhost/", "http://LOCALHOST./",
		"http://foo.localhost/", "http://10.0.0.5/", "http://192.168.1.1/", "http://172.16.3.4/",
		"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[fd00::1]/", "http://0.0.0.0/",
		"http://[::ffff:127.0.0.1]/", "http://100.64.1.1/", "http://[64:ff9b::7f00:1]/", "http://[::]/",
	} {
		err := p.Check(u)
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want ErrForbidden", u, err)
		}
	}
	for _, u := range []string{"ftp://example.com/", "http:///x", "example.com/x", "://"} {
		if err := p.Check(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"https://example.com/dlr?x=%d", "http://93.184.216.34/"} {
		if err := p.Check(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestCheckAllowHosts(t *testing.T) {
	p := Policy{AllowHosts: []string{"localhost", "10.1.0.0/16", "192.168.7.7", "[::1]"}}
	for _, u := range []string{"http://localhost:9000/", "http://10.1.2.3/", "http://192.168.7.7/", "http://[::1]:80/"} {
		if err := p.Check(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.2.0.1/", "http://192.168.7.8/", "http://127.0.0.1/"} {
		if err := p.Check(u); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want ErrForbidden", u, err)
		}
	}
	if err := (Policy{AllowPrivate: true}).Check("http://127.0.0.1/"); err != nil {
		t.Error(err)
	}
	if err := (Policy{AllowHosts: []string{"http://x/"}}).Validate(); err == nil {
		t.Error("URL in allow_hosts accepted")
	}
}

// A name that passes Check but resolves to loopback when called is refused
// by the dialler: the check is on the address actually dialled.
func TestClientChecksDialledAddress(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// "rebind.test" is not a local name, so Check lets it through; the
	// resolver below answers 127.0.0.1 as a rebinding DNS server would.
	target := "http://rebind.test:" + port + "/dlr"
	var p Policy
	if err := p.Check(target); err != nil {
		t.Fatalf("check: %v", err)
	}
	c, err := p.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	c.Transport.(*http.Transport).DialContext = wrapResolve(c.Transport.(*http.Transport).DialContext, "rebind.test", "127.0.0.1")
	_, err = c.Get(target)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("rebinding target: err %v, want ErrForbidden", err)
	}
	if hits != 0 {
		t.Fatal("the loopback server was called")
	}
	// The same target with the host allowed by address goes through.
	p = Policy{AllowHosts: []string{"127.0.0.0/8"}}
	c, _ = p.Client(0)
	c.Transport.(*http.Transport).DialContext = wrapResolve(c.Transport.(*http.Transport).DialContext, "rebind.test", "127.0.0.1")
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits != 1 {
		t.Fatalf("hits %d", hits)
	}
}

// wrapResolve makes dial resolve name to ip, as a hostile DNS server would.
func wrapResolve(dial func(context.Context, string, string) (net.Conn, error), name, ip string) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h, port, _ := net.SplitHostPort(addr)
		if h == name {
			addr = net.JoinHostPort(ip, port)
		}
		return dial(ctx, network, addr)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var second bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			second = true
			return
		}
		http.Redirect(w, r, "/next", http.StatusFound)
	}))
	defer srv.Close()
	c, _ := Policy{AllowPrivate: true}.Client(0)
	resp, err := c.Get(srv.URL + "/first")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || second {
		t.Fatalf("status %d, followed %v", resp.StatusCode, second)
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"https://user:pw@example.com/hook?token=s3cret#frag": "https://...@example.com/hook?...",
		"http://example.com/plain":                           "http://example.com/plain",
		"http://example.com/?":                               "http://example.com/?...",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	uerr := &url.Error{Op: "Post", URL: "https://u:pw@example.com/h?token=s3cret", Err: errors.New("connection refused")}
	err := RedactError(fmt.Errorf("webhook: %w", uerr))
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw") {
		t.Fatalf("secret in %q", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatal("RedactError hides the wrapped error")
	}
	if got := RedactText(`dial "http://a/b?k=v", then http://c/d?x=1.`); got != `dial "http://a/b?...", then http://c/d?....` {
		t.Fatalf("RedactText: %q", got)
	}
}
