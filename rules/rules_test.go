package rules

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMatchMatrix(t *testing.T) {
	cases := []struct {
		typ, value, text, from, modem string
		want                          bool
	}{
		{MatchFirstWord, "HOURS", "hours", "", "", true},
		{MatchFirstWord, "HOURS", "  Hours? when do you open", "", "", true},
		{MatchFirstWord, "hours", "HOURS!", "", "", true},
		{MatchFirstWord, "HOURS", "opening hours", "", "", false},
		{MatchFirstWord, "HOURS", "hoursly", "", "", false},
		{MatchFirstWord, "PREIS", "preis bitte", "", "", true},
		{MatchFirstWord, "ÄNDERN", "ändern bitte", "", "", true},
		{MatchFirstWord, "INFO", "", "", "", false},
		{MatchText, "opening hours", " Opening   HOURS? ", "", "", true},
		{MatchText, "opening hours", "opening hours please", "", "", false},
		{MatchRegex, `(?i)\border\s+#?\d+`, "Where is ORDER #123?", "", "", true},
		{MatchRegex, `\border\s+\d+`, "Where is ORDER 123?", "", "", false},
		{MatchFrom, "+49 151 1234567", "x", "+491511234567", "", true},
		{MatchFrom, "+491511234567", "x", "+491511234568", "", false},
		{MatchFrom, "bank", "x", "BANK", "", true},
		{MatchModem, "office", "x", "", "office", true},
		{MatchModem, "office", "x", "", "shop", false},
		{MatchAny, "", "", "", "", true},
	}
	for _, c := range cases {
		r := Rule{Match: Match{Type: c.typ, Value: c.value}, Actions: []Action{{Type: ActionTag, Tag: "x"}}}
		r.Normalize()
		if err := r.Validate(); err != nil {
			t.Fatalf("%s %q: %v", c.typ, c.value, err)
		}
		e, err := NewEngine([]Rule{r}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Plan(context.Background(), Message{Text: c.text, From: c.from, Modem: c.modem})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.Fired) == 1; got != c.want {
			t.Errorf("%s %q on text %q from %q modem %q: fired %v, want %v", c.typ, c.value, c.text, c.from, c.modem, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	reply := []Action{{Type: ActionReply, Text: "hi"}}
	cases := []struct {
		r     Rule
		field string
	}{
		{Rule{Match: Match{Type: "word", Value: "x"}, Actions: reply}, "match.type"},
		{Rule{Match: Match{Value: "x"}, Actions: reply}, "match.type"},
		{Rule{Match: Match{Type: MatchFirstWord, Value: "two words"}, Actions: reply}, "match.value"},
		{Rule{Match: Match{Type: MatchRegex, Value: "(unclosed"}, Actions: reply}, "match.value"},
		{Rule{Match: Match{Type: MatchAny, Value: "x"}, Actions: reply}, "match.value"},
		{Rule{Match: Match{Type: MatchAny}}, "actions"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionReply}}}, "actions[0].text"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionReply, Text: "hi {{name}}"}}}, "actions[0].text"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionReply, Text: "hi", To: "+1555"}}}, "actions[0].to"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionForward, To: "boss"}}}, "actions[0].to"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionWebhook, URL: "ftp://x.example"}}}, "actions[0].url"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionExec, Argv: []string{"on-sms"}}}}, "actions[0].argv"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionTag, Tag: "two words"}}}, "actions[0].tag"},
		{Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: "shout"}}}, "actions[0].type"},
		{Rule{Match: Match{Type: MatchAny}, Actions: reply, Then: "maybe"}, "then"},
	}
	for _, c := range cases {
		c.r.Normalize()
		err := c.r.Validate()
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err %v, want a validation error on %s", c.r, err, c.field)
		}
	}
	for _, c := range []struct {
		a     Action
		field string
	}{
		{Action{Type: ActionGroupAdd, Group: " "}, "actions[0].group"},
		{Action{Type: ActionGroupRemove}, "actions[0].group"},
		{Action{Type: ActionGroupAdd, Group: strings.Repeat("é", MaxGroupChars+1)}, "actions[0].group"},
		{Action{Type: ActionGroupAdd, Group: "a\x01b"}, "actions[0].group"},
		{Action{Type: ActionGroupAdd, Group: "vip", Tag: "x"}, "actions[0].tag"},
	} {
		r := Rule{Match: Match{Type: MatchAny}, Actions: []Action{c.a}}
		r.Normalize()
		var ve *ValidationError
		if err := r.Validate(); !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v: err %v, want a validation error on %s", c.a, err, c.field)
		}
	}
	g := Rule{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionTag, Tag: "x"}, {Type: ActionGroupAdd, Group: " VIP customers "}}}
	g.Normalize()
	if err := g.Validate(); err != nil || g.Actions[1].Group != "VIP customers" {
		t.Errorf("group action %+v: %v", g.Actions[1], err)
	}
	// An engine without a contacts store cannot carry group actions out.
	_, err := NewEngine([]Rule{g}, nil, Options{})
	var ve *ValidationError
	if !errors.Is(err, ErrNeedsContacts) || !errors.As(err, &ve) || ve.Field != "actions[1].type" {
		t.Errorf("group action without contacts: %v, want ErrNeedsContacts on actions[1].type", err)
	}
	if _, err := NewEngine([]Rule{g}, nil, Options{Groups: refuseGroups{t}}); err != nil {
		t.Errorf("group action with contacts: %v", err)
	}
	ok := Rule{Match: Match{Type: " First_Word ", Value: " HOURS "}, Actions: []Action{{Type: "REPLY", Text: "Open 9-17, {{contact.name|friend}}"}}}
	ok.Normalize()
	if err := ok.Validate(); err != nil || ok.Then != ThenStop || ok.Match.Value != "HOURS" {
		t.Errorf("normalized %+v: %v", ok, err)
	}
}

func TestRender(t *testing.T) {
	v := Vars{From: "+15550100001", Text: "hours?", Modem: "sim1"}
	cases := map[string]string{
		"Hi {{contact.name|there}}, you wrote {{text}}": "Hi there, you wrote hours?",
		"{{ from }} via {{modem}}{{to|}}":               "+15550100001 via sim1",
		"{{contact.name}}!":                             "!",
		"literal {{ unclosed":                           "literal {{ unclosed",
		"no placeholders":                               "no placeholders",
	}
	for tpl, want := range cases {
		if got := Render(tpl, v); got != want {
			t.Errorf("Render(%q) = %q, want %q", tpl, got, want)
		}
	}
}

func TestReplyable(t *testing.T) {
	cases := map[string]string{
		"+491511234567": "",
		"01511234567":   "",
		"BANK":          SkipAlphanumeric,
		"Info-Dienst":   SkipAlphanumeric,
		"33333":         SkipShortCode,
		"1234":          SkipShortCode,
		"":              SkipNoSender,
	}
	for s, want := range cases {
		ok, why := Replyable(s)
		if why != want || ok != (want == "") {
			t.Errorf("Replyable(%q) = %v, %q; want %q", s, ok, why, want)
		}
	}
}

func TestPlanOrderStopContinue(t *testing.T) {
	cfg := []Rule{
		{Name: "tag all", Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionTag, Tag: "seen"}}, Then: ThenContinue},
		{Name: "hours", Match: Match{Type: MatchFirstWord, Value: "hours"}, Actions: []Action{
			{Type: ActionReply, Text: "Open 9-17, {{contact.name|there}}"},
			{Type: ActionForward, To: "+15550109999"}}},
		{Name: "never reached", Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionReply, Text: "x"}}},
	}
	e, err := NewEngine(cfg, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Plan(context.Background(), Message{From: "+15550100001", Text: "Hours?", Modem: "sim1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Fired) != 2 || p.Fired[0].Rule.ID != "cfg-1" || p.Fired[1].Rule.ID != "cfg-2" {
		t.Fatalf("fired %+v", p.Fired)
	}
	st := p.Fired[1].Steps
	if st[0].Text != "Open 9-17, there" || st[0].To != "+15550100001" || st[0].Skipped != "" {
		t.Errorf("reply step %+v", st[0])
	}
	if st[1].Text != "+15550100001: Hours?" || st[1].To != "+15550109999" {
		t.Errorf("forward step %+v", st[1])
	}
	// An alphanumeric sender fires the rule but gets no reply.
	p, _ = e.Plan(context.Background(), Message{From: "BANK", Text: "hours", Modem: "sim1"})
	if got := p.Fired[1].Steps[0].Skipped; got != SkipAlphanumeric {
		t.Errorf("reply to BANK skipped %q", got)
	}
	// Limit applies within one plan too: two replying rules, limit 1.
	two := []Rule{
		{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionReply, Text: "a"}}, Then: ThenContinue},
		{Match: Match{Type: MatchAny}, Actions: []Action{{Type: ActionReply, Text: "b"}}},
	}
	e, _ = NewEngine(two, nil, Options{Limit: 1})
	p, _ = e.Plan(context.Background(), Message{From: "+15550100001", Text: "x"})
	if p.Fired[0].Steps[0].Skipped != "" || p.Fired[1].Steps[0].Skipped != SkipRateLimited {
		t.Errorf("limit 1: %+v", p.Fired)
	}
	if _, err := NewEngine([]Rule{{Match: Match{Type: MatchAny}}}, nil, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad configured rule: %v", err)
	}
}

// refuseGroups fails the test when a group is changed: planning must not
// act.
type refuseGroups struct{ t *testing.T }

func (r refuseGroups) AddToGroup(_ context.Context, n, g string) error {
	r.t.Errorf("AddToGroup(%s, %s) while planning", n, g)
	return nil
}

func (r refuseGroups) RemoveFromGroup(_ context.Context, n, g string) error {
	r.t.Errorf("RemoveFromGroup(%s, %s) while planning", n, g)
	return nil
}

// Plan describes group actions without acting: the group is named, and a
// sender that cannot be a contact (a name, a short code) is skipped.
func TestPlanGroupActions(t *testing.T) {
	cfg := []Rule{{Match: Match{Type: MatchFirstWord, Value: "join"}, Actions: []Action{
		{Type: ActionGroupAdd, Group: "newsletter"}, {Type: ActionGroupRemove, Group: "lapsed"}}}}
	e, err := NewEngine(cfg, nil, Options{Groups: refuseGroups{t}})
	if err != nil {
		t.Fatal(err)
	}
	for from, skip := range map[string]string{"+15550100001": "", "BANK": SkipAlphanumeric, "4321": SkipShortCode} {
		p, err := e.Plan(context.Background(), Message{From: from, Text: "JOIN"})
		if err != nil || len(p.Fired) != 1 || len(p.Fired[0].Steps) != 2 {
			t.Fatalf("%s: plan %+v, %v", from, p, err)
		}
		st := p.Fired[0].Steps
		if st[0].Type != ActionGroupAdd || st[0].Group != "newsletter" || st[0].Skipped != skip ||
			st[1].Type != ActionGroupRemove || st[1].Group != "lapsed" || st[1].Skipped != skip {
			t.Errorf("%s: steps %+v, want skipped %q", from, st, skip)
		}
	}
}

func TestFiredEventHidesSecrets(t *testing.T) {
	f := Fired{Rule: Rule{ID: "7", Name: "n"}, Steps: []Step{
		{Action: Action{Type: ActionWebhook, URL: "https://user:pw@example.com/x"}},
		{Action: Action{Type: ActionExec, Argv: []string{"/bin/x", "--token=s"}}},
	}}
	ev := f.Event(Message{From: "+1555", InboxID: 3}, f.Rule.Created)
	for _, s := range ev.Actions {
		if s.URL != "" || s.Argv != nil {
			t.Errorf("event carries %+v", s)
		}
	}
	if f.Steps[0].URL == "" {
		t.Error("Event changed the plan's steps")
	}
}
