package consent

import (
	"testing"
	"time"

	"smsgw"
)

func TestKeywordMatrix(t *testing.T) {
	all := English
	for _, l := range LanguageNames() {
		all = all.Merge(Languages[l])
	}
	m, err := NewMatcher(all)
	if err != nil {
		t.Fatal(err)
	}
	en, err := NewMatcher(English)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want Match
		enOK bool // the English set alone gives the same answer
	}{
		{"STOP", MatchOptOut, true},
		{"stop", MatchOptOut, true},
		{"Stop", MatchOptOut, true},
		{"  stop  ", MatchOptOut, true},
		{"STOP.", MatchOptOut, true},
		{"stop!!!", MatchOptOut, true},
		{"\"Stop\"", MatchOptOut, true},
		{"¡stop!", MatchOptOut, true},
		{"stop 🛑", MatchOptOut, true},
		{"\tSTOP\r\n", MatchOptOut, true},
		{"StopAll", MatchOptOut, true},
		{"unsubscribe", MatchOptOut, true},
		{"Cancel", MatchOptOut, true},
		{"end", MatchOptOut, true},
		{"quit", MatchOptOut, true},
		{"revoke", MatchOptOut, true},
		{"optout", MatchOptOut, true},
		{"opt out", MatchOptOut, true},
		{"Opt   Out", MatchOptOut, true},
		{"OPT-OUT", NoMatch, true},
		{"stop the car", NoMatch, true},
		{"please stop", NoMatch, true},
		{"don't stop", NoMatch, true},
		{"STOPP", MatchOptOut, false},
		{"stopping", NoMatch, true},
		{"s t o p", NoMatch, true},
		{"", NoMatch, true},
		{"...", NoMatch, true},
		{"start", MatchOptIn, true},
		{"UNSTOP", MatchOptIn, true},
		{"yes", MatchConfirm, true},
		{"Yes!", MatchConfirm, true},
		{"yes please", NoMatch, true},
		{"help", MatchHelp, true},
		{"HELP?", MatchHelp, true},
		{"info", MatchHelp, true},
		{"help me", NoMatch, true},
		// German
		{"Stopp", MatchOptOut, false},
		{"abmelden", MatchOptOut, false},
		{"Kündigen", MatchOptOut, false},
		{"kundigen", MatchOptOut, false},
		{"Anmelden", MatchOptIn, false},
		{"ja", MatchConfirm, false},
		{"Hilfe", MatchHelp, false},
		// French, with and without accents, precomposed or combining
		{"arrêt", MatchOptOut, false},
		{"ARRET", MatchOptOut, false},
		{"arre\u0302t", MatchOptOut, false},
		{"désabonner", MatchOptOut, false},
		{"oui", MatchConfirm, false},
		{"aide", MatchHelp, false},
		// Spanish
		{"baja", MatchOptOut, false},
		{"Alto.", MatchOptOut, false},
		{"alta", MatchOptIn, false},
		{"sí", MatchConfirm, false},
		{"si", MatchConfirm, false},
		{"ayuda", MatchHelp, false},
	} {
		if got := m.Match(c.text); got != c.want {
			t.Errorf("Match(%q) = %v, want %v", c.text, got, c.want)
		}
		if c.enOK {
			if got := en.Match(c.text); got != c.want {
				t.Errorf("English Match(%q) = %v, want %v", c.text, got, c.want)
			}
		} else if got := en.Match(c.text); got != NoMatch && got != c.want {
			t.Errorf("English Match(%q) = %v", c.text, got)
		}
	}
	if _, err := NewMatcher(Keywords{OptOut: []string{"STOP"}, OptIn: []string{"stop"}}); err == nil {
		t.Error("a word in two lists accepted")
	}
	if _, err := NewMatcher(Keywords{OptOut: []string{"!!"}}); err == nil {
		t.Error("a keyword without letters accepted")
	}
}

func TestPolicy(t *testing.T) {
	p, err := NewPolicy(Options{Deny: []string{"+4915100000001", "+4930*"}, Allow: nil})
	if err != nil {
		t.Fatal(err)
	}
	const mk, tr = smsgw.CategoryMarketing, smsgw.CategoryTransactional
	for _, c := range []struct {
		to        string
		cat       smsgw.Category
		auto, out bool
		want      string
	}{
		{"+4915100000002", mk, false, false, ""},
		{"+4915100000002", mk, false, true, ReasonOptedOut},
		{"+4915100000002", tr, false, true, ""},
		{"+4915100000002", mk, true, true, ""},
		{"+4915100000001", tr, false, false, ReasonDenied},
		{"+4930123456", tr, true, false, ReasonDenied},
	} {
		if got := p.Refuse(c.to, c.cat, c.auto, c.out); got != c.want {
			t.Errorf("Refuse(%s, %s, auto %v, out %v) = %q, want %q", c.to, c.cat, c.auto, c.out, got, c.want)
		}
	}
	all, err := NewPolicy(Options{Scope: ScopeAll, Allow: []string{"+49151*"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Refuse("+4915100000002", tr, false, true); got != ReasonOptedOut {
		t.Errorf("scope all, transactional to an opted-out number: %q", got)
	}
	if got := all.Refuse("+4915100000002", tr, true, true); got != "" {
		t.Errorf("scope all, an auto-reply: %q", got)
	}
	if got := all.Refuse("+4417000000", tr, false, false); got != ReasonNotAllowed {
		t.Errorf("not on the allow list: %q", got)
	}
	for _, bad := range []Options{{Scope: "some"}, {Deny: []string{"12ab"}}, {Allow: []string{"x*"}}} {
		if _, err := NewPolicy(bad); err == nil {
			t.Errorf("NewPolicy(%+v) accepted", bad)
		}
	}
}

func TestLedgerChain(t *testing.T) {
	var rs []Record
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
	for i, a := range []Action{ActionOptIn, ActionOptOut, ActionHelp} {
		r := Record{Number: "+4915112345678", Action: a, At: at.Add(time.Duration(i) * time.Minute), Source: SourceAPI,
			Evidence: map[string]string{"ip": "192.0.2.1", "ua": "x"}}
		var prev *Record
		if i > 0 {
			prev = &rs[i-1]
		}
		r.Chain(prev)
		rs = append(rs, r)
	}
	verify := func(rs []Record) error {
		var v Verifier
		for _, r := range rs {
			if err := v.Add(r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := verify(rs); err != nil {
		t.Fatal(err)
	}
	changed := append([]Record(nil), rs...)
	changed[1].Action = ActionOptIn
	if err := verify(changed); err == nil || err.(*BreakError).Seq != 2 {
		t.Errorf("changed action: %v", err)
	}
	changed = append([]Record(nil), rs...)
	changed[0].Evidence = map[string]string{"ip": "192.0.2.2", "ua": "x"}
	if err := verify(changed); err == nil || err.(*BreakError).Seq != 1 {
		t.Errorf("changed evidence: %v", err)
	}
	if err := verify([]Record{rs[0], rs[2]}); err == nil || err.(*BreakError).Seq != 3 {
		t.Errorf("removed record: %v", err)
	}
}
