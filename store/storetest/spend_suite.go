package storetest

import (
	"context"
	"testing"
	"time"

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
		if err := ss.RecordSpend(ctx, r); err != nil {
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
