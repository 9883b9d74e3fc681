// Package rules is keyword rules and auto-replies: what a received SMS
// matches (its first word, its whole text, a regular expression, its
// sender, the modem that received it, or anything), what then happens (a
// reply, a forward as SMS, to a webhook or a program, a tag on the sender)
// and the loop protection that keeps two auto-responders from texting each
// other forever.
//
// Rules come from the configuration ([[rule]] tables, read-only) and from
// the API (kept by a Store); the Engine evaluates them in order, config
// rules first, on every received message after the consent keywords.
// Plan says what would happen without doing it (POST /v1/rules/test uses
// it); the gateway carries a plan out.
package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Match types: what part of a received message a rule looks at.
const (
	// MatchFirstWord: the first word, case-insensitive, surrounding
	// punctuation ignored ("Hours?" matches "HOURS").
	MatchFirstWord = "first_word"
	// MatchText: the whole text, case-insensitive, surrounding whitespace
	// and punctuation ignored.
	MatchText = "text"
	// MatchRegex: a regular expression (RE2 syntax) found anywhere in the
	// text; (?i) makes it case-insensitive.
	MatchRegex = "regex"
	// MatchFrom: the sender's number (or alphanumeric name).
	MatchFrom = "from"
	// MatchModem: the id of the modem that received the message.
	MatchModem = "modem"
	// MatchAny: every message.
	MatchAny = "any"
)

// Action types: what a rule does when it fires.
const (
	// ActionReply answers the sender through the modem that received the
	// message, with Text as a template.
	ActionReply = "reply"
	// ActionForward sends Text (default "{{from}}: {{text}}") as an SMS to
	// the number To.
	ActionForward = "forward"
	// ActionWebhook posts the received message (sms:received envelope) to
	// URL.
	ActionWebhook = "webhook"
	// ActionExec runs the program Argv (no shell) with the received
	// message, as [inbound] exec does.
	ActionExec = "exec"
	// ActionTag tags the sender with Tag.
	ActionTag = "tag"
	// ActionGroupAdd adds the sender's contact to the contact group
	// Group; a sender without a contact gets one with just the number,
	// and a missing group is created (as a CSV import's group is).
	ActionGroupAdd = "group_add"
	// ActionGroupRemove takes the sender's contact out of the group Group
	// (nothing happens when there is no such contact or membership).
	ActionGroupRemove = "group_remove"
)

// What a rule does after it fired.
const (
	ThenStop     = "stop"     // later rules are not evaluated (the default)
	ThenContinue = "continue" // later rules are evaluated too
)

// Sources of rules.
const (
	SourceConfig = "config"
	SourceAPI    = "api"
)

// Limits on one rule.
const (
	MaxNameBytes     = 200
	MaxValueBytes    = 1000
	MaxTemplateBytes = 1600
	MaxActions       = 10
	MaxTagBytes      = 64
	// MaxGroupChars is the longest group name in characters (as
	// contacts.MaxGroupName).
	MaxGroupChars = 100
)

var (
	// ErrInvalid: a rule is malformed; the error is a *ValidationError.
	ErrInvalid = errors.New("invalid rule")
	// ErrNeedsContacts: a group action was asked of an engine that has
	// no contacts store (Options.Groups) to act on.
	ErrNeedsContacts = errors.New("group actions need the contacts store, which this process does not have")
)

// ValidationError names the first invalid field of a rule. It matches
// ErrInvalid (and ErrNeedsContacts for a group action) with errors.Is.
type ValidationError struct {
	Field  string // "match.type", "actions[1].to", ...
	Reason string
	err    error
}

// Error names the field and the reason.
func (e *ValidationError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Unwrap lets errors.Is match ErrInvalid or ErrNeedsContacts.
func (e *ValidationError) Unwrap() error {
	if e.err != nil {
		return e.err
	}
	return ErrInvalid
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Match says what a rule looks at and what it looks for.
type Match struct {
	Type  string `json:"type" toml:"type"`
	Value string `json:"value,omitempty" toml:"value"`
}

// Action is one thing a rule does. Which fields count depends on Type.
type Action struct {
	Type string   `json:"type" toml:"type"`
	Text string   `json:"text,omitempty" toml:"text"` // reply, forward: a template
	To   string   `json:"to,omitempty" toml:"to"`     // forward: a number
	URL  string   `json:"url,omitempty" toml:"url"`   // webhook
	Argv []string `json:"argv,omitempty" toml:"argv"` // exec
	Tag  string   `json:"tag,omitempty" toml:"tag"`   // tag
	// Group names a contact group (group_add, group_remove).
	Group string `json:"group,omitempty" toml:"group"`
}

// Rule is one keyword rule. Rules from the configuration have ids
// "cfg-1", "cfg-2"... in file order and cannot be changed through the API;
// rules from the API have decimal ids and are ordered by Position, then id.
type Rule struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Source   string   `json:"source"`
	Position int      `json:"position"`
	Disabled bool     `json:"disabled,omitempty"`
	Match    Match    `json:"match"`
	Actions  []Action `json:"actions"`
	Then     string   `json:"then"`
	// Created and Updated are set by the store (zero for config rules).
	Created time.Time `json:"created_at,omitzero"`
	Updated time.Time `json:"updated_at,omitzero"`
}

// Normalize fills defaults (Then) and trims what users type around
// values; Validate expects a normalized rule.
func (r *Rule) Normalize() {
	r.Name = strings.TrimSpace(r.Name)
	r.Match.Type = strings.ToLower(strings.TrimSpace(r.Match.Type))
	if r.Match.Type != MatchRegex {
		r.Match.Value = strings.TrimSpace(r.Match.Value)
	}
	if r.Then == "" {
		r.Then = ThenStop
	}
	r.Then = strings.ToLower(strings.TrimSpace(r.Then))
	for i := range r.Actions {
		a := &r.Actions[i]
		a.Type = strings.ToLower(strings.TrimSpace(a.Type))
		a.To = strings.TrimSpace(a.To)
		a.URL = strings.TrimSpace(a.URL)
		a.Tag = strings.TrimSpace(a.Tag)
		a.Group = strings.TrimSpace(a.Group)
	}
}

// Validate checks the rule and returns a *ValidationError naming the first
// bad field.
func (r Rule) Validate() error {
	if len(r.Name) > MaxNameBytes {
		return invalid("name", "at most %d bytes", MaxNameBytes)
	}
	if len(r.Match.Value) > MaxValueBytes {
		return invalid("match.value", "at most %d bytes", MaxValueBytes)
	}
	switch r.Match.Type {
	case MatchFirstWord:
		if r.Match.Value == "" || strings.IndexFunc(r.Match.Value, unicode.IsSpace) >= 0 {
			return invalid("match.value", "first_word needs one word without spaces")
		}
	case MatchText, MatchFrom, MatchModem:
		if r.Match.Value == "" {
			return invalid("match.value", "%s needs a value", r.Match.Type)
		}
	case MatchRegex:
		if r.Match.Value == "" {
			return invalid("match.value", "regex needs a pattern")
		}
		if _, err := regexp.Compile(r.Match.Value); err != nil {
			return invalid("match.value", "not a valid regular expression: %v", err)
		}
	case MatchAny:
		if r.Match.Value != "" {
			return invalid("match.value", "any takes no value")
		}
	case "":
		return invalid("match.type", "missing: one of first_word, text, regex, from, modem, any")
	default:
		return invalid("match.type", "%q: want one of first_word, text, regex, from, modem, any", r.Match.Type)
	}
	if !utf8.ValidString(r.Match.Value) {
		return invalid("match.value", "not valid UTF-8")
	}
	if len(r.Actions) == 0 {
		return invalid("actions", "a rule needs at least one action")
	}
	if len(r.Actions) > MaxActions {
		return invalid("actions", "at most %d actions", MaxActions)
	}
	for i, a := range r.Actions {
		if err := a.validate(fmt.Sprintf("actions[%d]", i)); err != nil {
			return err
		}
	}
	if r.Then != ThenStop && r.Then != ThenContinue {
		return invalid("then", "%q: want stop or continue", r.Then)
	}
	return nil
}

func (a Action) validate(f string) error {
	extra := func(name string, set bool) error {
		if set {
			return invalid(f+"."+name, "not used by a %s action", a.Type)
		}
		return nil
	}
	checks := map[string]bool{"text": a.Text != "", "to": a.To != "", "url": a.URL != "", "argv": len(a.Argv) > 0,
		"tag": a.Tag != "", "group": a.Group != ""}
	uses := map[string][]string{
		ActionReply: {"text"}, ActionForward: {"text", "to"}, ActionWebhook: {"url"}, ActionExec: {"argv"},
		ActionTag: {"tag"}, ActionGroupAdd: {"group"}, ActionGroupRemove: {"group"},
	}
	used, ok := uses[a.Type]
	if !ok {
		if a.Type == "" {
			return invalid(f+".type", "missing: one of reply, forward, webhook, exec, tag, group_add, group_remove")
		}
		return invalid(f+".type", "%q: want one of reply, forward, webhook, exec, tag, group_add, group_remove", a.Type)
	}
	for _, name := range []string{"text", "to", "url", "argv", "tag", "group"} {
		if !contains(used, name) {
			if err := extra(name, checks[name]); err != nil {
				return err
			}
		}
	}
	switch a.Type {
	case ActionReply:
		if a.Text == "" {
			return invalid(f+".text", "a reply needs a text")
		}
		return checkTemplate(f+".text", a.Text)
	case ActionForward:
		if a.To == "" {
			return invalid(f+".to", "a forward needs a number")
		}
		if !isNumber(a.To) {
			return invalid(f+".to", "%q is not a phone number (+ and digits)", a.To)
		}
		if a.Text != "" {
			return checkTemplate(f+".text", a.Text)
		}
	case ActionWebhook:
		if !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") || len(a.URL) < 10 {
			return invalid(f+".url", "want an http:// or https:// URL")
		}
		if len(a.URL) > MaxValueBytes {
			return invalid(f+".url", "at most %d bytes", MaxValueBytes)
		}
	case ActionExec:
		if a.Argv[0] == "" || !strings.HasPrefix(a.Argv[0], "/") {
			return invalid(f+".argv", "the program (first element) must be an absolute path")
		}
	case ActionTag:
		if len(a.Tag) > MaxTagBytes || strings.IndexFunc(a.Tag, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) >= 0 {
			return invalid(f+".tag", "a tag is one word of at most %d bytes, without commas", MaxTagBytes)
		}
	case ActionGroupAdd, ActionGroupRemove:
		if a.Group == "" {
			return invalid(f+".group", "a %s action needs a group name", a.Type)
		}
		if !utf8.ValidString(a.Group) || utf8.RuneCountInString(a.Group) > MaxGroupChars ||
			strings.IndexFunc(a.Group, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) >= 0 {
			return invalid(f+".group", "a group name is valid UTF-8 of at most %d characters, without control characters", MaxGroupChars)
		}
	}
	return nil
}

// usesGroups reports whether a rule has a group action.
func (r Rule) usesGroups() bool {
	for _, a := range r.Actions {
		if a.Type == ActionGroupAdd || a.Type == ActionGroupRemove {
			return true
		}
	}
	return false
}

// needsContacts is the error for a group action on an engine without a
// contacts store: the field of the first group action.
func (r Rule) needsContacts() error {
	for i, a := range r.Actions {
		if a.Type == ActionGroupAdd || a.Type == ActionGroupRemove {
			return &ValidationError{Field: fmt.Sprintf("actions[%d].type", i), Reason: ErrNeedsContacts.Error(), err: ErrNeedsContacts}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// isNumber accepts what the queue can dial: an optional + and 3 to 20
// digits, with the usual separators.
func isNumber(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 20
}
