package campaign

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"smsgw/modem/pdu"
)

func TestMoney(t *testing.T) {
	for in, want := range map[string]string{"0.075": "0.075", "1": "1.00", "1.5": "1.50", ".5": "0.50", "0.000001": "0.000001", "12.345678": "12.345678"} {
		m, err := ParseMoney(in)
		if err != nil || m.String() != want {
			t.Errorf("%q: %v %v, want %s", in, m, err, want)
		}
	}
	for _, bad := range []string{"", ".", "-1", "1e3", "0.0000001", "1,5", "abc", "NaN", "1.2.3"} {
		if _, err := ParseMoney(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// Exact sums: a million parts at 0.000001 are exactly 1.
	var sum Money
	p, _ := ParseMoney("0.000001")
	for i := 0; i < 1000000; i++ {
		sum += p
	}
	if sum.String() != "1.00" {
		t.Fatalf("sum %s", sum)
	}
	var m Money
	if err := json.Unmarshal([]byte(`0.1`), &m); err != nil || m.String() != "0.10" {
		t.Fatalf("number: %v %v", m, err)
	}
	b, _ := json.Marshal(struct{ P Money }{m})
	if string(b) != `{"P":"0.10"}` {
		t.Fatalf("%s", b)
	}
}

func TestPriceTable(t *testing.T) {
	rows, err := ParsePriceCSV(strings.NewReader("prefix,price_per_part,currency\n,0.10,EUR\n49,0.07,EUR\n+4915,0.05,eur\n1,0.02,EUR\n"))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := NewPriceTable(rows)
	if err != nil {
		t.Fatal(err)
	}
	for num, want := range map[string]string{"+4915112345678": "4915 0.05", "+4930123456": "49 0.07", "+12125550123": "1 0.02", "+33612345678": " 0.10"} {
		p, price, ok := tab.Lookup(num)
		if !ok || p+" "+price.String() != want {
			t.Errorf("%s: %q %s %v, want %s", num, p, price, ok, want)
		}
	}
	if tab.Currency() != "EUR" || len(tab.Rows()) != 4 || tab.Rows()[0].Prefix != "" {
		t.Fatalf("rows %+v", tab.Rows())
	}
	noDefault, _ := NewPriceTable([]Price{{Prefix: "49", PricePerPart: 1, Currency: "EUR"}})
	if _, _, ok := noDefault.Lookup("+33612345678"); ok {
		t.Fatal("matched without a default")
	}
	for _, bad := range [][]Price{
		{{Prefix: "abc", Currency: "EUR"}}, {{Prefix: "049", Currency: "EUR"}}, {{Prefix: "49", Currency: "EURO"}},
		{{Prefix: "49", Currency: "EUR"}, {Prefix: "+49", Currency: "EUR"}}, {{Prefix: "49", Currency: "EUR"}, {Prefix: "1", Currency: "USD"}},
		{{Prefix: "49", Currency: "EUR", PricePerPart: -1}},
	} {
		var pe *PriceError
		if _, err := NewPriceTable(bad); !errors.As(err, &pe) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	for _, bad := range []string{"", "prefix,price\n", "prefix,price_per_part,currency\n49,x,EUR\n", "prefix,price_per_part,currency\n49,1\n"} {
		if _, err := ParsePriceCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestQuoteTotals: the totals equal an independent count (the PDU codec's
// own segmentation) times the table, for a mixed-country audience with
// skipped recipients.
func TestQuoteTotals(t *testing.T) {
	tab, _ := NewPriceTable([]Price{{Prefix: "", PricePerPart: 100000, Currency: "EUR"}, {Prefix: "49", PricePerPart: 70000, Currency: "EUR"}, {Prefix: "1", PricePerPart: 20000, Currency: "EUR"}})
	tpl, err := ParseTemplate("Hi {{name|there}}, {{fields.offer}} – only today… " + strings.Repeat("x", 120))
	if err != nil {
		t.Fatal(err)
	}
	rs := []Recipient{
		{Number: "+4915112345678", Name: "Anna", Fields: map[string]string{"offer": "10% off"}},
		{Number: "+4930123456", Fields: map[string]string{"offer": "free €-coffee"}},
		{Number: "+12125550123", Name: "Ödön 😀", Fields: map[string]string{"offer": "BOGO"}},
		{Number: "+33612345678", Name: "Claire", Fields: map[string]string{"offer": "x"}},
		{Number: "+33612345679", Name: "Dan"}, // no offer: skipped
		{Number: "+4915112345678", Name: "Anna", Fields: map[string]string{"offer": "dup"}},
	}
	for _, smart := range []bool{false, true} {
		qb := NewQuoter(tpl, smart, pdu.CodingAuto, tab)
		for _, r := range rs {
			qb.Add(r)
		}
		qb.Skip("+999", SkipInvalid+": not a number")
		q := qb.Result()
		var parts int
		var total Money
		for _, m := range q.Messages {
			text := m.Text
			segs, err := pdu.SegmentText(text, pdu.SegmentOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, price, _ := tab.Lookup(m.To)
			if m.Parts != len(segs) || *m.Cost != price*Money(len(segs)) {
				t.Errorf("%s: %d parts cost %s; the codec cuts %d", m.To, m.Parts, m.Cost, len(segs))
			}
			parts += len(segs)
			total += price * Money(len(segs))
		}
		if q.Recipients != 4 || q.Parts != parts || q.Total != total || len(q.Skipped) != 3 || q.Currency != "EUR" {
			t.Fatalf("smart=%v: %+v (want %d parts, %s)", smart, q, parts, total)
		}
		if q.Skipped[0].To != "+33612345679" || !strings.HasPrefix(q.Skipped[0].Reason, SkipMissing) || !strings.HasPrefix(q.Skipped[1].Reason, SkipDuplicate) {
			t.Fatalf("skipped %+v", q.Skipped)
		}
		var byCountry Money
		for _, c := range q.ByCountry {
			byCountry += c.Cost
		}
		if byCountry != q.Total || len(q.ByCountry) != 3 || q.ByCountry[0].Country != "DE" || q.ByCountry[0].Prefix != "49" {
			t.Fatalf("by country %+v", q.ByCountry)
		}
		if smart {
			if q.PartsBeforeSmart == nil || *q.PartsBeforeSmart <= q.Parts {
				t.Fatalf("smart encoding saved nothing: before %v, after %d", q.PartsBeforeSmart, q.Parts)
			}
		}
	}
}
