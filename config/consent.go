package config

import (
	"slices"
	"strings"
	"time"

	"smsgw/consent"
)

// ConsentConfig is the [consent] table: opt-out, opt-in and HELP keywords
// in received messages, what an opt-out stops, the texts sent back, double
// opt-in, and the deny and allow lists. Example:
//
//	[consent]
//	scope = "marketing"
//	languages = ["de"]
//	program = "Bakery Miller"
//	contact = "+49 30 1234567"
type ConsentConfig struct {
	// Enabled handles the keywords of received messages (default true).
	// Opt-outs on record and the lists apply either way.
	Enabled bool `toml:"enabled"`
	// Scope: "marketing" (an opt-out stops marketing only; the default) or
	// "all" (every message but the answers to what the person sends).
	Scope string `toml:"scope"`
	// Languages adds ready keyword sets to English: "de", "fr", "es".
	Languages []string `toml:"languages"`
	// OptOut, OptIn, Confirm and Help replace the English words of each
	// list (the languages' words are added to them).
	OptOut  []string `toml:"opt_out"`
	OptIn   []string `toml:"opt_in"`
	Confirm []string `toml:"confirm"`
	Help    []string `toml:"help"`
	// Program and Contact fill {program} and {contact} in the texts.
	Program string `toml:"program"`
	Contact string `toml:"contact"`
	// The texts sent back; empty ones keep the default wording.
	OptOutReply    string `toml:"opt_out_reply"`
	OptInReply     string `toml:"opt_in_reply"`
	HelpReply      string `toml:"help_reply"`
	ConfirmRequest string `toml:"confirm_request"`
	// DisclosureVersion names the wording; the ledger keeps it with each
	// record that showed a text.
	DisclosureVersion string `toml:"disclosure_version"`
	// DoubleOptInWindow is how long a confirmation request waits for YES
	// (default 24h).
	DoubleOptInWindow Duration `toml:"double_opt_in_window"`
	// Deny: numbers never sent to. Allow: when set, the only numbers sent
	// to. E.164 numbers, or prefixes ending in "*".
	Deny  []string `toml:"deny"`
	Allow []string `toml:"allow"`
}

func (c *ConsentConfig) applyDefaults(enabledSet bool) {
	if !enabledSet {
		c.Enabled = true
	}
	if c.Scope == "" {
		c.Scope = string(consent.ScopeMarketing)
	}
	if c.Program == "" {
		c.Program = "smsgw"
	}
	defaultDuration(&c.DoubleOptInWindow, 24*time.Hour)
}

func (c ConsentConfig) validate(bad badFunc) {
	for _, l := range c.Languages {
		if _, ok := consent.Languages[l]; !ok {
			bad("consent.languages", "%q: want one of %s", l, strings.Join(consent.LanguageNames(), ", "))
		}
	}
	if c.DoubleOptInWindow.Duration < 10*time.Second || c.DoubleOptInWindow.Duration > 30*24*time.Hour {
		bad("consent.double_opt_in_window", "%s: want between 10s and 720h", c.DoubleOptInWindow.Duration)
	}
	for key, t := range map[string]string{"opt_out_reply": c.OptOutReply, "opt_in_reply": c.OptInReply,
		"help_reply": c.HelpReply, "confirm_request": c.ConfirmRequest} {
		if len(t) > 1000 {
			bad("consent."+key, "%d bytes: at most 1000", len(t))
		}
	}
	o := c.Options()
	if _, err := consent.NewMatcher(o.Keywords); err != nil {
		bad("consent", "%s", strings.TrimPrefix(err.Error(), "consent: "))
	}
	if _, err := consent.NewPolicy(o); err != nil {
		msg := strings.TrimPrefix(err.Error(), "consent: ")
		key := "consent"
		for _, k := range []string{"scope", "deny", "allow"} {
			if strings.HasPrefix(msg, k) {
				key += "." + k
			}
		}
		bad(key, "%s", msg)
	}
}

// Options are the consent settings the table describes.
func (c ConsentConfig) Options() consent.Options {
	o := consent.DefaultOptions()
	o.Enabled, o.Scope = c.Enabled, consent.Scope(c.Scope)
	kw := consent.English
	for _, l := range []struct {
		dst *[]string
		src []string
	}{{&kw.OptOut, c.OptOut}, {&kw.OptIn, c.OptIn}, {&kw.Confirm, c.Confirm}, {&kw.Help, c.Help}} {
		if len(l.src) > 0 {
			*l.dst = slices.Clone(l.src)
		}
	}
	for _, l := range c.Languages {
		kw = kw.Merge(consent.Languages[l])
	}
	o.Keywords = dedupe(kw)
	o.Program, o.Contact, o.DisclosureVersion = c.Program, c.Contact, c.DisclosureVersion
	for _, t := range []struct {
		dst *string
		src string
	}{{&o.OptOutReply, c.OptOutReply}, {&o.OptInReply, c.OptInReply}, {&o.HelpReply, c.HelpReply}, {&o.ConfirmAsk, c.ConfirmRequest}} {
		if t.src != "" {
			*t.dst = t.src
		}
	}
	o.DoubleOptInWindow = c.DoubleOptInWindow.Duration
	o.Deny, o.Allow = c.Deny, c.Allow
	return o
}

// dedupe drops repeated words within each list (INFO is in several ready
// sets), keeping the first.
func dedupe(k consent.Keywords) consent.Keywords {
	one := func(ws []string) []string {
		seen := map[string]bool{}
		var out []string
		for _, w := range ws {
			n := consent.Normalize(w)
			if !seen[n] {
				seen[n] = true
				out = append(out, w)
			}
		}
		return out
	}
	return consent.Keywords{OptOut: one(k.OptOut), OptIn: one(k.OptIn), Confirm: one(k.Confirm), Help: one(k.Help)}
}
