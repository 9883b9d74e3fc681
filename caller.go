package smsgw

import "context"

// Scope limits what a caller may do: a token's scope, or a dashboard
// user's.
type Scope string

// Scopes. The empty scope means the same as ScopeFull.
const (
	ScopeFull Scope = "all"  // everything
	ScopeSend Scope = "send" // submit messages and read nothing else
	ScopeRead Scope = "read" // read-only routes
)

// Need is what a route requires of its caller.
type Need int

// Needs, from none to everything.
const (
	NeedNone Need = iota // open: health endpoints, the OpenAPI document, a login page
	NeedRead             // reading state
	NeedSend             // submitting messages
	NeedFull             // changing state other than sending (cancel, delete, webhooks, USSD)
)

// Allows reports whether a caller of scope s may use a route that needs n.
func (s Scope) Allows(n Need) bool {
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

// Caller is who sent a request, as the HTTP layer authenticated it.
type Caller struct {
	// Name says how the caller was known: "token" for a bearer token,
	// "local" for a daemon without tokens, or the name an authenticator
	// gave (a dashboard user).
	Name  string
	Scope Scope
	// Token names the bearer token that authenticated the caller, without
	// its secret: its scope and the first 8 hex digits of the secret's
	// SHA-256 ("full:1a2b3c4d"), so records of who acted (the consent
	// ledger) can tell tokens apart.
	Token string
}

type callerKey struct{}

// WithCaller returns ctx carrying c; the HTTP layer sets it on every
// request it lets through.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, if any (an open route's
// anonymous caller carries none).
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
