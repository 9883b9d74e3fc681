// Package callback guards the URLs the daemon calls on behalf of API
// clients (Kannel dlr-url, webhooks): they may not reach loopback,
// link-local or private addresses unless the operator allows the host, the
// check is made on the address actually dialled (a name that resolves to a
// public address when registered and to 127.0.0.1 when called is still
// refused), and redirects are never followed. It also strips secrets (URL
// user info and query strings) from URLs and errors before they are logged
// or stored.
package callback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ErrForbidden is wrapped by every refusal of a callback target.
var ErrForbidden = errors.New("callback target not allowed")

// Policy says which callback targets are allowed. The zero value allows
// only public addresses.
type Policy struct {
	// AllowHosts are host names (exact, case-insensitive), IP addresses or
	// CIDR prefixes ("10.0.0.0/8") that may be called although they are
	// loopback, link-local or private.
	AllowHosts []string
	// AllowPrivate lifts the address check altogether.
	AllowPrivate bool
}

// guard is a compiled Policy.
type guard struct {
	names    map[string]bool
	prefixes []netip.Prefix
	all      bool
}

func (p Policy) compile() (*guard, error) {
	g := &guard{names: map[string]bool{}, all: p.AllowPrivate}
	for _, h := range p.AllowHosts {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, errors.New("empty entry in allow_hosts")
		}
		if pf, err := netip.ParsePrefix(h); err == nil {
			g.prefixes = append(g.prefixes, pf.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			g.prefixes = append(g.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if strings.ContainsAny(h, "/:@ ") {
			return nil, fmt.Errorf("allow_hosts entry %q: want a host name, an IP address or a CIDR prefix", h)
		}
		g.names[strings.ToLower(strings.TrimSuffix(h, "."))] = true
	}
	return g, nil
}

// Validate reports a malformed AllowHosts entry.
func (p Policy) Validate() error {
	_, err := p.compile()
	return err
}

// restricted reports whether a is an address callbacks may not reach by
// default: loopback, private (RFC 1918, fc00::/7), link-local, carrier-grade
// NAT, unspecified, "this network" and multicast.
func restricted(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network": 0.0.0.1 reaches the local host on Linux
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT, the provider's own network
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64: carries any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2002::/16"),      // 6to4: carries any IPv4 address
}

func (g *guard) addrAllowed(a netip.Addr) bool {
	if g.all || !restricted(a) {
		return true
	}
	a = a.Unmap()
	for _, p := range g.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (g *guard) nameAllowed(host string) bool {
	return g.all || g.names[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// Check validates a callback URL as given by a client: an http or https
// URL with a host, and, when the host is an address or a name that can
// only mean this machine ("localhost"), one the policy allows. Names are
// resolved only when called: the dialler checks every address then.
func (p Policy) Check(raw string) error {
	g, err := p.compile()
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: want an http:// or https:// URL with a host", Redact(raw))
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%s: the URL has no host", Redact(raw))
	}
	if g.nameAllowed(host) {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !g.addrAllowed(a) {
			return fmt.Errorf("%s: %w: %s is a loopback, private or link-local address (allow it in [callbacks] allow_hosts)", Redact(raw), ErrForbidden, a)
		}
		return nil
	}
	if isLocalName(host) {
		return fmt.Errorf("%s: %w: %s names this machine (allow it in [callbacks] allow_hosts)", Redact(raw), ErrForbidden, host)
	}
	return nil
}

// isLocalName: names that resolve to this machine or its network whatever
// DNS says.
func isLocalName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "localhost.localdomain" ||
		h == "ip6-localhost" || h == "ip6-loopback"
}

// Client returns an HTTP client for callbacks under p: every address it
// connects to is checked after resolution (host names in AllowHosts are
// exempt), environment proxies are not used (a proxy would hide the
// target), and redirects are not followed: the 3xx answer is returned as
// is. Timeout bounds each request (default 10 s).
func (p Policy) Client(timeout time.Duration) (*http.Client, error) {
	g, err := p.compile()
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	guarded := &net.Dialer{Timeout: d.Timeout, KeepAlive: d.KeepAlive, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot read dialled address %q", ErrForbidden, address)
		}
		if !g.addrAllowed(ap.Addr()) {
			return fmt.Errorf("%w: %s is a loopback, private or link-local address (allow it in [callbacks] allow_hosts)", ErrForbidden, ap.Addr())
		}
		return nil
	}}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err == nil && g.nameAllowed(host) {
				return d.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// Redact returns raw without user info and with the query and fragment
// replaced by "...", so that a URL can be logged or stored. Anything that
// does not parse is replaced whole.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("...")
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "...", false
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "", ""
	}
	u.Opaque = ""
	return u.String()
}

// urlRE finds URLs inside free text (error messages).
var urlRE = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>]+`)

// RedactText redacts every URL found in s.
func RedactText(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlRE.ReplaceAllStringFunc(s, func(m string) string {
		// A URL quoted by %q ends before the quote; trailing punctuation
		// is kept out of the URL.
		trail := ""
		for len(m) > 0 && strings.ContainsRune(".,;:)]}", rune(m[len(m)-1])) {
			trail = m[len(m)-1:] + trail
			m = m[:len(m)-1]
		}
		return Redact(m) + trail
	})
}

// RedactError returns err with every URL in its message redacted; the
// result still unwraps to err, so errors.Is and errors.As keep working.
// A nil err stays nil.
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := RedactText(msg)
	if red == msg {
		return err
	}
	return &redacted{msg: red, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
