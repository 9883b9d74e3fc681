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
