package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/consent"
)

// Consent is opt-out and consent keeping as the API uses it, implemented
// by *consent.Service.
type Consent interface {
	// Record applies an opt-in or opt-out (a *consent.FieldError when bad).
	Record(ctx context.Context, r consent.Record, cc string) (consent.Applied, error)
	// RequestOptIn stores a double opt-in request and returns the text to
	// send the number.
	RequestOptIn(ctx context.Context, p consent.Pending, cc string) (consent.Pending, string, error)
	Status(ctx context.Context, number string) (consent.Status, error)
	OptOuts(ctx context.Context, after string, limit int) ([]consent.Status, error)
	Ledger(ctx context.Context, f consent.LedgerFilter) ([]consent.Record, error)
}

// Limits on the evidence a caller passes with a consent record.
const (
	maxEvidenceKeys  = 32
	maxEvidenceBytes = 4096
	maxDisclosure    = 2000
)

// ConsentRecord is a ledger record in the answers of the consent routes.
type ConsentRecord struct {
	consent.Record
	// Changed is false when the number already stood there: nothing was
	// recorded. Cancelled counts the queued messages an opt-out cancelled.
	Changed   bool `json:"changed"`
	Cancelled int  `json:"cancelled"`
}

// OptOutList is the answer of GET /v1/optouts.
type OptOutList struct {
	OptOuts    []consent.Status `json:"optouts"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// LedgerList is the JSON answer of GET /v1/consent.
type LedgerList struct {
	Records    []consent.Record `json:"records"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// PendingOptIn is the answer of POST /v1/consent with double_opt_in.
type PendingOptIn struct {
	Number    string     `json:"number"`
	State     string     `json:"state"` // "pending"
	ExpiresAt time.Time  `json:"expires_at"`
	Message   SendResult `json:"message"` // the confirmation request
}

// consentRequest is the body of POST /v1/consent and POST /v1/optouts.
type consentRequest struct {
	Number            string            `json:"number"`
	Action            string            `json:"action"`
	Source            string            `json:"source"`
	Evidence          map[string]string `json:"evidence"`
	Disclosure        string            `json:"disclosure"`
	DisclosureVersion string            `json:"disclosure_version"`
	DoubleOptIn       bool              `json:"double_opt_in"`
}

// tokenName names who made a consent call: the token's name, or the
// dashboard user's, or "local" for a daemon without tokens.
func tokenName(ctx context.Context) string {
	c, ok := smsgw.CallerFrom(ctx)
	if !ok {
		return ""
	}
	if c.Token != "" {
		return c.Token
	}
	return c.Name
}

func (h *Handler) consentBackend() (Consent, *Error) {
	if h.b.Consent == nil {
		return nil, errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "consent keeping is not available in this process")
	}
	return h.b.Consent, nil
}

// consentErr maps a consent error: bad input is a 400 naming its field.
func (h *Handler) consentErr(err error) *Error {
	var fe *consent.FieldError
	if errors.As(err, &fe) {
		code := CodeInvalidField
		if fe.Field == "number" {
			code = CodeInvalidNumber
		}
		return errorf(http.StatusBadRequest, code, fe.Field, "%v", fe.Err)
	}
	return h.storeErr(err, "consent")
}

// checkConsentRequest validates what the caller may set on a record.
func checkConsentRequest(q *consentRequest) *Error {
	if q.Number == "" {
		return errorf(http.StatusBadRequest, CodeMissingField, "number", "number is required")
	}
	switch q.Source {
	case "":
		q.Source = consent.SourceAPI
	case consent.SourceAPI, consent.SourceImport:
	default:
		return badField("source", "source must be %q (the default) or %q", consent.SourceAPI, consent.SourceImport)
	}
	if len(q.Evidence) > maxEvidenceKeys {
		return badField("evidence", "at most %d keys", maxEvidenceKeys)
	}
	if b, _ := json.Marshal(q.Evidence); len(b) > maxEvidenceBytes {
		return badField("evidence", "%d bytes as JSON; at most %d", len(b), maxEvidenceBytes)
	}
	if len(q.Disclosure) > maxDisclosure || len(q.DisclosureVersion) > 100 {
		return badField("disclosure", "the disclosure has at most %d bytes and its version 100", maxDisclosure)
	}
	return nil
}

func (q consentRequest) record(ctx context.Context, a consent.Action) consent.Record {
	return consent.Record{Number: q.Number, Action: a, Source: q.Source, Token: tokenName(ctx),
		Disclosure: q.Disclosure, DisclosureVersion: q.DisclosureVersion, Evidence: q.Evidence}
}

func (h *Handler) writeApplied(w http.ResponseWriter, a consent.Applied) {
	writeJSON(w, http.StatusOK, ConsentRecord{Record: a.Record, Changed: a.Changed, Cancelled: a.Cancelled})
}

// postConsent records an opt-in or opt-out, or starts a double opt-in.
func (h *Handler) postConsent(w http.ResponseWriter, r *http.Request) *Error {
	c, e := h.consentBackend()
	if e != nil {
		return e
	}
	var q consentRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	if e := checkConsentRequest(&q); e != nil {
		return e
	}
	if q.Action == "" {
		return errorf(http.StatusBadRequest, CodeMissingField, "action", "action is required: %q or %q", consent.ActionOptIn, consent.ActionOptOut)
	}
	a, err := consent.ParseAction(q.Action)
	if err != nil || a == consent.ActionHelp {
		return badField("action", "action must be %q or %q", consent.ActionOptIn, consent.ActionOptOut)
	}
	if q.DoubleOptIn {
		if a != consent.ActionOptIn {
			return badField("double_opt_in", "a double opt-in confirms an opt_in")
		}
		return h.requestOptIn(w, r, c, q)
	}
	applied, err := c.Record(r.Context(), q.record(r.Context(), a), h.cc)
	if err != nil {
		return h.consentErr(err)
	}
	h.writeApplied(w, applied)
	return nil
}

// requestOptIn stores the request and sends the number the confirmation
// request; the number is opted in when it answers YES in time.
func (h *Handler) requestOptIn(w http.ResponseWriter, r *http.Request, c Consent, q consentRequest) *Error {
	p, text, err := c.RequestOptIn(r.Context(), consent.Pending{Number: q.Number, Source: q.Source, Token: tokenName(r.Context()),
		Disclosure: q.Disclosure, DisclosureVersion: q.DisclosureVersion, Evidence: q.Evidence}, h.cc)
	if err != nil {
		return h.consentErr(err)
	}
	msgs, e := h.build(draft{to: []string{p.Number}, text: text, deliveryReport: true}, "number", "text")
	if e != nil {
		return e
	}
	msgs[0].AutoReply = true
	res, err := h.b.Store.Submit(r.Context(), SubmitRequest{Messages: msgs})
	if err != nil {
		return h.storeErr(err, "message")
	}
	m := res.Messages[0]
	writeJSON(w, http.StatusAccepted, PendingOptIn{Number: p.Number, State: "pending", ExpiresAt: p.ExpiresAt,
		Message: SendResult{ID: m.ID, To: m.To, State: m.State, Reason: m.Reason, Parts: m.PartCount, Coding: m.Coding}})
	return nil
}

// postOptOut records an opt-out made outside SMS (a web form, a call).
func (h *Handler) postOptOut(w http.ResponseWriter, r *http.Request) *Error {
	c, e := h.consentBackend()
	if e != nil {
		return e
	}
	var q consentRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	if q.Action != "" && q.Action != string(consent.ActionOptOut) || q.DoubleOptIn {
		return badField("action", "POST /v1/optouts records an opt-out; use POST /v1/consent for an opt-in")
	}
	if e := checkConsentRequest(&q); e != nil {
		return e
	}
	applied, err := c.Record(r.Context(), q.record(r.Context(), consent.ActionOptOut), h.cc)
	if err != nil {
		return h.consentErr(err)
	}
	h.writeApplied(w, applied)
	return nil
}

// deleteOptOut takes a number off the opt-out list: an opt-in on record,
// made with the token's name.
func (h *Handler) deleteOptOut(w http.ResponseWriter, r *http.Request) *Error {
	c, e := h.consentBackend()
	if e != nil {
		return e
	}
	n, err := smsgw.NormalizeE164(mux.Vars(r)["number"], h.cc)
	if err != nil {
		return errorf(http.StatusBadRequest, CodeInvalidNumber, "number", "%v", err)
	}
	st, err := c.Status(r.Context(), n)
	if err != nil && !errors.Is(err, smsgw.ErrNotFound) {
		return h.consentErr(err)
	}
	if err != nil || !st.OptedOut() {
		return errorf(http.StatusNotFound, CodeNotFound, "number", "%s is not on the opt-out list", n)
	}
	applied, err := c.Record(r.Context(), consent.Record{Number: n, Action: consent.ActionOptIn, Source: consent.SourceAPI,
		Token: tokenName(r.Context())}, h.cc)
	if err != nil {
		return h.consentErr(err)
	}
	h.writeApplied(w, applied)
	return nil
}

// listOptOuts pages through the numbers standing opted out, by number.
func (h *Handler) listOptOuts(w http.ResponseWriter, r *http.Request) *Error {
	c, e := h.consentBackend()
	if e != nil {
		return e
	}
	limit, e := queryInt(r, "limit", 100, 1, 1000)
	if e != nil {
		return e
	}
	list, err := c.OptOuts(r.Context(), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return h.consentErr(err)
	}
	out := OptOutList{OptOuts: list}
	if out.OptOuts == nil {
		out.OptOuts = []consent.Status{}
	}
	if len(list) == limit {
		out.NextCursor = list[len(list)-1].Number
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getConsent exports the ledger, by number and period, as JSON pages or
// as one CSV document.
func (h *Handler) getConsent(w http.ResponseWriter, r *http.Request) *Error {
	c, e := h.consentBackend()
	if e != nil {
		return e
	}
	q := r.URL.Query()
	var f consent.LedgerFilter
	if n := q.Get("number"); n != "" {
		if strings.HasPrefix(n, " ") {
			n = "+" + strings.TrimSpace(n) // an unescaped + in a query string reads as a space
		}
		num, err := smsgw.NormalizeE164(n, h.cc)
		if err != nil {
			return errorf(http.StatusBadRequest, CodeInvalidNumber, "number", "%v", err)
		}
		f.Number = num
	}
	if f.Since, e = queryTime(r, "since"); e != nil {
		return e
	}
	if f.Until, e = queryTime(r, "until"); e != nil {
		return e
	}
	if cur := q.Get("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || n < 0 {
			return badField("cursor", "cursor must be the next_cursor of an earlier page")
		}
		f.After = n
	}
	switch q.Get("format") {
	case "", "json":
	case "csv":
		return h.ledgerCSV(w, r, c, f)
	default:
		return badField("format", "format must be json or csv")
	}
	if f.Limit, e = queryInt(r, "limit", 1000, 1, 10000); e != nil {
		return e
	}
	rs, err := c.Ledger(r.Context(), f)
	if err != nil {
		return h.consentErr(err)
	}
	out := LedgerList{Records: rs}
	if out.Records == nil {
		out.Records = []consent.Record{}
	}
	if len(rs) == f.Limit {
		out.NextCursor = strconv.FormatInt(rs[len(rs)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ledgerCSV writes every matching record, page by page.
func (h *Handler) ledgerCSV(w http.ResponseWriter, r *http.Request, c Consent, f consent.LedgerFilter) *Error {
	f.Limit = 5000
	rs, err := c.Ledger(r.Context(), f)
	if err != nil {
		return h.consentErr(err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="consent.csv"`)
	cw := csv.NewWriter(w)
	if err := cw.Write(consent.CSVHeader); err != nil {
		return nil // the client went away
	}
	for len(rs) > 0 {
		if err := consent.WriteCSV(cw, rs); err != nil {
			return nil
		}
		if len(rs) < f.Limit {
			break
		}
		f.After = rs[len(rs)-1].Seq
		if rs, err = c.Ledger(r.Context(), f); err != nil {
			h.log.Error("api: consent export cut short", "err", err)
			return nil // the header is out; the short document says it
		}
	}
	cw.Flush()
	return nil
}
