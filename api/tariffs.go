package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/campaign"
)

// Tariffs are the modems' own tariffs, implemented by *campaign.Tariffs.
type Tariffs interface {
	// All returns every tariff in force, by modem.
	All() []campaign.TariffInfo
	// Tariff returns one modem's tariff; ok is false when it has none.
	Tariff(modem string) (campaign.TariffInfo, bool)
	// Set checks (a *campaign.TariffError when bad), stores and puts in
	// force a modem's tariff.
	Set(ctx context.Context, t campaign.Tariff) (campaign.TariffInfo, error)
	// Delete removes the tariff the API set for a modem
	// (smsgw.ErrNotFound when none).
	Delete(ctx context.Context, modem string) error
	// Table is the price table a part sent by modem is priced by.
	Table(modem string) *campaign.PriceTable
}

// Budgets tell a modem's spend against its tariff, implemented by
// *campaign.Ledger.
type Budgets interface {
	Usage(modem string) campaign.Usage
}

// CodeInvalidTariff: a tariff body is bad.
const CodeInvalidTariff = "invalid_tariff"

// TariffAnswer is one tariff in the answers of /v1/tariffs: the tariff, the
// currency it charges in, its source (config or api) and the modem's
// usage now (spend today and this month, free parts left, a cap holding
// it).
type TariffAnswer struct {
	campaign.TariffInfo
	Usage *campaign.Usage `json:"usage,omitempty"`
}

// TariffList is the answer of GET /v1/tariffs.
type TariffList struct {
	Tariffs []TariffAnswer `json:"tariffs"`
}

type tariffRequest struct {
	Prices            []campaign.Price `json:"prices"`
	FreePartsPerMonth int              `json:"free_parts_per_month"`
	BudgetDay         *campaign.Money  `json:"budget_day"`
	BudgetMonth       *campaign.Money  `json:"budget_month"`
}

func (h *Handler) tariffsBackend() (Tariffs, *Error) {
	if h.b.Tariffs == nil {
		return nil, errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "tariffs are not available in this process")
	}
	return h.b.Tariffs, nil
}

func (h *Handler) tariffAnswer(t campaign.TariffInfo) TariffAnswer {
	a := TariffAnswer{TariffInfo: t}
	if h.b.Budgets != nil {
		u := h.b.Budgets.Usage(t.Modem)
		a.Usage = &u
	}
	return a
}

func (h *Handler) listTariffs(w http.ResponseWriter, r *http.Request) *Error {
	tb, e := h.tariffsBackend()
	if e != nil {
		return e
	}
	out := TariffList{Tariffs: []TariffAnswer{}}
	for _, t := range tb.All() {
		out.Tariffs = append(out.Tariffs, h.tariffAnswer(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getTariff(w http.ResponseWriter, r *http.Request) *Error {
	tb, e := h.tariffsBackend()
	if e != nil {
		return e
	}
	id := mux.Vars(r)["modem"]
	t, ok := tb.Tariff(id)
	if !ok {
		return errorf(http.StatusNotFound, CodeNotFound, "", "modem %q has no tariff", clip(id, 64))
	}
	writeJSON(w, http.StatusOK, h.tariffAnswer(t))
	return nil
}

func (h *Handler) putTariff(w http.ResponseWriter, r *http.Request) *Error {
	tb, e := h.tariffsBackend()
	if e != nil {
		return e
	}
	var q tariffRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	id := mux.Vars(r)["modem"]
	t, err := tb.Set(r.Context(), campaign.Tariff{Modem: id, Prices: q.Prices, FreePartsPerMonth: q.FreePartsPerMonth,
		BudgetDay: q.BudgetDay, BudgetMonth: q.BudgetMonth})
	if err != nil {
		var te *campaign.TariffError
		if errors.As(err, &te) {
			return errorf(http.StatusBadRequest, CodeInvalidTariff, te.Field, "%s", te.Reason)
		}
		return h.storeErr(err, "tariff")
	}
	writeJSON(w, http.StatusOK, h.tariffAnswer(t))
	return nil
}

func (h *Handler) deleteTariff(w http.ResponseWriter, r *http.Request) *Error {
	tb, e := h.tariffsBackend()
	if e != nil {
		return e
	}
	id := mux.Vars(r)["modem"]
	if err := tb.Delete(r.Context(), id); err != nil {
		if errors.Is(err, smsgw.ErrNotFound) {
			return errorf(http.StatusNotFound, CodeNotFound, "", "no tariff of modem %q was set through the API", clip(id, 64))
		}
		return h.storeErr(err, "tariff")
	}
	if t, ok := tb.Tariff(id); ok {
		// The configuration's tariff is in force again.
		writeJSON(w, http.StatusOK, h.tariffAnswer(t))
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
