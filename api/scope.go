package api

import "smsgw"

// Scope is smsgw.Scope: what a caller may do.
type Scope = smsgw.Scope

// Scopes.
const (
	ScopeFull = smsgw.ScopeFull
	ScopeSend = smsgw.ScopeSend
	ScopeRead = smsgw.ScopeRead
)

// Need is smsgw.Need: what a route requires of its caller.
type Need = smsgw.Need

// Needs of the routes.
const (
	NeedNone = smsgw.NeedNone
	NeedRead = smsgw.NeedRead
	NeedSend = smsgw.NeedSend
	NeedFull = smsgw.NeedFull
)
