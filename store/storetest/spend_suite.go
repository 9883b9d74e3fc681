package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"smsgw"
	"smsgw/campaign"
	"smsgw/queue"
)

// testSpendStore: a message counts once; totals by day, modem, campaign
// and country at the price recorded; since/until bound the period.
func testSpendStore(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	ss, ok := st.(campaign.SpendStore)
	if !ok {
		t.Skipf("%T does not implement campaign.SpendStore", st)
	}
	day1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	for _, r := range []campaign.SpendRecord{
		{MessageID: "1", At: day1, Modem: "m1", Country: "DE", Campaign: "c1", Parts: 2, Price: 75000, Currency: "EUR"},
		{MessageID: "1", At: day1, Modem: "m1", Country: "DE", Campaign: "c1", Parts: 2, Price: 99000, Currency: "EUR"}, // again: ignored
		{MessageID: "2", At: day1, Modem: "m2", Country: "FR", Parts: 1, Price: 100000, Currency: "EUR"},
		{MessageID: "3", At: day2, Modem: "m1", Country: "DE", Campaign: "c1", Parts: 1, Price: 50000, Currency: "EUR"},
	} {
		if _, _, err := ss.RecordSpend(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	check := func(by string, since, until time.Time, want string) {
		t.Helper()
		lines, err := ss.Spend(ctx, by, since, until)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, l := range lines {
			got += l.Key + ":" + itoa(l.Messages) + "/" + itoa(l.Parts) + "/" + l.Cost.String() + l.Currency + " "
		}
		if got != want {
			t.Errorf("by %s: %q, want %q", by, got, want)
		}
	}
	check("day", time.Time{}, time.Time{}, "2026-12-01:2/3/0.25EUR 2026-12-02:1/1/0.05EUR ")
	check("modem", time.Time{}, time.Time{}, "m1:2/3/0.20EUR m2:1/1/0.10EUR ")
	check("campaign", time.Time{}, time.Time{}, ":1/1/0.10EUR c1:2/3/0.20EUR ")
	check("country", day2, time.Time{}, "DE:1/1/0.05EUR ")
	check("country", time.Time{}, day2, "DE:1/2/0.15EUR FR:1/1/0.10EUR ")
	if _, err := ss.Spend(ctx, "week", time.Time{}, time.Time{}); err == nil {
		t.Error("by week accepted")
	}
}

// testSpendFreeParts: a modem's first N parts of each UTC month are
// free, split within a message when the allowance runs out mid-message; a
// message recorded twice counts once and is not reported as recorded; the
// month's totals by modem read the cost after free parts.
func testSpendFreeParts(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	ss, ok := st.(campaign.SpendStore)
	tot, ok2 := st.(campaign.SpendTotals)
	if !ok || !ok2 {
		t.Skipf("%T does not implement campaign.SpendStore and SpendTotals", st)
	}
	nov := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	dec := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		r        campaign.SpendRecord
		free     int
		recorded bool
	}{
		{campaign.SpendRecord{MessageID: "1", At: nov, Modem: "m1", Parts: 3, Price: 100000, Currency: "EUR", FreePerMonth: 4}, 3, true},
		{campaign.SpendRecord{MessageID: "2", At: dec, Modem: "m1", Parts: 3, Price: 100000, Currency: "EUR", FreePerMonth: 4}, 3, true}, // a new month
		{campaign.SpendRecord{MessageID: "3", At: dec.Add(time.Minute), Modem: "m1", Parts: 2, Price: 100000, Currency: "EUR", FreePerMonth: 4}, 1, true},
		{campaign.SpendRecord{MessageID: "3", At: dec.Add(time.Minute), Modem: "m1", Parts: 2, Price: 100000, Currency: "EUR", FreePerMonth: 4}, 0, false},
		{campaign.SpendRecord{MessageID: "4", At: dec.Add(2 * time.Minute), Modem: "m1", Parts: 1, Price: 100000, Currency: "EUR", FreePerMonth: 4}, 0, true},
		{campaign.SpendRecord{MessageID: "5", At: dec.Add(2 * time.Minute), Modem: "m2", Parts: 2, Price: 100000, Currency: "EUR", Campaign: "7"}, 0, true},
		{campaign.SpendRecord{MessageID: "6", At: nov, Modem: "m2", Parts: 1, Price: 50000, Currency: "EUR", Campaign: "7"}, 0, true},
	} {
		free, rec, err := ss.RecordSpend(ctx, c.r)
		if err != nil || free != c.free || rec != c.recorded {
			t.Fatalf("record %d: free %d recorded %v err %v, want %d %v", i, free, rec, err, c.free, c.recorded)
		}
	}
	lines, err := ss.Spend(ctx, "modem", dec, time.Time{})
	if err != nil || len(lines) != 2 || lines[0].Parts != 6 || lines[0].FreeParts != 4 || lines[0].Cost.String() != "0.20" || lines[1].Cost.String() != "0.20" {
		t.Fatalf("by modem: %+v %v", lines, err)
	}
	cs, err := tot.CampaignSpend(ctx)
	if err != nil || len(cs) != 1 || cs["7"].String() != "0.25" {
		t.Fatalf("campaign spend: %+v %v", cs, err)
	}
	m, err := tot.ModemSpend(ctx, dec)
	if err != nil || m["m1"] != (campaign.ModemTotal{Cost: 200000, Parts: 6}) || m["m2"] != (campaign.ModemTotal{Cost: 200000, Parts: 2}) || len(m) != 2 {
		t.Fatalf("modem spend: %+v %v", m, err)
	}
}

// testTariffStore: tariffs set, replaced, read back after a reopen with
// their caps (nil stays nil), deleted; deleting a missing one is
// ErrNotFound.
func testTariffStore(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	ts, ok := st.(campaign.TariffStore)
	if !ok {
		t.Skipf("%T does not implement campaign.TariffStore", st)
	}
	if got, err := ts.Tariffs(ctx); err != nil || len(got) != 0 {
		t.Fatalf("fresh: %v %v", got, err)
	}
	day := campaign.Money(2000000)
	a := campaign.Tariff{Modem: "a", Prices: []campaign.Price{{Prefix: "49", PricePerPart: 50000, Currency: "EUR"}}, FreePartsPerMonth: 100, BudgetDay: &day}
	b := campaign.Tariff{Modem: "b", Prices: []campaign.Price{}}
	for _, x := range []campaign.Tariff{b, a, a} {
		if err := ts.SetTariff(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	st.Close(ctx)
	st = d.reopen(t, queue.Options{})
	ts = st.(campaign.TariffStore)
	got, err := ts.Tariffs(ctx)
	if err != nil || len(got) != 2 || got[0].Modem != "a" || got[0].FreePartsPerMonth != 100 || got[0].BudgetDay == nil || *got[0].BudgetDay != day ||
		got[0].BudgetMonth != nil || len(got[0].Prices) != 1 || got[0].Prices[0].PricePerPart != 50000 || got[1].Modem != "b" || got[1].BudgetDay != nil {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if err := ts.DeleteTariff(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteTariff(ctx, "a"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if got, _ := ts.Tariffs(ctx); len(got) != 1 || got[0].Modem != "b" {
		t.Fatalf("after delete: %+v", got)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
