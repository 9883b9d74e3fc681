package httpd

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"smsgw/api"
)

// Browser-origin safety. A tokenless daemon on loopback is reachable from
// every web page the local user opens: a page can make the browser send
// requests to 127.0.0.1 (an <img> tag, a form), and a DNS-rebinding page
// can even read the answers, since to the browser they come from the
// page's own name. The guard below refuses what a browser sends on a
// page's behalf and nothing a script, curl or the CLI sends.

// Error codes of the browser-origin guard.
const (
	CodeBadHost   = "bad_host"
	CodeCrossSite = "cross_site"
)

// Kannel GET policies (Options.KannelGet).
const (
	// KannelGetLocal allows GET /cgi-bin/sendsms without a token only when
	// the request shows no sign of coming from a web page: a loopback Host,
	// no Origin or Referer, Sec-Fetch-Site absent or "none", and, when
	// Sec-Fetch-Site is absent, a User-Agent that is not a browser's. The
	// default.
	KannelGetLocal = "local"
	// KannelGetNever refuses GET /cgi-bin/sendsms without a token; POST
	// still works (it is subject to the cross-site check).
	KannelGetNever = "never"
)

// guard holds the browser-origin rules of one server.
type guard struct {
	allowedHosts []string
	kannelGet    string
	tokenless    bool
}

// hostAllowed reports whether the Host header names this daemon: a loopback
// name or address, the address the connection came in on, or one of
// Options.AllowedHosts. Only checked without tokens: with tokens a
// rebinding page has nothing to read.
func (h *guard) hostAllowed(r *http.Request) bool {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if _, unix := local.(*net.UnixAddr); unix {
		return true // browsers cannot open unix sockets
	}
	if r.Host == "" {
		return true // HTTP/1.0 without Host: no browser sends that
	}
	host := hostOnly(r.Host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true // RFC 6761: browsers resolve these to loopback themselves
	}
	if host == "127.0.0.1" || host == "::1" {
		return true // what local clients send, known without parsing
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsLoopback() {
			return true
		}
		if ta, ok := local.(*net.TCPAddr); ok && ta.IP.Equal(ip) {
			return true
		}
	}
	for _, a := range h.allowedHosts {
		if _, _, err := net.SplitHostPort(a); err == nil {
			if strings.EqualFold(a, r.Host) {
				return true // an entry with a port matches that port only
			}
		} else if hostOnly(a) == host {
			return true
		}
	}
	return false
}

// hostOnly lower-cases a Host value and drops its port and brackets.
func hostOnly(hostport string) string {
	h := hostport
	// Without a colon SplitHostPort can only fail, at the cost of an error.
	if strings.IndexByte(hostport, ':') >= 0 {
		if sh, port, err := net.SplitHostPort(hostport); err == nil {
			if strings.Trim(port, "0123456789") != "" {
				return "" // "localhost:80@evil.example" names no host of ours
			}
			h = sh
		}
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// crossSite reports why a state-changing request looks sent by another
// site's page, or "". Sec-Fetch-Site "same-site" counts as foreign: another
// port on localhost (any local development server) is the same site.
//
// A browser that sends Sec-Fetch-Site is believed: it knows the origin of
// the page even when a proxy in front rewrote Host. Only without it is
// Origin compared with Host.
func crossSite(r *http.Request) string {
	switch sfs := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); sfs {
	case "none", "same-origin":
		return ""
	case "":
	default:
		return "Sec-Fetch-Site: " + oneLine(api.Clip(sfs, 40))
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		return "Origin " + oneLine(api.Clip(o, 100))
	}
	return ""
}

// sameOrigin: the origin's host and port are the request's Host. "null"
// (a sandboxed frame, a file: page) is never the same origin.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	oh := strings.ToLower(u.Host)
	rh := strings.ToLower(host)
	if oh == rh {
		return true
	}
	// An explicit default port on one side only.
	def := map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
	return strings.TrimSuffix(oh, def) == strings.TrimSuffix(rh, def)
}

// browserGet reports why a tokenless GET /cgi-bin/sendsms looks sent by a
// web page rather than typed or scripted, or "".
func browserGet(r *http.Request) string {
	if ref := r.Header.Get("Referer"); ref != "" {
		if u, err := url.Parse(ref); err != nil || !strings.EqualFold(u.Host, r.Host) {
			return "a Referer from another site"
		}
	}
	sfs := strings.ToLower(r.Header.Get("Sec-Fetch-Site"))
	if sfs == "" && strings.HasPrefix(r.Header.Get("User-Agent"), "Mozilla/") {
		// A browser too old to send Sec-Fetch-Site: the request may come
		// from any page's <img> tag.
		return "a browser that does not say which site sent the request"
	}
	return ""
}

// guardOrigin applies the browser-origin rules to one request and returns
// the refusal, or nil. stateChanging marks routes that change state
// (every method but GET and HEAD, and Kannel's GET sendsms).
func (h *guard) check(r *http.Request, stateChanging, kannelGet bool) *api.Error {
	tokenless := h.tokenless
	if tokenless && !h.hostAllowed(r) {
		return api.Errorf(http.StatusForbidden, CodeBadHost, "Host",
			"Host %q is not this daemon's address; without API tokens only localhost, loopback addresses and [security] allowed_hosts are answered", api.Clip(r.Host, 100))
	}
	if !stateChanging {
		return nil
	}
	if why := crossSite(r); why != "" {
		return api.Errorf(http.StatusForbidden, CodeCrossSite, "",
			"refusing a request sent by another site's web page (%s)", why)
	}
	// Without tokens, Kannel's username and password parameters prove
	// nothing: any page can add them to its <img> URL.
	if kannelGet && tokenless {
		if h.kannelGet == KannelGetNever {
			return api.Errorf(http.StatusForbidden, CodeCrossSite, "",
				"GET /cgi-bin/sendsms without a token is off ([security] kannel_get = \"never\"); use POST or configure a token")
		}
		if why := browserGet(r); why != "" {
			return api.Errorf(http.StatusForbidden, CodeCrossSite, "",
				"refusing GET /cgi-bin/sendsms without a token from %s; use POST, a token, or a non-browser client", why)
		}
	}
	return nil
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
