package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPriceTables(t *testing.T) {
	load := func(body string) (Config, error) {
		p := filepath.Join(t.TempDir(), "smsgw.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(p)
	}
	c, err := load("[[price]]\nprice_per_part = \"0.10\"\ncurrency = \"EUR\"\n\n[[price]]\nprefix = \"49\"\nprice_per_part = 0.075\ncurrency = \"EUR\"\n")
	if err != nil {
		t.Fatal(err)
	}
	ps := Prices(c.Prices)
	if len(ps) != 2 || ps[0].Prefix != "" || ps[0].PricePerPart.String() != "0.10" || ps[1].PricePerPart.String() != "0.075" {
		t.Fatalf("prices %+v", ps)
	}
	for body, key := range map[string]string{
		"[[price]]\nprefix = \"49\"\ncurrency = \"EUR\"\n":                                                                               "price[1].price_per_part",
		"[[price]]\nprefix = \"49\"\nprice_per_part = \"x\"\ncurrency = \"EUR\"\n":                                                       "price[1].price_per_part",
		"[[price]]\nprefix = \"4a\"\nprice_per_part = \"1\"\ncurrency = \"EUR\"\n":                                                       "price[1].prefix",
		"[[price]]\nprice_per_part = \"1\"\ncurrency = \"EUR\"\n[[price]]\nprefix = \"1\"\nprice_per_part = \"1\"\ncurrency = \"USD\"\n": "price[2].currency",
		"[[price]]\nprice_per_part = \"1\"\ncurrency = \"EUR\"\ncost = 1\n":                                                              "price",
	} {
		if _, err := load(body); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v, want an error naming %s", body, err, key)
		}
	}
}

func TestTariffTables(t *testing.T) {
	load := func(body string) (Config, error) {
		p := filepath.Join(t.TempDir(), "smsgw.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(p)
	}
	c, err := load("[[tariff]]\nmodem = \"office\"\nfree_parts_per_month = 500\nbudget_day = \"2.00\"\nbudget_month = 20\n[[tariff.price]]\nprice_per_part = \"0.05\"\ncurrency = \"EUR\"\n\n[[tariff]]\nmodem = \"spare\"\n")
	if err != nil {
		t.Fatal(err)
	}
	ts := Tariffs(c.Tariffs)
	if len(ts) != 2 || ts[0].Modem != "office" || ts[0].FreePartsPerMonth != 500 || ts[0].BudgetDay.String() != "2.00" || ts[0].BudgetMonth.String() != "20.00" ||
		len(ts[0].Prices) != 1 || ts[0].Prices[0].PricePerPart.String() != "0.05" || ts[1].BudgetDay != nil || len(ts[1].Prices) != 0 {
		t.Fatalf("tariffs %+v", ts)
	}
	for body, key := range map[string]string{
		"[[tariff]]\nfree_parts_per_month = 1\n":                                                                     "tariff[1].modem",
		"[[tariff]]\nmodem = \"a\"\nfree_parts_per_month = -1\n":                                                     "tariff[1].free_parts_per_month",
		"[[tariff]]\nmodem = \"a\"\nbudget_day = \"x\"\n":                                                            "tariff[1].budget_day",
		"[[tariff]]\nmodem = \"a\"\n[[tariff]]\nmodem = \"a\"\n":                                                     "tariff[2].modem",
		"[[tariff]]\nmodem = \"a\"\n[[tariff.price]]\nprefix = \"4x\"\nprice_per_part = \"1\"\ncurrency = \"EUR\"\n": "tariff[1].price[1].prefix",
		"[[tariff]]\nmodem = \"a\"\n[[tariff.price]]\ncurrency = \"EUR\"\n":                                          "tariff[1].price[1].price_per_part",
		"[[tariff]]\nmodem = \"a\"\nbudget = 1\n":                                                                    "tariff",
	} {
		if _, err := load(body); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v, want an error naming %s", body, err, key)
		}
	}
}
