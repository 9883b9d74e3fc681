package httpd

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"smsgw"
	"smsgw/api"
)

// Token is one API credential. Its Secret is never logged; String hides it.
type Token struct {
	Secret string
	Scope  smsgw.Scope
}

// String describes the token without its secret, so a token printed by
// mistake does not leak.
func (t Token) String() string { return fmt.Sprintf("token(scope=%q)", string(t.Scope)) }

// ParseToken reads a token as written in the config: "SECRET" is a full
// token, "send:SECRET" and "read:SECRET" are limited to that scope.
func ParseToken(s string) (Token, error) {
	if s == "" {
		return Token{}, fmt.Errorf("empty API token")
	}
	for _, sc := range []smsgw.Scope{smsgw.ScopeSend, smsgw.ScopeRead} {
		if rest, ok := strings.CutPrefix(s, string(sc)+":"); ok {
			if rest == "" {
				return Token{}, fmt.Errorf("empty API token after %q", string(sc)+":")
			}
			return Token{Secret: rest, Scope: sc}, nil
		}
	}
	return Token{Secret: s, Scope: smsgw.ScopeFull}, nil
}

// ParseTokens parses every entry of the config's tokens list.
func ParseTokens(list []string) ([]Token, error) {
	out := make([]Token, 0, len(list))
	for i, s := range list {
		t, err := ParseToken(s)
		if err != nil {
			return nil, fmt.Errorf("tokens[%d]: %w", i, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// Authenticator is a way besides bearer tokens to know who sends a request:
// the dashboard's session cookie. A package that has one (web) implements
// it without importing this one.
type Authenticator interface {
	// Authenticate returns the caller's name and scope when the request
	// carries this authenticator's credentials and they are valid; ok is
	// false otherwise (then the request is answered as if it carried
	// none).
	Authenticate(r *http.Request) (name string, scope smsgw.Scope, ok bool)
	// CheckCSRF reports whether a state-changing request that Authenticate
	// accepted proves it was sent by the authenticator's own pages (a
	// token tied to the session, in a header or form field). A browser
	// sends the cookie with any site's request; without this check another
	// site's form could act in the user's name.
	CheckCSRF(r *http.Request) bool
}

// CodeCSRF: a state-changing request authenticated by a session cookie
// lacks the proof that it came from the gateway's own pages.
const CodeCSRF = "csrf_failed"

// authenticator holds hashed secrets so the comparison runs in constant time
// over equal-length inputs whatever the candidate's length.
type authenticator struct {
	tokens []hashedToken
	extra  []Authenticator
}

type hashedToken struct {
	sum   [32]byte
	scope smsgw.Scope
	name  string // see smsgw.Caller.Token
}

func newAuthenticator(tokens []Token, extra []Authenticator) *authenticator {
	a := &authenticator{extra: extra}
	for _, t := range tokens {
		sum := sha256.Sum256([]byte(t.Secret))
		a.tokens = append(a.tokens, hashedToken{sum, t.Scope, strings.TrimSuffix(scopeName(t.Scope), "-only") + ":" + hex.EncodeToString(sum[:4])})
	}
	return a
}

// enabled: tokens are configured, so requests must authenticate. Without
// tokens the daemon answers on loopback only (Listen refuses anything
// else) and every caller has full scope.
func (a *authenticator) enabled() bool { return len(a.tokens) > 0 }

// lookup returns the scope of secret. Every token is compared, so the time
// taken does not tell which one matched.
func (a *authenticator) lookup(secret string) (smsgw.Scope, bool) {
	t, ok := a.token(secret)
	return t.scope, ok
}

// token returns the configured token whose secret this is.
func (a *authenticator) token(secret string) (hashedToken, bool) {
	if secret == "" {
		return hashedToken{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	found := 0
	var match hashedToken
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 {
			found = 1
			match = t
		}
	}
	return match, found == 1
}

// credentials collects every secret a request offers: a bearer token, a
// Basic password (or a Basic user with no password), and for Kannel the
// password/pass or username/user parameters and X-Kannel headers.
func credentials(r *http.Request, kannel bool) []string {
	var out []string
	// The scheme name is case-insensitive (RFC 9110 11.1).
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		out = append(out, strings.TrimSpace(h[7:]))
	}
	if u, p, ok := r.BasicAuth(); ok {
		if p != "" {
			out = append(out, p)
		} else {
			out = append(out, u)
		}
	}
	if kannel {
		q := r.URL.Query()
		for _, k := range []string{"password", "pass", "username", "user"} {
			if v := q.Get(k); v != "" {
				out = append(out, v)
			}
		}
		if r.PostForm != nil {
			for _, k := range []string{"password", "pass", "username", "user"} {
				if v := r.PostForm.Get(k); v != "" {
					out = append(out, v)
				}
			}
		}
		for _, k := range []string{"X-Kannel-Password", "X-Kannel-Username"} {
			if v := r.Header.Get(k); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// authorize checks a request against the route's need and returns the
// caller (full scope when no tokens are configured and no authenticator
// knows the request; none on an open route nobody authenticated for) or
// the error to answer with. Tokens are tried first, then the extra
// authenticators; a caller an authenticator accepted must pass its CSRF
// check on a state-changing request.
func (a *authenticator) authorize(r *http.Request, n smsgw.Need, kannel, stateChanging bool) (smsgw.Caller, bool, *api.Error) {
	creds := credentials(r, kannel)
	if a.enabled() {
		for _, c := range creds {
			if t, ok := a.token(c); ok {
				scope := t.scope
				if scope == "" {
					scope = smsgw.ScopeFull
				}
				return a.allow(smsgw.Caller{Name: "token", Scope: scope, Token: t.name}, n)
			}
		}
	}
	for _, x := range a.extra {
		name, scope, ok := x.Authenticate(r)
		if !ok {
			continue
		}
		if scope == "" {
			scope = smsgw.ScopeFull
		}
		if stateChanging && !x.CheckCSRF(r) {
			if n == smsgw.NeedNone {
				// An open route (a login form) is answered as to
				// anyone, in nobody's name.
				return smsgw.Caller{}, false, nil
			}
			return smsgw.Caller{}, false, api.Errorf(http.StatusForbidden, CodeCSRF, "",
				"the request lacks the dashboard's CSRF token; reload the page and try again")
		}
		return a.allow(smsgw.Caller{Name: name, Scope: scope}, n)
	}
	if !a.enabled() {
		return smsgw.Caller{Name: "local", Scope: smsgw.ScopeFull}, true, nil
	}
	if n == smsgw.NeedNone {
		return smsgw.Caller{}, false, nil
	}
	if len(creds) == 0 {
		return smsgw.Caller{}, false, api.Errorf(http.StatusUnauthorized, api.CodeUnauthorized, "", "missing credentials: send Authorization: Bearer <token>")
	}
	return smsgw.Caller{}, false, api.Errorf(http.StatusUnauthorized, api.CodeUnauthorized, "", "invalid token")
}

// allow holds a known caller to the route's need.
func (a *authenticator) allow(c smsgw.Caller, n smsgw.Need) (smsgw.Caller, bool, *api.Error) {
	if !c.Scope.Allows(n) {
		return smsgw.Caller{}, false, api.Errorf(http.StatusForbidden, api.CodeForbidden, "", "this %s's scope (%s) does not allow this request", callerKind(c), scopeName(c.Scope))
	}
	return c, true, nil
}

func callerKind(c smsgw.Caller) string {
	if c.Name == "token" {
		return "token"
	}
	return "user"
}

func scopeName(s smsgw.Scope) string {
	if s == smsgw.ScopeFull || s == "" {
		return "full"
	}
	return string(s) + "-only"
}
