package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"smsgw"
)

// Token scopes. A token without a scope may do everything.
const (
	ScopeAll  = "all"
	ScopeSend = "send"
	ScopeRead = "read"
)

// ServerConfig is the [server] table: the HTTP API listener.
type ServerConfig struct {
	// Listen is a TCP address ("127.0.0.1:8787") or "unix:/path".
	Listen string `toml:"listen"`
	// Tokens are the API bearer tokens; none means no auth, which only a
	// loopback or unix listener allows.
	Tokens  []Token `toml:"tokens"`
	TLSCert string  `toml:"tls_cert"`
	TLSKey  string  `toml:"tls_key"`
	// DefaultCountry is an ISO code ("DE") or a calling code ("49") used to
	// read national numbers; empty means numbers must be international.
	DefaultCountry string `toml:"default_country"`
	// MaxParts caps the parts a single message may take (0 = 10).
	MaxParts int `toml:"max_parts"`
	// ShutdownTimeout bounds the HTTP side of a graceful stop (requests
	// in flight, slow clients); sends on the wire have their own budget,
	// [retry] drain_timeout, and do not wait for it.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// Token is one API token and what it may do. In TOML it is either a plain
// string (all scopes; "send:SECRET" or "read:SECRET" limit it) or a table
// {token = "...", scope = "send"}.
type Token struct {
	Value Secret
	Scope string // ScopeAll, ScopeSend or ScopeRead
}

// UnmarshalTOML implements toml.Unmarshaler.
func (t *Token) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*t = Token{Value: Secret(v), Scope: ScopeAll}
		// "send:SECRET" and "read:SECRET" are the short form of a scoped
		// token, the same form the api package parses.
		for _, sc := range []string{ScopeSend, ScopeRead} {
			if rest, ok := strings.CutPrefix(v, sc+":"); ok {
				*t = Token{Value: Secret(rest), Scope: sc}
			}
		}
		return nil
	case map[string]any:
		*t = Token{Scope: ScopeAll}
		for k, x := range v {
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("token key %q: want a string", k)
			}
			switch k {
			case "token":
				t.Value = Secret(s)
			case "scope":
				t.Scope = s
			default:
				return fmt.Errorf("unknown key %q in token table (want token, scope)", k)
			}
		}
		return nil
	default:
		return fmt.Errorf("a token is a string or a table {token, scope}, not %T", v)
	}
}

func (s *ServerConfig) applyDefaults() {
	if s.Listen == "" {
		s.Listen = "127.0.0.1:8787"
	}
	if s.MaxParts == 0 {
		s.MaxParts = 10
	}
	defaultDuration(&s.ShutdownTimeout, 10*time.Second)
}

func (s ServerConfig) validate(bad badFunc) {
	if err := validateListen(s.Listen); err != nil {
		bad("server.listen", "%v", err)
	} else if len(s.Tokens) == 0 && !IsLocalListen(s.Listen) {
		bad("server.listen", "%q is reachable from other hosts: set server.tokens, or listen on 127.0.0.1 or unix:/path", s.Listen)
	}
	for i, t := range s.Tokens {
		if t.Value == "" {
			bad(fmt.Sprintf("server.tokens[%d]", i), "empty token")
		}
		switch t.Scope {
		case ScopeAll, ScopeSend, ScopeRead:
		default:
			bad(fmt.Sprintf("server.tokens[%d].scope", i), "%q: want all, send or read", t.Scope)
		}
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		bad("server.tls_cert", "tls_cert and tls_key go together")
	}
	if _, err := smsgw.CallingCode(s.DefaultCountry); err != nil {
		bad("server.default_country", "%v", err)
	}
	if s.MaxParts < 1 || s.MaxParts > 255 {
		bad("server.max_parts", "%d: want 1..255", s.MaxParts)
	}
	nonNegative(bad, "server.shutdown_timeout", s.ShutdownTimeout)
}

// IsLocalListen reports whether a listen address is reachable only from
// this host (loopback or a unix socket).
func IsLocalListen(listen string) bool {
	if strings.HasPrefix(listen, "unix:") {
		return true
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validateListen(listen string) error {
	if p, ok := strings.CutPrefix(listen, "unix:"); ok {
		if p == "" {
			return errors.New(`"unix:" needs a path, e.g. unix:/run/smsgw/api.sock`)
		}
		return nil
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("%q: want host:port or unix:/path", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: bad port", listen)
	}
	return nil
}
