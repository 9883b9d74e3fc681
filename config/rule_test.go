package config

import (
	"strings"
	"testing"
	"time"
)

func TestRuleTables(t *testing.T) {
	c, err := Parse(`
[autoreply]
limit = 3
window = "1h"

[[rule]]
name = "hours"
match = { type = "First_Word", value = "HOURS" }
actions = [ { type = "reply", text = "Open 9-17, {{contact.name|there}}." }, { type = "forward", to = "+15550109999" } ]

[[rule]]
match = { type = "any" }
actions = [ { type = "exec", argv = ["/usr/local/bin/on-rule", "--json"] } ]
then = "continue"
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 2 || c.Autoreply.Limit != 3 || c.Autoreply.Window.Duration != time.Hour {
		t.Fatalf("parsed %+v %+v", c.Rules, c.Autoreply)
	}
	r := c.Rules[0].Rule()
	if r.Match.Type != "first_word" || r.Then != "stop" || len(r.Actions) != 2 || r.Actions[1].To != "+15550109999" {
		t.Fatalf("rule %+v", r)
	}
	if d := Default(); d.Autoreply.Limit != 5 || d.Autoreply.Window.Duration != 10*time.Minute || len(d.Rules) != 0 {
		t.Fatalf("defaults %+v", d.Autoreply)
	}
	for text, want := range map[string]string{
		"[[rule]]\nmatch = { type = \"regex\", value = \"(\" }\nactions = [ { type = \"tag\", tag = \"x\" } ]": "rule[1].match.value",
		"[[rule]]\nmatch = { type = \"any\" }":                                                            "rule[1].actions",
		"[[rule]]\nmatch = { type = \"any\" }\nactions = [ { type = \"group_add\", group = \" \" } ]":     "rule[1].actions[0].group",
		"[[rule]]\nmatch = { type = \"any\" }\nactions = [ { type = \"tag\", tag = \"x\", colour = 1 } ]": "colour",
		"[[rule]]\nmatch = { type = \"any\" }\nactions = [ { type = \"group_add\", group = \"vip\" } ]":   "",
		"[autoreply]\nlimit = -2":        "autoreply.limit",
		"[autoreply]\nwindow = \"0s\"":   "",
		"[autoreply]\nwindow = \"200h\"": "autoreply.window",
	} {
		_, err := Parse(text)
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", text, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %s", text, err, want)
		}
	}
}
