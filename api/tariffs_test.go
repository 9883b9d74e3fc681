package api_test

import (
	"strings"
	"testing"
	"time"

	"smsgw/api"
)

// TestTariffRoutes: a modem's tariff set, read with its usage, refused when
// bad (a code and the field), used by a quote pinned to the modem (its
// prices, its free parts left), and deleted.
func TestTariffRoutes(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	e.Want(e.Do("PUT", "/v1/prices", map[string]any{"prices": []map[string]string{{"prefix": "", "price_per_part": "0.10", "currency": "EUR"}}}), 200)
	var list api.TariffList
	r := e.Do("GET", "/v1/tariffs", nil)
	e.Want(r, 200)
	r.JSON(t, &list)
	if len(list.Tariffs) != 0 {
		t.Fatalf("fresh %+v", list)
	}
	e.Want(e.Do("GET", "/v1/tariffs/m1", nil), 404)
	for body, field := range map[string]string{
		`{"free_parts_per_month": -3}`: "free_parts_per_month",
		`{"budget_day": "-1"}`:         "",
		`{"prices": [{"prefix": "49", "price_per_part": "0.01", "currency": "EURO"}]}`: "prices[1].currency",
		`{"budget": "1"}`: "",
	} {
		r := e.Do("PUT", "/v1/tariffs/m1", body)
		e.Want(r, 400)
		if field != "" && !strings.Contains(string(r.Body), `"field":"`+field+`"`) {
			t.Errorf("%s: %s", body, r.Body)
		}
	}
	r = e.Do("PUT", "/v1/tariffs/m1", map[string]any{"free_parts_per_month": 3, "budget_day": "1.00",
		"prices": []map[string]string{{"prefix": "49", "price_per_part": "0.02", "currency": "EUR"}, {"prefix": "", "price_per_part": "0.05", "currency": "EUR"}}})
	e.Want(r, 200)
	var ta api.TariffAnswer
	r.JSON(t, &ta)
	if ta.Modem != "m1" || ta.Source != "api" || ta.Currency != "EUR" || len(ta.Prices) != 2 || ta.BudgetDay.String() != "1.00" || ta.BudgetMonth != nil ||
		ta.Usage == nil || ta.Usage.FreePartsLeft != 3 || ta.Usage.Paused != "" {
		t.Fatalf("put %s", r.Body)
	}
	// Two parts spent this month: one free part left.
	e.Ledger.Add(t.Context(), "m1", "1", "", time.Now(), 0, 2)
	body := map[string]any{"to": []string{"+4915111111111", "+4915122222222", "+33612345678"}, "text": "hello"}
	var q api.QuoteAnswer
	r = e.Do("POST", "/v1/quote", body)
	e.Want(r, 200)
	r.JSON(t, &q)
	if q.Total.String() != "0.30" || q.Modem != "" || q.FreeParts != 0 {
		t.Fatalf("unpinned quote %s", r.Body)
	}
	body["modem"] = "m1"
	q = api.QuoteAnswer{}
	r = e.Do("POST", "/v1/quote", body)
	e.Want(r, 200)
	r.JSON(t, &q)
	// The first part free, then 0.02 and 0.05.
	if q.Total.String() != "0.07" || q.Modem != "m1" || q.FreeParts != 1 || q.Messages[0].FreeParts != 1 || q.Messages[0].Cost.String() != "0.00" {
		t.Fatalf("pinned quote %s", r.Body)
	}
	body["modem"] = "nope"
	e.Want(e.Do("POST", "/v1/quote", body), 422)

	r = e.Do("GET", "/v1/tariffs", nil)
	list = api.TariffList{}
	r.JSON(t, &list)
	if len(list.Tariffs) != 1 || list.Tariffs[0].Usage.MonthParts != 2 {
		t.Fatalf("list %s", r.Body)
	}
	e.Want(e.Do("DELETE", "/v1/tariffs/m1", nil), 204)
	e.Want(e.Do("DELETE", "/v1/tariffs/m1", nil), 404)
}

// TestCampaignBudgetRoute: a campaign created with a budget shows it; PUT
// /v1/campaigns/{id}/budget changes or removes it, refuses a bad one and
// an unknown campaign.
func TestCampaignBudgetRoute(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	r := e.Do("POST", "/v1/campaigns", map[string]any{"name": "b", "template": "hi", "budget": "0.50", "audience": map[string]any{"numbers": []string{"+4915112345679"}}})
	e.Want(r, 201)
	var c struct {
		ID     string  `json:"id"`
		Budget *string `json:"budget"`
	}
	r.JSON(t, &c)
	if c.Budget == nil || *c.Budget != "0.50" {
		t.Fatalf("created %s", r.Body)
	}
	e.Want(e.Do("POST", "/v1/campaigns", map[string]any{"name": "b", "template": "hi", "budget": "-2", "audience": map[string]any{"numbers": []string{"+4915112345679"}}}), 400)
	r = e.Do("PUT", "/v1/campaigns/"+c.ID+"/budget", map[string]any{"budget": "3.00"})
	e.Want(r, 200)
	c.Budget = nil
	r.JSON(t, &c)
	if c.Budget == nil || *c.Budget != "3.00" {
		t.Fatalf("raised %s", r.Body)
	}
	r = e.Do("PUT", "/v1/campaigns/"+c.ID+"/budget", map[string]any{"budget": nil})
	e.Want(r, 200)
	if strings.Contains(string(r.Body), `"budget"`) {
		t.Fatalf("removed %s", r.Body)
	}
	e.Want(e.Do("PUT", "/v1/campaigns/"+c.ID+"/budget", `{"budget":"x"}`), 400)
	e.Want(e.Do("PUT", "/v1/campaigns/999/budget", map[string]any{"budget": "1"}), 404)
}
