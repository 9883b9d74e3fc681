package config

import (
	"errors"
	"fmt"
	"strings"

	"smsgw/campaign"
)

// TariffConfig is one [[tariff]] table: a modem's own terms, which a
// tariff set through PUT /v1/tariffs/{modem} replaces. Its [[tariff.price]]
// tables take the keys of [[price]] (none: the global prices apply);
// free_parts_per_month are the parts each calendar month (UTC) sends at
// no cost; budget_day and budget_month cap what the modem spends per UTC
// day and month (absent: no cap): once reached, the modem sends nothing
// more until the cap is raised or the period ends. Example:
//
//	[[tariff]]
//	modem = "office"
//	free_parts_per_month = 500
//	budget_day = "2.00"
//	budget_month = "20.00"
//	  [[tariff.price]]
//	  price_per_part = "0.05"
//	  currency = "EUR"
type TariffConfig struct {
	Modem             string        `toml:"modem"`
	FreePartsPerMonth int           `toml:"free_parts_per_month"`
	BudgetDay         *PriceAmount  `toml:"budget_day"`
	BudgetMonth       *PriceAmount  `toml:"budget_month"`
	Prices            []PriceConfig `toml:"price"`
}

func amount(p *PriceAmount) *campaign.Money {
	if p == nil {
		return nil
	}
	v := p.Value
	return &v
}

// Tariffs returns the [[tariff]] tables as tariffs.
func Tariffs(ts []TariffConfig) []campaign.Tariff {
	out := make([]campaign.Tariff, 0, len(ts))
	for _, t := range ts {
		out = append(out, campaign.Tariff{Modem: t.Modem, Prices: Prices(t.Prices), FreePartsPerMonth: t.FreePartsPerMonth,
			BudgetDay: amount(t.BudgetDay), BudgetMonth: amount(t.BudgetMonth)})
	}
	return out
}

func validateTariffs(ts []TariffConfig, bad badFunc) {
	seen := map[string]int{}
	for i, t := range ts {
		key := fmt.Sprintf("tariff[%d]", i+1)
		if j, dup := seen[t.Modem]; dup && t.Modem != "" {
			bad(key+".modem", "modem %q already has tariff[%d]", t.Modem, j)
		}
		seen[t.Modem] = i + 1
		for name, a := range map[string]*PriceAmount{"budget_day": t.BudgetDay, "budget_month": t.BudgetMonth} {
			if a != nil && a.err != nil {
				bad(key+"."+name, "%s must be a decimal amount such as \"2.50\"", name)
			}
		}
		for j, p := range t.Prices {
			if !p.PricePerPart.set {
				bad(fmt.Sprintf("%s.price[%d].price_per_part", key, j+1), "price_per_part is required")
			} else if p.PricePerPart.err != nil {
				bad(fmt.Sprintf("%s.price[%d].price_per_part", key, j+1), "%v", p.PricePerPart.err)
			}
		}
		if err := campaign.CheckTariff(Tariffs(ts[i : i+1])[0]); err != nil {
			var te *campaign.TariffError
			if errors.As(err, &te) {
				bad(key+"."+strings.Replace(te.Field, "prices[", "price[", 1), "%s", te.Reason)
				continue
			}
			bad(key, "%v", err)
		}
	}
}
