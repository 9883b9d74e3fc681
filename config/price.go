package config

import (
	"errors"
	"fmt"
	"strconv"

	"smsgw/campaign"
)

// PriceConfig is one [[price]] table: the price of one SMS part to the
// numbers starting with prefix (E.164 digits; empty or absent: the default
// for every other number), in an ISO 4217 currency, the same for every
// table. A table set through PUT /v1/prices replaces these. Example:
//
//	[[price]]
//	prefix = "49"
//	price_per_part = "0.075"
//	currency = "EUR"
type PriceConfig struct {
	Prefix       string      `toml:"prefix"`
	PricePerPart PriceAmount `toml:"price_per_part"`
	Currency     string      `toml:"currency"`
}

// PriceAmount is a price written as a decimal string ("0.075") or a TOML
// number (0.075, read back as the shortest decimal that is that float).
type PriceAmount struct {
	Value campaign.Money
	set   bool
	err   error
}

// UnmarshalTOML reads a string, an integer or a float.
func (p *PriceAmount) UnmarshalTOML(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		p.err = fmt.Errorf("price_per_part must be a decimal such as \"0.075\"")
		p.set = true
		return nil
	}
	p.Value, p.err = campaign.ParseMoney(s)
	p.set = true
	return nil
}

// Prices returns the [[price]] tables as price rows.
func Prices(ps []PriceConfig) []campaign.Price {
	out := make([]campaign.Price, 0, len(ps))
	for _, p := range ps {
		out = append(out, campaign.Price{Prefix: p.Prefix, PricePerPart: p.PricePerPart.Value, Currency: p.Currency})
	}
	return out
}

func validatePrices(ps []PriceConfig, bad badFunc) {
	for i, p := range ps {
		key := fmt.Sprintf("price[%d]", i+1)
		if !p.PricePerPart.set {
			bad(key+".price_per_part", "price_per_part is required")
		} else if p.PricePerPart.err != nil {
			bad(key+".price_per_part", "%v", p.PricePerPart.err)
		}
	}
	if _, err := campaign.NewPriceTable(Prices(ps)); err != nil {
		var pe *campaign.PriceError
		if errors.As(err, &pe) {
			bad(fmt.Sprintf("price[%d].%s", pe.Row, pe.Field), "%s", pe.Reason)
			return
		}
		bad("price", "%v", err)
	}
}
