package consent

import (
	"fmt"
	"strings"
	"time"

	"smsgw"
)

// Why a recipient is refused; the queue stores these as the message's
// reason.
const (
	ReasonOptedOut   = "opted_out"
	ReasonDenied     = "denied"
	ReasonNotAllowed = "not_allowed"
)

// Scope says which messages an opt-out stops.
type Scope string

// Scopes.
const (
	// ScopeMarketing stops marketing only; transactional messages (codes,
	// alerts) still go. The default.
	ScopeMarketing Scope = "marketing"
	// ScopeAll stops every message but the answers to what the person
	// sends (the opt-out confirmation itself, a HELP text).
	ScopeAll Scope = "all"
)

// Options configure consent.
type Options struct {
	// Enabled turns the keyword handling of received messages on. The
	// policy (opt-outs on record, deny and allow lists) applies either way.
	Enabled bool
	Scope   Scope
	// Keywords are matched against every received message (English plus
	// the configured languages by default).
	Keywords Keywords
	// Program and Contact fill {program} and {contact} in the texts.
	Program string
	Contact string
	// The texts sent back: after an opt-out, after an opt-in, for HELP,
	// and to ask a number to confirm a double opt-in.
	OptOutReply string
	OptInReply  string
	HelpReply   string
	ConfirmAsk  string
	// DisclosureVersion names the wording of the texts above; it is kept
	// in each ledger record that showed one.
	DisclosureVersion string
	// DoubleOptInWindow is how long a confirmation request waits for its
	// YES. Default 24h.
	DoubleOptInWindow time.Duration
	// Deny lists numbers never sent to; Allow, when not empty, the only
	// numbers sent to. Entries are E.164 numbers, or prefixes ending in
	// "*" ("+4930*").
	Deny  []string
	Allow []string
	// CallingCode is the default country's calling code ("49"), for
	// senders the network gives in national form.
	CallingCode string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Default texts.
const (
	DefaultOptOutReply = "{program}: you are unsubscribed and will receive no further messages. Reply START to subscribe again."
	DefaultOptInReply  = "{program}: you are subscribed again. Reply STOP to unsubscribe, HELP for help."
	DefaultHelpReply   = "{program}: reply STOP to unsubscribe. Help: {contact}. Message and data rates may apply."
	DefaultConfirmAsk  = "{program}: reply YES to confirm you want to receive our messages. Reply STOP to opt out. Message and data rates may apply."
)

// DefaultOptions are consent as an empty configuration has it.
func DefaultOptions() Options {
	return Options{
		Enabled: true, Scope: ScopeMarketing, Keywords: English, Program: "smsgw",
		OptOutReply: DefaultOptOutReply, OptInReply: DefaultOptInReply, HelpReply: DefaultHelpReply,
		ConfirmAsk: DefaultConfirmAsk, DoubleOptInWindow: 24 * time.Hour,
	}
}

// Text fills {program} and {contact} in t.
func (o Options) Text(t string) string {
	return strings.NewReplacer("{program}", o.Program, "{contact}", o.Contact).Replace(t)
}

// Policy decides, for the queue, whether a recipient may receive a
// message; it implements queue.Consent.
type Policy struct {
	scope Scope
	deny  numberSet
	allow numberSet
}

// NewPolicy builds the policy of o, refusing malformed list entries.
func NewPolicy(o Options) (*Policy, error) {
	p := &Policy{scope: o.Scope}
	if p.scope == "" {
		p.scope = ScopeMarketing
	}
	if p.scope != ScopeMarketing && p.scope != ScopeAll {
		return nil, fmt.Errorf("consent: scope %q: want %q or %q", o.Scope, ScopeMarketing, ScopeAll)
	}
	var err error
	if p.deny, err = newNumberSet("deny", o.Deny); err != nil {
		return nil, err
	}
	if p.allow, err = newNumberSet("allow", o.Allow); err != nil {
		return nil, err
	}
	return p, nil
}

// Refuse returns why a message of category c must not go to the number
// to, or "". The deny and allow lists hold for everything; an opt-out
// holds for marketing, or for all but the answers to what the person
// sends with ScopeAll.
func (p *Policy) Refuse(to string, c smsgw.Category, autoReply, optedOut bool) string {
	if p.deny.has(to) {
		return ReasonDenied
	}
	if !p.allow.empty() && !p.allow.has(to) {
		return ReasonNotAllowed
	}
	if optedOut && !autoReply && (c == smsgw.CategoryMarketing || p.scope == ScopeAll) {
		return ReasonOptedOut
	}
	return ""
}

// numberSet is a list of numbers and prefixes.
type numberSet struct {
	exact    map[string]bool
	prefixes []string
}

func newNumberSet(name string, entries []string) (numberSet, error) {
	s := numberSet{exact: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if p, ok := strings.CutSuffix(e, "*"); ok {
			n, err := smsgw.NormalizeDigits(p)
			if err != nil {
				return s, fmt.Errorf("consent: %s entry %q: %v", name, e, err)
			}
			s.prefixes = append(s.prefixes, n)
			continue
		}
		n, err := smsgw.NormalizeE164(e, "")
		if err != nil {
			return s, fmt.Errorf("consent: %s entry %q: %v", name, e, err)
		}
		s.exact[n] = true
	}
	return s, nil
}

func (s numberSet) empty() bool { return len(s.exact) == 0 && len(s.prefixes) == 0 }

func (s numberSet) has(n string) bool {
	if s.exact[n] {
		return true
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}
