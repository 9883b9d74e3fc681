package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"smsgw"
	"smsgw/api"
	"smsgw/consent"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

// The consent routes: an opt-out through the API suppresses marketing at
// the next send and cancels what was queued, is listed, shows in the
// ledger (JSON and CSV, by number and period) with the token's name and
// the caller's evidence, and is lifted by DELETE; a double opt-in sends
// its confirmation request; bad input is a 400 naming the field.
func TestConsentRoutes(t *testing.T) {
	e := httpdtest.New(t, httpd.Options{Tokens: []httpd.Token{{Secret: "t0k3n", Scope: api.ScopeFull}}})
	const n = "+4915112345678"
	queued := e.Do("POST", "/v1/messages", map[string]any{"to": n, "text": "offer", "category": "marketing"})
	e.Want(queued, http.StatusAccepted)
	var sent api.SendResponse
	queued.JSON(t, &sent)

	r := e.Do("POST", "/v1/optouts", map[string]any{"number": "+49 151 12345678", "evidence": map[string]string{"ip": "192.0.2.4", "form": "https://example.com/stop"}})
	e.Want(r, http.StatusOK)
	var rec api.ConsentRecord
	r.JSON(t, &rec)
	if !rec.Changed || rec.Cancelled != 1 || rec.Number != n || rec.Action != consent.ActionOptOut || rec.Source != consent.SourceAPI ||
		!strings.HasPrefix(rec.Token, "full:") || rec.Evidence["ip"] != "192.0.2.4" || rec.Hash == "" {
		t.Fatalf("opt-out answer %+v", rec)
	}
	var m api.Message
	r = e.Do("GET", "/v1/messages/"+sent.Messages[0].ID, nil)
	r.JSON(t, &m)
	if m.State != smsgw.StateCancelled || m.Reason != "opted_out" || m.Category != smsgw.CategoryMarketing {
		t.Errorf("queued marketing after the opt-out: %s %q %q", m.State, m.Reason, m.Category)
	}
	r = e.Do("POST", "/v1/messages", map[string]any{"to": []string{n, "+4915187654321"}, "text": "offer 2", "category": "marketing"})
	e.Want(r, http.StatusAccepted)
	r.JSON(t, &sent)
	if sent.Messages[0].State != smsgw.StateSuppressed || sent.Messages[0].Reason != "opted_out" || sent.Messages[1].State != smsgw.StateQueued {
		t.Errorf("send to an opted-out number: %+v", sent.Messages)
	}
	r = e.Do("POST", "/v1/messages", map[string]any{"to": n, "text": "code 1234"})
	e.Want(r, http.StatusAccepted)
	r.JSON(t, &sent)
	if sent.Messages[0].State != smsgw.StateQueued {
		t.Errorf("transactional to an opted-out number: %+v", sent.Messages)
	}
	r = e.Do("POST", "/v1/optouts", map[string]any{"number": n})
	e.Want(r, http.StatusOK)
	r.JSON(t, &rec)
	if rec.Changed || rec.Seq != 1 {
		t.Errorf("repeated opt-out %+v", rec)
	}

	var list api.OptOutList
	r = e.Do("GET", "/v1/optouts", nil)
	e.Want(r, http.StatusOK)
	r.JSON(t, &list)
	if len(list.OptOuts) != 1 || list.OptOuts[0].Number != n {
		t.Errorf("opt-outs %+v", list)
	}

	r = e.Do("DELETE", "/v1/optouts/"+n, nil)
	e.Want(r, http.StatusOK)
	r.JSON(t, &rec)
	if !rec.Changed || rec.Action != consent.ActionOptIn || rec.Seq != 2 {
		t.Errorf("lifted opt-out %+v", rec)
	}
	e.Want(e.Do("DELETE", "/v1/optouts/"+n, nil), http.StatusNotFound)
	r = e.Do("POST", "/v1/consent", map[string]any{"number": "+4915100000077", "action": "opt_in", "source": "import",
		"disclosure": "Weekly offers by SMS", "disclosure_version": "v1"})
	e.Want(r, http.StatusOK)

	r = e.Do("POST", "/v1/consent", map[string]any{"number": "+4915100000088", "action": "opt_in", "double_opt_in": true,
		"evidence": map[string]string{"ip": "192.0.2.9"}})
	e.Want(r, http.StatusAccepted)
	var pend api.PendingOptIn
	r.JSON(t, &pend)
	if pend.State != "pending" || pend.Message.State != smsgw.StateQueued || pend.ExpiresAt.IsZero() {
		t.Errorf("double opt-in %+v", pend)
	}
	r = e.Do("GET", "/v1/messages/"+pend.Message.ID, nil)
	r.JSON(t, &m)
	if !strings.Contains(m.Text, "YES") || !m.AutoReply {
		t.Errorf("confirmation request %+v", m)
	}

	var led api.LedgerList
	r = e.Do("GET", "/v1/consent", nil)
	e.Want(r, http.StatusOK)
	r.JSON(t, &led)
	if len(led.Records) != 3 {
		t.Fatalf("ledger %+v", led)
	}
	var v consent.Verifier
	for _, rec := range led.Records {
		if err := v.Add(rec); err != nil {
			t.Error(err)
		}
	}
	r = e.Do("GET", "/v1/consent?number="+n+"&limit=1", nil)
	r.JSON(t, &led)
	if len(led.Records) != 1 || led.NextCursor != "1" {
		t.Errorf("first page by number %+v", led)
	}
	r = e.Do("GET", "/v1/consent?number="+n+"&limit=1&cursor="+led.NextCursor, nil)
	r.JSON(t, &led)
	if len(led.Records) != 1 || led.Records[0].Action != consent.ActionOptIn {
		t.Errorf("second page by number %+v", led)
	}
	r = e.Do("GET", "/v1/consent?format=csv&until=2000-01-01T00:00:00Z", nil)
	e.Want(r, http.StatusOK)
	if rs, err := consent.ReadCSV(bytes.NewReader(r.Body)); err != nil || len(rs) != 0 {
		t.Errorf("CSV before 2000: %d records, %v", len(rs), err)
	}
	r = e.Do("GET", "/v1/consent?format=csv", nil)
	rs, err := consent.ReadCSV(bytes.NewReader(r.Body))
	if err != nil || len(rs) != 3 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: %d records, %v", len(rs), err)
	}
	var cv consent.Verifier
	for _, rec := range rs {
		if err := cv.Add(rec); err != nil {
			t.Errorf("CSV round trip: %v", err)
		}
	}

	for _, c := range []struct {
		method, path string
		body         any
		code, field  string
	}{
		{"POST", "/v1/consent", map[string]any{"number": n}, api.CodeMissingField, "action"},
		{"POST", "/v1/consent", map[string]any{"number": n, "action": "help"}, api.CodeInvalidField, "action"},
		{"POST", "/v1/consent", map[string]any{"action": "opt_in"}, api.CodeMissingField, "number"},
		{"POST", "/v1/consent", map[string]any{"number": "12ab", "action": "opt_in"}, api.CodeInvalidNumber, "number"},
		{"POST", "/v1/consent", map[string]any{"number": n, "action": "opt_out", "double_opt_in": true}, api.CodeInvalidField, "double_opt_in"},
		{"POST", "/v1/consent", map[string]any{"number": n, "action": "opt_in", "source": "sms"}, api.CodeInvalidField, "source"},
		{"POST", "/v1/consent", map[string]any{"number": n, "action": "opt_in", "evidence": map[string]any{"n": 1}}, api.CodeInvalidField, "evidence"},
		{"POST", "/v1/optouts", map[string]any{"number": n, "action": "opt_in"}, api.CodeInvalidField, "action"},
		{"GET", "/v1/consent?format=xml", nil, api.CodeInvalidField, "format"},
		{"GET", "/v1/consent?cursor=x", nil, api.CodeInvalidField, "cursor"},
		{"GET", "/v1/consent?since=yesterday", nil, api.CodeInvalidField, "since"},
		{"POST", "/v1/messages", map[string]any{"to": n, "text": "x", "category": "spam"}, api.CodeInvalidField, "category"},
	} {
		r := e.Do(c.method, c.path, c.body)
		e.Want(r, http.StatusBadRequest)
		if code, field := r.ErrCode(t); code != c.code || field != c.field {
			t.Errorf("%s %s %v: %s on %q, want %s on %q", c.method, c.path, c.body, code, field, c.code, c.field)
		}
	}
}
