package api_test

import (
	"errors"
	"net/http"
	"testing"

	"smsgw"
	"smsgw/api"
	"smsgw/rules"
)

func TestRulesCRUD(t *testing.T) {
	e := newEnv(t, api.Options{})
	var list api.RuleList
	r := e.Do("GET", "/v1/rules", nil)
	e.Want(r, 200)
	r.JSON(t, &list)
	if len(list.Rules) != 0 {
		t.Fatalf("fresh rules %+v", list.Rules)
	}
	body := map[string]any{"name": "hours", "match": map[string]any{"type": "first_word", "value": "HOURS"},
		"actions": []any{map[string]any{"type": "reply", "text": "Open 9-17, {{contact.name|there}}"}}}
	r = e.Do("POST", "/v1/rules", body)
	e.Want(r, http.StatusCreated)
	var got rules.Rule
	r.JSON(t, &got)
	if got.ID == "" || got.Source != rules.SourceAPI || got.Then != rules.ThenStop || r.Header.Get("Location") != "/v1/rules/"+got.ID {
		t.Fatalf("created %+v (Location %q)", got, r.Header.Get("Location"))
	}
	body["then"] = "continue"
	body["name"] = "hours2"
	r = e.Do("PUT", "/v1/rules/"+got.ID, body)
	e.Want(r, 200)
	r.JSON(t, &got)
	if got.Name != "hours2" || got.Then != rules.ThenContinue {
		t.Fatalf("put %+v", got)
	}
	r = e.Do("GET", "/v1/rules/"+got.ID, nil)
	e.Want(r, 200)

	bad := []struct {
		body        any
		code, field string
	}{
		{map[string]any{"match": map[string]any{"type": "word"}, "actions": []any{map[string]any{"type": "tag", "tag": "x"}}}, api.CodeInvalidField, "match.type"},
		{map[string]any{"match": map[string]any{"type": "any"}}, api.CodeInvalidField, "actions"},
		{map[string]any{"match": map[string]any{"type": "regex", "value": "("}, "actions": []any{map[string]any{"type": "tag", "tag": "x"}}}, api.CodeInvalidField, "match.value"},
		{map[string]any{"match": map[string]any{"type": "any"}, "actions": []any{map[string]any{"type": "group_add"}}}, api.CodeInvalidField, "actions[0].group"},
		{map[string]any{"id": "5", "match": map[string]any{"type": "any"}}, api.CodeUnknownField, "id"},
	}
	for _, c := range bad {
		r := e.Do("POST", "/v1/rules", c.body)
		e.Want(r, 400)
		if code, field := r.ErrCode(t); code != c.code || field != c.field {
			t.Errorf("%v: %s on %q, want %s on %q", c.body, code, field, c.code, c.field)
		}
	}
	r = e.Do("DELETE", "/v1/rules/"+got.ID, nil)
	e.Want(r, http.StatusNoContent)
	for _, m := range []string{"GET", "DELETE"} {
		r = e.Do(m, "/v1/rules/"+got.ID, nil)
		e.Want(r, 404)
	}
	r = e.Do("PUT", "/v1/rules/77", body)
	e.Want(r, 404)
}

func TestRulesConfiguredReadOnlyAndTest(t *testing.T) {
	e := newEnv(t, api.Options{})
	eng, err := rules.NewEngine([]rules.Rule{{Name: "stop words", Match: rules.Match{Type: rules.MatchRegex, Value: `(?i)\bprice\b`},
		Actions: []rules.Action{{Type: rules.ActionReply, Text: "Prices: example.com/p"}, {Type: rules.ActionForward, To: "+15550109999"}}}},
		e.Q, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.Rebuild(func(b *api.Backend) { b.Rules = eng })
	r := e.Do("PUT", "/v1/rules/cfg-1", map[string]any{"match": map[string]any{"type": "any"}, "actions": []any{map[string]any{"type": "tag", "tag": "x"}}})
	e.Want(r, http.StatusConflict)
	r = e.Do("DELETE", "/v1/rules/cfg-1", nil)
	e.Want(r, http.StatusConflict)
	r = e.Do("DELETE", "/v1/rules/cfg-9", nil)
	e.Want(r, http.StatusNotFound)

	var plan rules.Plan
	r = e.Do("POST", "/v1/rules/test", map[string]any{"from": "+1 555 010 0001", "text": "What's the PRICE?", "modem": "m1"})
	e.Want(r, 200)
	r.JSON(t, &plan)
	if len(plan.Fired) != 1 || plan.Fired[0].Rule.ID != "cfg-1" || len(plan.Fired[0].Steps) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	s := plan.Fired[0].Steps
	if s[0].To != "+15550100001" || s[0].Text != "Prices: example.com/p" || s[0].Skipped != "" || s[1].Text != "+15550100001: What's the PRICE?" {
		t.Fatalf("steps %+v", s)
	}
	// Testing sends nothing.
	if c, err := e.Q.Counts(t.Context()); err != nil || c["queued"] != 0 {
		t.Fatalf("counts after test %v, %v", c, err)
	}
	r = e.Do("POST", "/v1/rules/test", map[string]any{"from": "BANK", "text": "price"})
	e.Want(r, 200)
	r.JSON(t, &plan)
	if plan.Fired[0].Steps[0].Skipped != rules.SkipAlphanumeric {
		t.Fatalf("reply to BANK %+v", plan.Fired[0].Steps[0])
	}
	r = e.Do("POST", "/v1/rules/test", map[string]any{"from": "+15550100001"})
	e.Want(r, 400)
	if code, field := r.ErrCode(t); code != api.CodeMissingField || field != "text" {
		t.Errorf("no text: %s %s", code, field)
	}

}

// Group actions: POST /v1/rules/test names the group and changes no
// contact; an engine without contacts refuses them (needs_contacts).
func TestRulesGroupActions(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.Do("POST", "/v1/rules", map[string]any{"match": map[string]any{"type": "first_word", "value": "JOIN"},
		"actions": []any{map[string]any{"type": "group_add", "group": " Newsletter "}}})
	e.Want(r, http.StatusCreated)
	var got rules.Rule
	r.JSON(t, &got)
	if len(got.Actions) != 1 || got.Actions[0].Group != "Newsletter" {
		t.Fatalf("created %+v", got)
	}
	var plan rules.Plan
	r = e.Do("POST", "/v1/rules/test", map[string]any{"from": "+15550100001", "text": "join"})
	e.Want(r, 200)
	r.JSON(t, &plan)
	if len(plan.Fired) != 1 || len(plan.Fired[0].Steps) != 1 || plan.Fired[0].Steps[0].Type != rules.ActionGroupAdd ||
		plan.Fired[0].Steps[0].Group != "Newsletter" || plan.Fired[0].Steps[0].Skipped != "" {
		t.Fatalf("plan %+v", plan)
	}
	if _, err := e.Q.ContactByNumber(t.Context(), "+15550100001"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("contact after a test: %v, want none", err)
	}
	if _, err := e.Q.Group(t.Context(), "Newsletter"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("group after a test: %v, want none", err)
	}

	eng, err := rules.NewEngine(nil, e.Q, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.Rebuild(func(b *api.Backend) { b.Rules = eng })
	r = e.Do("POST", "/v1/rules", map[string]any{"match": map[string]any{"type": "any"},
		"actions": []any{map[string]any{"type": "group_remove", "group": "vip"}}})
	e.Want(r, http.StatusBadRequest)
	if code, field := r.ErrCode(t); code != api.CodeNeedsContacts || field != "actions[0].type" {
		t.Errorf("without contacts: %s %s", code, field)
	}
}

func TestRulesUnavailable(t *testing.T) {
	e := newEnv(t, api.Options{})
	e.Rebuild(func(b *api.Backend) { b.Rules, b.Conversations = nil, nil })
	for _, p := range []string{"/v1/rules", "/v1/conversations"} {
		r := e.Do("GET", p, nil)
		e.Want(r, http.StatusServiceUnavailable)
	}
}
