package consent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"smsgw"
)

// Service applies consent: it reads keywords in received messages, records
// API calls, and starts double opt-ins, over a Store.
type Service struct {
	opts    Options
	store   Store
	matcher *Matcher
	policy  *Policy
}

// New checks the options (filling defaults) and builds the service.
func New(o Options, st Store) (*Service, error) {
	if st == nil {
		return nil, errors.New("consent: a store is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DoubleOptInWindow <= 0 {
		o.DoubleOptInWindow = 24 * time.Hour
	}
	m, err := NewMatcher(o.Keywords)
	if err != nil {
		return nil, err
	}
	p, err := NewPolicy(o)
	if err != nil {
		return nil, err
	}
	return &Service{opts: o, store: st, matcher: m, policy: p}, nil
}

// Options returns the service's options, defaults filled.
func (s *Service) Options() Options { return s.opts }

// Policy returns the policy the queue should apply.
func (s *Service) Policy() *Policy { return s.policy }

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

// Received is a received message as consent sees it.
type Received struct {
	InboxID int64
	Modem   string
	From    string
	Text    string
}

// Outcome is what a received message meant to consent.
type Outcome struct {
	// Keyword: the message was a consent keyword; nothing else should
	// answer it.
	Keyword bool
	// Reply is the text to send back through the receiving modem ("" for
	// none: a repeated STOP gets no second confirmation).
	Reply   string
	Applied Applied
}

// Inbound reads a received message. A keyword is recorded in the ledger
// (the opt-out with the cancellation of the number's queued messages in
// the same commit) and answered: once for an opt-out or opt-in, every
// time for HELP. YES means something only while a double opt-in waits for
// it.
func (s *Service) Inbound(ctx context.Context, in Received) (Outcome, error) {
	if !s.opts.Enabled || in.From == "" {
		return Outcome{}, nil
	}
	match := s.matcher.Match(in.Text)
	if match == NoMatch {
		return Outcome{}, nil
	}
	number, err := smsgw.NormalizeE164(in.From, s.opts.CallingCode)
	if err != nil {
		// A number the rules cannot place is still recorded as the
		// network gave it; an alphanumeric sender cannot opt in or out.
		if number, err = smsgw.NormalizeDigits(in.From); err != nil {
			return Outcome{}, nil
		}
	}
	rec := Record{Number: number, At: s.opts.Now(), Source: SourceSMS, InboxID: in.InboxID, Modem: in.Modem,
		DisclosureVersion: s.opts.DisclosureVersion}
	var reply string
	switch match {
	case MatchOptOut:
		rec.Action, reply = ActionOptOut, s.opts.Text(s.opts.OptOutReply)
	case MatchOptIn:
		rec.Action, reply = ActionOptIn, s.opts.Text(s.opts.OptInReply)
	case MatchHelp:
		rec.Action, reply = ActionHelp, s.opts.Text(s.opts.HelpReply)
	case MatchConfirm:
		p, err := s.store.Pending(ctx, number)
		if errors.Is(err, smsgw.ErrNotFound) || err == nil && !s.opts.Now().Before(p.ExpiresAt) {
			return Outcome{}, nil // a plain "yes", for the rules to see
		}
		if err != nil {
			return Outcome{}, fmt.Errorf("consent: pending opt-in of %s: %w", number, err)
		}
		rec.Action, rec.Source, reply = ActionOptIn, SourceDoubleOptIn, s.opts.Text(s.opts.OptInReply)
		rec.Token, rec.Disclosure, rec.DisclosureVersion = p.Token, p.Disclosure, p.DisclosureVersion
		rec.Evidence = maps.Clone(p.Evidence)
		if rec.Evidence == nil {
			rec.Evidence = map[string]string{}
		}
		rec.Evidence["requested_at"] = p.RequestedAt.UTC().Format(time.RFC3339)
		rec.Evidence["requested_by"] = p.Source
	}
	if rec.Disclosure == "" {
		rec.Disclosure = reply // what the person was shown in answer
	}
	a, err := s.store.Apply(ctx, rec)
	if err != nil {
		return Outcome{}, fmt.Errorf("consent: %s from %s: %w", rec.Action, in.Modem, err)
	}
	out := Outcome{Keyword: true, Applied: a}
	if a.Changed {
		out.Reply = reply
	}
	return out, nil
}

// Record applies a consent change made through the API or an import:
// number (any form NormalizeE164 accepts with the country code cc) and
// Action must be set; At defaults to now.
func (s *Service) Record(ctx context.Context, r Record, cc string) (Applied, error) {
	n, err := smsgw.NormalizeE164(r.Number, cc)
	if err != nil {
		return Applied{}, &FieldError{Field: "number", Err: err}
	}
	r.Number = n
	if r.Action != ActionOptIn && r.Action != ActionOptOut {
		return Applied{}, &FieldError{Field: "action", Err: fmt.Errorf("want %q or %q", ActionOptIn, ActionOptOut)}
	}
	if r.Source == "" {
		r.Source = SourceAPI
	}
	if r.At.IsZero() {
		r.At = s.opts.Now()
	}
	return s.store.Apply(ctx, r)
}

// RequestOptIn stores a double opt-in request for p.Number and returns the
// text to send it; the number is opted in when it answers YES within the
// window.
func (s *Service) RequestOptIn(ctx context.Context, p Pending, cc string) (Pending, string, error) {
	n, err := smsgw.NormalizeE164(p.Number, cc)
	if err != nil {
		return Pending{}, "", &FieldError{Field: "number", Err: err}
	}
	p.Number = n
	if p.Source == "" {
		p.Source = SourceAPI
	}
	p.RequestedAt = s.opts.Now().UTC().Truncate(time.Millisecond)
	p.ExpiresAt = p.RequestedAt.Add(s.opts.DoubleOptInWindow)
	ask := s.opts.Text(s.opts.ConfirmAsk)
	if p.Disclosure == "" {
		p.Disclosure, p.DisclosureVersion = ask, s.opts.DisclosureVersion
	}
	if err := s.store.RequestOptIn(ctx, p); err != nil {
		return Pending{}, "", fmt.Errorf("consent: request opt-in of %s: %w", n, err)
	}
	return p, ask, nil
}

// FieldError is bad input to Record or RequestOptIn.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Status returns a number's standing (smsgw.ErrNotFound when none).
func (s *Service) Status(ctx context.Context, number string) (Status, error) {
	return s.store.Status(ctx, number)
}

// OptOuts lists the numbers standing opted out, by number, after after.
func (s *Service) OptOuts(ctx context.Context, after string, limit int) ([]Status, error) {
	return s.store.OptOuts(ctx, after, limit)
}

// Ledger reads ledger records in order.
func (s *Service) Ledger(ctx context.Context, f LedgerFilter) ([]Record, error) {
	return s.store.Ledger(ctx, f)
}
