package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/rules"
)

// Rules is the keyword rules engine as the API uses it, implemented by
// *rules.Engine.
type Rules interface {
	// List returns every rule in evaluation order.
	List(ctx context.Context) ([]rules.Rule, error)
	// Get returns one rule or smsgw.ErrNotFound.
	Get(ctx context.Context, id string) (rules.Rule, error)
	// Add validates and stores a rule (a *rules.ValidationError when bad).
	Add(ctx context.Context, r rules.Rule) (rules.Rule, error)
	// Put replaces a stored rule; configured rules are smsgw.ErrConflict.
	Put(ctx context.Context, r rules.Rule) (rules.Rule, error)
	// Delete removes a stored rule; configured rules are smsgw.ErrConflict.
	Delete(ctx context.Context, id string) error
	// Plan says what the rules would do with a message, sending nothing.
	Plan(ctx context.Context, m rules.Message) (rules.Plan, error)
}

// CodeNeedsContacts: a rule asks for a group action, which needs contacts.
const CodeNeedsContacts = "needs_contacts"

// ruleRequest is the body of POST /v1/rules and PUT /v1/rules/{id}.
type ruleRequest struct {
	Name     string         `json:"name"`
	Position int            `json:"position"`
	Disabled bool           `json:"disabled"`
	Match    rules.Match    `json:"match"`
	Actions  []rules.Action `json:"actions"`
	Then     string         `json:"then"`
}

func (q ruleRequest) rule() rules.Rule {
	return rules.Rule{Name: q.Name, Position: q.Position, Disabled: q.Disabled, Match: q.Match, Actions: q.Actions, Then: q.Then}
}

// RuleList is the answer of GET /v1/rules.
type RuleList struct {
	Rules []rules.Rule `json:"rules"`
}

// testRequest is the body of POST /v1/rules/test: a message as if it had
// just been received.
type testRequest struct {
	From  string  `json:"from"`
	Text  *string `json:"text"`
	Modem string  `json:"modem"`
	To    string  `json:"to"`
}

func (h *Handler) rulesBackend() (Rules, *Error) {
	if h.b.Rules == nil {
		return nil, errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "keyword rules are not available in this process")
	}
	return h.b.Rules, nil
}

// ruleErr maps a rules error: a bad rule is a 400 naming its field.
func (h *Handler) ruleErr(err error) *Error {
	var ve *rules.ValidationError
	if errors.As(err, &ve) {
		code := CodeInvalidField
		if errors.Is(err, rules.ErrNeedsContacts) {
			code = CodeNeedsContacts
		}
		return errorf(http.StatusBadRequest, code, ve.Field, "%s", ve.Reason)
	}
	if errors.Is(err, smsgw.ErrConflict) {
		return errorf(http.StatusConflict, CodeConflict, "", "%s", conflictReason(err))
	}
	return h.storeErr(err, "rule")
}

// conflictReason is the sentence of a conflict without the sentinel's
// own words at its end.
func conflictReason(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+smsgw.ErrConflict.Error())
}

func (h *Handler) listRules(w http.ResponseWriter, r *http.Request) *Error {
	rb, e := h.rulesBackend()
	if e != nil {
		return e
	}
	list, err := rb.List(r.Context())
	if err != nil {
		return h.ruleErr(err)
	}
	if list == nil {
		list = []rules.Rule{}
	}
	writeJSON(w, http.StatusOK, RuleList{Rules: list})
	return nil
}

func (h *Handler) getRule(w http.ResponseWriter, r *http.Request) *Error {
	rb, e := h.rulesBackend()
	if e != nil {
		return e
	}
	rule, err := rb.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.ruleErr(err)
	}
	writeJSON(w, http.StatusOK, rule)
	return nil
}

func (h *Handler) postRule(w http.ResponseWriter, r *http.Request) *Error {
	rb, e := h.rulesBackend()
	if e != nil {
		return e
	}
	var req ruleRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	rule, err := rb.Add(r.Context(), req.rule())
	if err != nil {
		return h.ruleErr(err)
	}
	w.Header().Set("Location", "/v1/rules/"+rule.ID)
	writeJSON(w, http.StatusCreated, rule)
	return nil
}

func (h *Handler) putRule(w http.ResponseWriter, r *http.Request) *Error {
	rb, e := h.rulesBackend()
	if e != nil {
		return e
	}
	id := mux.Vars(r)["id"]
	if _, err := rb.Get(r.Context(), id); err != nil {
		return h.ruleErr(err)
	}
	var req ruleRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	rule := req.rule()
	rule.ID = id
	rule, err := rb.Put(r.Context(), rule)
	if err != nil {
		return h.ruleErr(err)
	}
	writeJSON(w, http.StatusOK, rule)
	return nil
}

func (h *Handler) deleteRule(w http.ResponseWriter, r *http.Request) *Error {
	rb, e := h.rulesBackend()
	if e != nil {
		return e
	}
	if err := rb.Delete(r.Context(), mux.Vars(r)["id"]); err != nil {
		return h.ruleErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) testRules(w http.ResponseWriter, r *http.Request) *Error {
	rb, e := h.rulesBackend()
	if e != nil {
		return e
	}
	var req testRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if req.Text == nil {
		return errorf(http.StatusBadRequest, CodeMissingField, "text", "text is required")
	}
	from := strings.TrimSpace(req.From)
	if from == "" {
		return errorf(http.StatusBadRequest, CodeMissingField, "from", "from is required: the sender to test with")
	}
	// Senders may be alphanumeric ("BANK"); normalise only numbers.
	if n, err := smsgw.NormalizeE164(from, h.cc); err == nil {
		from = n
	}
	plan, err := rb.Plan(r.Context(), rules.Message{From: from, Text: *req.Text, Modem: req.Modem, To: req.To})
	if err != nil {
		return h.ruleErr(err)
	}
	writeJSON(w, http.StatusOK, plan)
	return nil
}
