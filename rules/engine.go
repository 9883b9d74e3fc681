package rules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"smsgw"
)

// Why a step of a plan is not carried out.
const (
	SkipNoSender     = "no_sender"      // the message has no sender to answer
	SkipAlphanumeric = "alphanumeric"   // the sender is a name, not a number
	SkipShortCode    = "short_code"     // the sender is a short code
	SkipOwnAutoReply = "own_auto_reply" // the message is an auto-reply we sent
	SkipRateLimited  = "rate_limited"   // the sender had Limit auto-replies in Window
)

// Store keeps the rules made through the API and what loop protection and
// the tag action need. A driver implements it over the queue's database;
// store/storetest checks it.
type Store interface {
	// Rules lists the stored rules by Position, then id.
	Rules(ctx context.Context) ([]Rule, error)
	// Rule returns one stored rule or smsgw.ErrNotFound.
	Rule(ctx context.Context, id string) (Rule, error)
	// AddRule stores a new rule, assigning its id, Source, Created and
	// Updated; a zero Position puts it after every stored rule.
	AddRule(ctx context.Context, r Rule) (Rule, error)
	// PutRule replaces the rule with r.ID (smsgw.ErrNotFound if none),
	// keeping Created.
	PutRule(ctx context.Context, r Rule) (Rule, error)
	// DeleteRule removes one rule or returns smsgw.ErrNotFound.
	DeleteRule(ctx context.Context, id string) error
	// TagSender adds tag to number's tags (a tag already there is kept
	// once).
	TagSender(ctx context.Context, number, tag string) error
	// SenderTags lists number's tags in the order they were added.
	SenderTags(ctx context.Context, number string) ([]string, error)
	// AutoReplies counts the messages marked as auto-replies (the
	// gateway's answers on its own) queued to number at or after since.
	AutoReplies(ctx context.Context, number string, since time.Time) (int, error)
	// SentAutoReply reports whether an auto-reply with exactly this text was queued at or after since, to the number to
	// (any recipient when to is empty).
	SentAutoReply(ctx context.Context, text, to string, since time.Time) (bool, error)
	// RecordFired appends a rule.fired event for f to the event outbox,
	// once per inbox message and rule (a repeat is a no-op).
	RecordFired(ctx context.Context, f FiredEvent) error
}

// Options configure loop protection.
type Options struct {
	// Limit is how many auto-replies one sender gets per Window (default
	// 5 per 10 minutes); a negative Limit sends none.
	Limit  int
	Window time.Duration
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// Groups carries out group_add and group_remove; without it a rule
	// with a group action is refused (ErrNeedsContacts).
	Groups Groups
}

// Groups changes the contact groups of a sender, for the group actions.
// internal/daemon passes one over the contacts store; rules knows nothing
// of contacts beyond it.
type Groups interface {
	// AddToGroup puts the contact with number (created with just the
	// number when missing) into the group named group (created when
	// missing).
	AddToGroup(ctx context.Context, number, group string) error
	// RemoveFromGroup takes the contact with number out of the group
	// named group; no such contact or membership is not an error.
	RemoveFromGroup(ctx context.Context, number, group string) error
}

// Defaults of Options.
const (
	DefaultLimit  = 5
	DefaultWindow = 10 * time.Minute
)

// Step is one action of a fired rule as it will be (or would be) carried
// out: the action, with reply and forward texts rendered and the number
// they go to, or the reason it is skipped.
type Step struct {
	Action
	// Skipped says why the step is not carried out (a Skip* reason).
	Skipped string `json:"skipped,omitempty"`
}

// Fired is a rule that matched a message, with its steps.
type Fired struct {
	Rule  Rule   `json:"rule"`
	Steps []Step `json:"steps"`
}

// Plan is what the rules do with one message.
type Plan struct {
	Message Message `json:"message"`
	Fired   []Fired `json:"fired"`
}

// FiredEvent is the payload of the rule.fired outbox event (rule:fired for
// webhooks and the event stream): which rule fired on which message and
// what it did. Webhook URLs and program paths are left out (they may carry
// credentials); the action types say they ran.
type FiredEvent struct {
	RuleID   string    `json:"rule_id"`
	RuleName string    `json:"rule_name,omitempty"`
	InboxID  int64     `json:"inbox_id,omitempty"`
	From     string    `json:"from"`
	Modem    string    `json:"modem,omitempty"`
	Actions  []Step    `json:"actions"`
	At       time.Time `json:"at"`
}

// Event is the rule:fired event payload of f, with secrets left out.
func (f Fired) Event(m Message, at time.Time) FiredEvent {
	ev := FiredEvent{RuleID: f.Rule.ID, RuleName: f.Rule.Name, InboxID: m.InboxID, From: m.From, Modem: m.Modem, At: at}
	for _, s := range f.Steps {
		s.URL, s.Argv = "", nil
		ev.Actions = append(ev.Actions, s)
	}
	return ev
}

// compiled is a rule with its pattern compiled once.
type compiled struct {
	Rule
	re *regexp.Regexp
}

// Engine evaluates the configured and the stored rules. It is safe for
// concurrent use.
type Engine struct {
	store  Store
	config []compiled
	opts   Options

	mu    sync.Mutex
	cache map[string]*regexp.Regexp // pattern -> compiled, for stored rules
}

// NewEngine validates the configured rules (in file order; they get ids
// cfg-1, cfg-2...) and returns the engine. store may be nil: only the
// configured rules then apply, and loop protection counts nothing.
func NewEngine(configured []Rule, store Store, o Options) (*Engine, error) {
	if o.Limit == 0 {
		o.Limit = DefaultLimit
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{store: store, opts: o, cache: map[string]*regexp.Regexp{}}
	for i, r := range configured {
		r.Normalize()
		r.ID, r.Source, r.Position = "cfg-"+strconv.Itoa(i+1), SourceConfig, i+1
		if err := e.validate(r); err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		c := compiled{Rule: r}
		if r.Match.Type == MatchRegex {
			c.re = regexp.MustCompile(r.Match.Value) // Validate compiled it
		}
		e.config = append(e.config, c)
	}
	return e, nil
}

// validate is Validate plus what this engine can carry out: group
// actions need Options.Groups.
func (e *Engine) validate(r Rule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if e.opts.Groups == nil && r.usesGroups() {
		return r.needsContacts()
	}
	return nil
}

// IsConfigID reports whether id names a rule of the configuration.
func IsConfigID(id string) bool { return strings.HasPrefix(id, "cfg-") }

// List returns every rule in evaluation order: the configured ones, then
// the stored ones.
func (e *Engine) List(ctx context.Context) ([]Rule, error) {
	cs, err := e.all(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Rule, len(cs))
	for i, c := range cs {
		out[i] = c.Rule
	}
	return out, nil
}

// Get returns one rule, configured or stored, or smsgw.ErrNotFound.
func (e *Engine) Get(ctx context.Context, id string) (Rule, error) {
	if IsConfigID(id) {
		for _, c := range e.config {
			if c.ID == id {
				return c.Rule, nil
			}
		}
		return Rule{}, fmt.Errorf("rule %q: %w", id, smsgw.ErrNotFound)
	}
	if e.store == nil {
		return Rule{}, fmt.Errorf("rule %q: %w", id, smsgw.ErrNotFound)
	}
	return e.store.Rule(ctx, id)
}

// Add validates and stores a new rule.
func (e *Engine) Add(ctx context.Context, r Rule) (Rule, error) {
	if e.store == nil {
		return Rule{}, fmt.Errorf("rules: no store: %w", smsgw.ErrUnavailable)
	}
	r.Normalize()
	r.ID, r.Source = "", SourceAPI
	if err := e.validate(r); err != nil {
		return Rule{}, err
	}
	if r.Position < 0 {
		return Rule{}, invalid("position", "must not be negative")
	}
	return e.store.AddRule(ctx, r)
}

// Put validates and replaces a stored rule. Configured rules cannot be
// changed (smsgw.ErrConflict).
func (e *Engine) Put(ctx context.Context, r Rule) (Rule, error) {
	if IsConfigID(r.ID) {
		return Rule{}, fmt.Errorf("rule %q is defined in the configuration file and can only be changed there: %w", r.ID, smsgw.ErrConflict)
	}
	if e.store == nil {
		return Rule{}, fmt.Errorf("rules: no store: %w", smsgw.ErrUnavailable)
	}
	r.Normalize()
	r.Source = SourceAPI
	if err := e.validate(r); err != nil {
		return Rule{}, err
	}
	if r.Position < 0 {
		return Rule{}, invalid("position", "must not be negative")
	}
	return e.store.PutRule(ctx, r)
}

// Delete removes a stored rule. Configured rules cannot be deleted
// (smsgw.ErrConflict).
func (e *Engine) Delete(ctx context.Context, id string) error {
	if IsConfigID(id) {
		if _, err := e.Get(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("rule %q is defined in the configuration file and can only be removed there: %w", id, smsgw.ErrConflict)
	}
	if e.store == nil {
		return fmt.Errorf("rule %q: %w", id, smsgw.ErrNotFound)
	}
	return e.store.DeleteRule(ctx, id)
}

// all is every rule in evaluation order, compiled. Stored rules are read
// at each call, so a change made through another gateway sharing the
// database applies at once.
func (e *Engine) all(ctx context.Context) ([]compiled, error) {
	out := append([]compiled(nil), e.config...)
	if e.store == nil {
		return out, nil
	}
	stored, err := e.store.Rules(ctx)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	for _, r := range stored {
		c := compiled{Rule: r}
		if r.Match.Type == MatchRegex {
			c.re = e.compile(r.Match.Value)
		}
		out = append(out, c)
	}
	return out, nil
}

func (e *Engine) compile(p string) *regexp.Regexp {
	e.mu.Lock()
	defer e.mu.Unlock()
	if re, ok := e.cache[p]; ok {
		return re
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil // stored before a stricter check: matches nothing
	}
	if len(e.cache) > 1000 {
		clear(e.cache)
	}
	e.cache[p] = re
	return re
}

// Plan evaluates every enabled rule on m, in order, until one that stops,
// and says what each that matched would do, loop protection applied. It
// changes nothing: POST /v1/rules/test shows it as is, the gateway carries
// it out.
func (e *Engine) Plan(ctx context.Context, m Message) (Plan, error) {
	p := Plan{Message: m, Fired: []Fired{}}
	cs, err := e.all(ctx)
	if err != nil {
		return p, err
	}
	g := guard{e: e, m: m}
	vars := Vars{From: m.From, Text: m.Text, Modem: m.Modem, To: m.To}
	for _, c := range cs {
		if c.Disabled || !matches(c.Rule, c.re, m) {
			continue
		}
		f := Fired{Rule: c.Rule}
		for _, a := range c.Actions {
			s := Step{Action: a}
			switch a.Type {
			case ActionReply:
				s.Text, s.To = Render(a.Text, vars), m.From
				if s.Skipped, err = g.reply(ctx); err != nil {
					return p, err
				}
			case ActionForward:
				t := a.Text
				if t == "" {
					t = "{{from}}: {{text}}"
				}
				s.Text = Render(t, vars)
				// Forwarding our own auto-reply is an echo, not news.
				if s.Skipped, err = g.forward(ctx); err != nil {
					return p, err
				}
			case ActionTag:
				if ok, why := Replyable(m.From); !ok && why == SkipNoSender {
					s.Skipped = why
				}
			case ActionGroupAdd, ActionGroupRemove:
				// A contact is a person's number: a name or a short
				// code cannot join a group.
				if ok, why := Replyable(m.From); !ok {
					s.Skipped = why
				}
			}
			f.Steps = append(f.Steps, s)
		}
		p.Fired = append(p.Fired, f)
		if c.Then != ThenContinue {
			break
		}
	}
	return p, nil
}

// guard is loop protection for the replies of one plan: the checks that
// ask the store run once, and each reply planned counts against the limit.
type guard struct {
	e       *Engine
	m       Message
	checked bool
	refused string
	used    int // auto-replies already sent in the window, plus planned
}

// forward refuses to forward a message that is our own auto-reply.
func (g *guard) forward(ctx context.Context) (string, error) {
	if err := g.check(ctx); err != nil {
		return "", err
	}
	if g.refused == SkipOwnAutoReply {
		return g.refused, nil
	}
	return "", nil
}

func (g *guard) reply(ctx context.Context) (string, error) {
	if err := g.check(ctx); err != nil {
		return "", err
	}
	if g.refused != "" {
		return g.refused, nil
	}
	if g.e.opts.Limit < 0 || g.used >= g.e.opts.Limit {
		return SkipRateLimited, nil
	}
	g.used++
	return "", nil
}

// check asks the store, once per plan, whether the message is our own
// auto-reply and how many auto-replies its sender had in the window.
func (g *guard) check(ctx context.Context) error {
	if !g.checked {
		g.checked = true
		if ok, why := Replyable(g.m.From); !ok {
			g.refused = why
		} else if g.e.store != nil {
			since := g.e.opts.Now().Add(-g.e.opts.Window)
			own, err := g.e.store.SentAutoReply(ctx, g.m.Text, g.m.To, since)
			if err != nil {
				return fmt.Errorf("rules: loop check: %w", err)
			}
			if own {
				g.refused = SkipOwnAutoReply
			} else if g.used, err = g.e.store.AutoReplies(ctx, g.m.From, since); err != nil {
				return fmt.Errorf("rules: loop check: %w", err)
			}
		}
	}
	return nil
}

// ErrIsValidation reports whether err is a rule that failed validation
// (as opposed to a storage failure).
func ErrIsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

// OutboxEvent is the type of the outbox entry RecordFired appends; the
// gateway turns it into smsgw.EventRuleFired.
const OutboxEvent = "rule.fired"

// Tag adds a tag to a sender (the tag action).
func (e *Engine) Tag(ctx context.Context, number, tag string) error {
	if e.store == nil {
		return fmt.Errorf("rules: no store to keep tags: %w", smsgw.ErrUnavailable)
	}
	return e.store.TagSender(ctx, number, tag)
}

// AddToGroup puts a sender's contact into a group (the group_add action).
func (e *Engine) AddToGroup(ctx context.Context, number, group string) error {
	if e.opts.Groups == nil {
		return fmt.Errorf("rules: group %q: %w", group, ErrNeedsContacts)
	}
	return e.opts.Groups.AddToGroup(ctx, number, group)
}

// RemoveFromGroup takes a sender's contact out of a group (the
// group_remove action).
func (e *Engine) RemoveFromGroup(ctx context.Context, number, group string) error {
	if e.opts.Groups == nil {
		return fmt.Errorf("rules: group %q: %w", group, ErrNeedsContacts)
	}
	return e.opts.Groups.RemoveFromGroup(ctx, number, group)
}

// Record reports a fired rule as a rule.fired outbox event (once per
// message and rule). Without a store nothing is recorded.
func (e *Engine) Record(ctx context.Context, f FiredEvent) error {
	if e.store == nil {
		return nil
	}
	return e.store.RecordFired(ctx, f)
}
