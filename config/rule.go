package config

import (
	"errors"
	"fmt"
	"time"

	"smsgw/rules"
)

// RuleConfig is one [[rule]] table: a keyword rule evaluated on every
// received message after the consent keywords, in file order, before the
// rules made through the API. Example:
//
//	[[rule]]
//	name = "opening hours"
//	match = { type = "first_word", value = "HOURS" }
//	actions = [ { type = "reply", text = "Open 9-17, {{contact.name|there}}." } ]
//	then = "stop"
type RuleConfig struct {
	Name     string         `toml:"name"`
	Disabled bool           `toml:"disabled"`
	Match    rules.Match    `toml:"match"`
	Actions  []rules.Action `toml:"actions"`
	Then     string         `toml:"then"`
}

// Rule is the rule the table describes, normalized.
func (r RuleConfig) Rule() rules.Rule {
	out := rules.Rule{Name: r.Name, Disabled: r.Disabled, Match: r.Match, Actions: r.Actions, Then: r.Then}
	out.Normalize()
	return out
}

func validateRules(rs []RuleConfig, bad badFunc) {
	for i, r := range rs {
		if err := r.Rule().Validate(); err != nil {
			key := fmt.Sprintf("rule[%d]", i+1)
			var ve *rules.ValidationError
			if errors.As(err, &ve) {
				bad(key+"."+ve.Field, "%s", ve.Reason)
				continue
			}
			bad(key, "%v", err)
		}
	}
}

// AutoreplyConfig is the [autoreply] table: loop protection for the
// replies rules send on their own.
type AutoreplyConfig struct {
	// Limit is how many auto-replies one sender gets per Window; more are
	// skipped. 0 means the default (5); -1 sends none.
	Limit int `toml:"limit"`
	// Window is the period Limit counts over (default 10m).
	Window Duration `toml:"window"`
}

func (a *AutoreplyConfig) applyDefaults() {
	if a.Limit == 0 {
		a.Limit = rules.DefaultLimit
	}
	defaultDuration(&a.Window, rules.DefaultWindow)
}

func (a AutoreplyConfig) validate(bad badFunc) {
	if a.Limit < -1 || a.Limit > 1000 {
		bad("autoreply.limit", "%d: want -1 (none) to 1000", a.Limit)
	}
	if a.Window.Duration < time.Second || a.Window.Duration > 7*24*time.Hour {
		bad("autoreply.window", "%s: want between 1s and 168h", a.Window.Duration)
	}
}
