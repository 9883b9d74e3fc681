package api

import (
	"net/http"
	"slices"
	"time"

	"smsgw/campaign"
)

// SpendReport is the answer of GET /v1/spend: what sent messages cost, at
// the price in force when each was sent, grouped by one key.
type SpendReport struct {
	By    string               `json:"by"`
	Since *time.Time           `json:"since,omitempty"`
	Until *time.Time           `json:"until,omitempty"`
	Rows  []campaign.SpendLine `json:"rows"`
	// Totals per currency (one, unless the price table changed currency).
	Totals []campaign.SpendLine `json:"totals"`
}

func (h *Handler) getSpend(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Spend == nil {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "spend is not available in this process")
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "day"
	}
	if !slices.Contains(campaign.SpendBy, by) {
		return badField("by", "by must be day, modem, campaign or country")
	}
	since, e := queryTime(r, "since")
	if e != nil {
		return e
	}
	until, e := queryTime(r, "until")
	if e != nil {
		return e
	}
	lines, err := h.b.Spend.Spend(r.Context(), by, since, until)
	if err != nil {
		return h.storeErr(err, "spend")
	}
	rep := SpendReport{By: by, Rows: lines, Totals: []campaign.SpendLine{}}
	if !since.IsZero() {
		rep.Since = &since
	}
	if !until.IsZero() {
		rep.Until = &until
	}
	for _, l := range lines {
		i := slices.IndexFunc(rep.Totals, func(t campaign.SpendLine) bool { return t.Currency == l.Currency })
		if i < 0 {
			rep.Totals = append(rep.Totals, campaign.SpendLine{Key: "total", Currency: l.Currency})
			i = len(rep.Totals) - 1
		}
		rep.Totals[i].Messages += l.Messages
		rep.Totals[i].Parts += l.Parts
		rep.Totals[i].FreeParts += l.FreeParts
		rep.Totals[i].Cost += l.Cost
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
