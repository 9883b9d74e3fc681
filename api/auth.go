package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// Scope limits what a token may do.
type Scope string

// Token scopes.
const (
	ScopeFull Scope = "all"  // everything; the empty scope means the same
	ScopeSend Scope = "send" // submit messages only
	ScopeRead Scope = "read" // read-only routes
)

// Token is one API credential. Its Secret is never logged; String hides it.
type Token struct {
	Secret string
	Scope  Scope
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
	for _, sc := range []Scope{ScopeSend, ScopeRead} {
		if rest, ok := strings.CutPrefix(s, string(sc)+":"); ok {
			if rest == "" {
				return Token{}, fmt.Errorf("empty API token after %q", string(sc)+":")
			}
			return Token{Secret: rest, Scope: sc}, nil
		}
	}
	return Token{Secret: s, Scope: ScopeFull}, nil
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

// Need is what a route requires of the caller: the scope its token must
// have.
type Need int

const (
	NeedNone Need = iota // open: health endpoints, OpenAPI document
	NeedRead             // reading state
	NeedSend             // submitting messages
	NeedFull             // changing state other than sending (cancel, delete, webhooks, USSD)
)

type authKey struct{}

// authenticator holds hashed secrets so the comparison runs in constant time
// over equal-length inputs whatever the candidate's length.
type authenticator struct {
	tokens []hashedToken
}

type hashedToken struct {
	sum   [32]byte
	scope Scope
}

func newAuthenticator(tokens []Token) *authenticator {
	a := &authenticator{}
	for _, t := range tokens {
		a.tokens = append(a.tokens, hashedToken{sha256.Sum256([]byte(t.Secret)), t.Scope})
	}
	return a
}

func (a *authenticator) enabled() bool { return len(a.tokens) > 0 }

// lookup returns the scope of secret. Every token is compared, so the time
// taken does not tell which one matched.
func (a *authenticator) lookup(secret string) (Scope, bool) {
	if secret == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(secret))
	found := 0
	var scope Scope
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 {
			found = 1
			scope = t.scope
		}
	}
	return scope, found == 1
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

func (s Scope) allows(n Need) bool {
	switch n {
	case NeedNone:
		return true
	case NeedRead:
		return s == ScopeFull || s == "" || s == ScopeRead
	case NeedSend:
		return s == ScopeFull || s == "" || s == ScopeSend
	default:
		return s == ScopeFull || s == ""
	}
}

// authorize checks a request against the route's need and returns the
// caller's scope (full when no tokens are configured, empty on an open
// route) or the error to answer with.
func (a *authenticator) authorize(r *http.Request, n Need, kannel bool) (Scope, *Error) {
	if !a.enabled() {
		return ScopeFull, nil
	}
	if n == NeedNone {
		return "", nil
	}
	creds := credentials(r, kannel)
	if len(creds) == 0 {
		return "", errorf(http.StatusUnauthorized, CodeUnauthorized, "", "missing credentials: send Authorization: Bearer <token>")
	}
	for _, c := range creds {
		if scope, ok := a.lookup(c); ok {
			if !scope.allows(n) {
				return "", errorf(http.StatusForbidden, CodeForbidden, "", "this token's scope (%s) does not allow this request", scopeName(scope))
			}
			if scope == "" {
				scope = ScopeFull
			}
			return scope, nil
		}
	}
	return "", errorf(http.StatusUnauthorized, CodeUnauthorized, "", "invalid token")
}

func scopeName(s Scope) string {
	if s == ScopeFull || s == "" {
		return "full"
	}
	return string(s) + "-only"
}
