package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/campaign"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

func TestPricesAndQuote(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	var pl api.PriceList
	r := e.Do("GET", "/v1/prices", nil)
	e.Want(r, 200)
	r.JSON(t, &pl)
	if len(pl.Prices) != 0 || pl.Source != "config" {
		t.Fatalf("fresh %+v", pl)
	}
	req := httptest.NewRequest("PUT", "/v1/prices", strings.NewReader("prefix,price_per_part,currency\n,0.10,EUR\n49,0.075,EUR\n4915,0.05,EUR\n"))
	req.Header.Set("Content-Type", "text/csv")
	req.Host = "localhost:8787"
	r = e.Serve(req)
	e.Want(r, 200)
	pl = api.PriceList{}
	r.JSON(t, &pl)
	if pl.Currency != "EUR" || pl.Source != "api" || len(pl.Prices) != 3 || pl.Prices[1].PricePerPart.String() != "0.075" {
		t.Fatalf("put %+v", pl)
	}
	if !strings.Contains(string(r.Body), `"price_per_part":"0.075"`) {
		t.Fatalf("money is not a decimal string: %s", r.Body)
	}
	r = e.Do("GET", "/v1/prices?format=csv", nil)
	if string(r.Body) != "prefix,price_per_part,currency\n,0.10,EUR\n49,0.075,EUR\n4915,0.05,EUR\n" {
		t.Fatalf("csv %q", r.Body)
	}
	for _, bad := range []string{`{"prices":[{"prefix":"x","price_per_part":"1","currency":"EUR"}]}`, `{"prices":[{"prefix":"1","price_per_part":"-1","currency":"EUR"}]}`,
		`{"prices":[{"prefix":"1","price_per_part":"1","currency":"EUR"},{"prefix":"2","price_per_part":"1","currency":"USD"}]}`, `{}`} {
		r := e.Do("PUT", "/v1/prices", bad)
		e.Want(r, 400)
	}

	// A contact for the template, a group, and an opt-out.
	e.Want(e.Do("POST", "/v1/contacts", map[string]any{"number": "+4915111111111", "name": "Anna", "fields": map[string]string{"code": "A1"}, "groups": []string{"vip"}}), http.StatusCreated)
	e.Want(e.Do("POST", "/v1/contacts", map[string]any{"number": "+12125550123", "name": "Bob", "groups": []string{"vip"}}), http.StatusCreated)
	e.Want(e.Do("POST", "/v1/optouts", map[string]any{"number": "+4930123456"}), http.StatusOK)
	body := map[string]any{"to": []string{"030 123456", "+33612345678", "nope", "0151 11111111"}, "groups": []string{"vip"},
		"text": "Hi {{name|there}}, code {{fields.code|NONE}} – “today”", "category": "marketing", "smart_encoding": true}
	r = e.Do("POST", "/v1/quote", body)
	e.Want(r, 200)
	var q api.QuoteAnswer
	r.JSON(t, &q)
	// 030 123456 opted out; nope invalid; 0151 11111111 is also in vip (a duplicate).
	if q.Recipients != 3 || q.Parts != 3 || q.Currency != "EUR" || q.Total.String() != "0.25" || len(q.Skipped) != 3 {
		t.Fatalf("quote %+v", q)
	}
	reasons := map[string]string{}
	for _, s := range q.Skipped {
		reasons[s.To] = strings.Fields(s.Reason)[0]
	}
	if reasons["+4930123456"] != "suppressed:" || reasons["nope"] != "invalid_number:" || reasons["+4915111111111"] != "duplicate:" {
		t.Fatalf("skipped %+v", q.Skipped)
	}
	for _, m := range q.Messages {
		if m.Coding != "gsm7" || m.Cost == nil {
			t.Errorf("message %+v", m)
		}
		if m.To == "+4915111111111" && m.Text != `Hi Anna, code A1 - "today"` {
			t.Errorf("rendered %q", m.Text)
		}
	}
	if q.PartsBeforeSmart == nil || *q.PartsBeforeSmart != 3 {
		t.Fatalf("parts before smart %v", q.PartsBeforeSmart)
	}
	// Transactional: the opt-out does not apply.
	r = e.Do("POST", "/v1/quote", map[string]any{"to": "+4930123456", "text": "x"})
	q = campaign.Quote{}
	r.JSON(t, &q)
	if q.Recipients != 1 || q.Total.String() != "0.075" {
		t.Fatalf("transactional %+v", q)
	}
	for _, tc := range []struct {
		body        any
		status      int
		code, field string
	}{
		{map[string]any{"to": "+4930123456", "text": "{{nope}}"}, 400, api.CodeInvalidTemplate, "text"},
		{map[string]any{"to": "+4930123456"}, 400, api.CodeEmptyText, "text"},
		{map[string]any{"text": "x"}, 400, api.CodeMissingField, "to"},
		{map[string]any{"groups": []string{"nope"}, "text": "x"}, 404, api.CodeNotFound, ""},
		{map[string]any{"to": "+4930123456", "text": "x", "encoding": "ebcdic"}, 400, api.CodeInvalidField, "encoding"},
		{map[string]any{"to": "+4930123456", "text": "x", "bogus": 1}, 400, api.CodeUnknownField, "bogus"},
	} {
		r := e.Do("POST", "/v1/quote", tc.body)
		e.Want(r, tc.status)
		if code, field := r.ErrCode(t); code != tc.code || field != tc.field {
			t.Errorf("%v: %s on %q, want %s on %q", tc.body, code, field, tc.code, tc.field)
		}
	}
}

// BenchmarkQuote100k quotes a personalised marketing text to a group of
// 100,000 contacts (consent checked for each); the target is 2 s.
func BenchmarkQuote100k(b *testing.B) {
	e := httpdtest.New(b, httpd.Options{})
	var buf strings.Builder
	buf.WriteString("number,name,city\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&buf, "+49151%08d,Person %d,City %d\n", i, i, i%100)
	}
	r := e.Serve(csvRequest("/v1/contacts/import?group=all", buf.String()))
	if r.Code != 200 {
		b.Fatalf("import %d %s", r.Code, r.Body)
	}
	body := map[string]any{"groups": []string{"all"}, "text": "Hi {{name|there}} in {{fields.city}}, 20% off today only", "category": "marketing"}
	b.ResetTimer()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		before := cpuTime()
		r := e.Do("POST", "/v1/quote", body)
		cpu += cpuTime() - before
		if r.Code != 200 || len(r.Body) < 100000 {
			b.Fatalf("quote %d %.300s", r.Code, r.Body)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

func TestSpendRoute(t *testing.T) {
	e := newEnv(t, api.Options{})
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i, r := range []campaign.SpendRecord{
		{MessageID: "1", At: at, Modem: "m1", Country: "DE", Parts: 3, Price: 75000, Currency: "EUR"},
		{MessageID: "2", At: at.Add(48 * time.Hour), Modem: "m2", Country: "US", Parts: 1, Price: 20000, Currency: "EUR"},
	} {
		if _, _, err := e.Q.RecordSpend(t.Context(), r); err != nil {
			t.Fatal(i, err)
		}
	}
	var rep api.SpendReport
	r := e.Do("GET", "/v1/spend", nil)
	e.Want(r, 200)
	r.JSON(t, &rep)
	if rep.By != "day" || len(rep.Rows) != 2 || rep.Rows[0].Key != "2026-12-01" || rep.Totals[0].Cost.String() != "0.245" || rep.Totals[0].Parts != 4 {
		t.Fatalf("by day %+v", rep)
	}
	rep = api.SpendReport{}
	e.Do("GET", "/v1/spend?by=modem&until=2026-12-02T00:00:00Z", nil).JSON(t, &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Key != "m1" || rep.Rows[0].Cost.String() != "0.225" {
		t.Fatalf("by modem until %+v", rep)
	}
	for _, q := range []string{"by=week", "since=x", "until=yesterday"} {
		r := e.Do("GET", "/v1/spend?"+q, nil)
		e.Want(r, 400)
	}
}
