package storetest

import (
	"context"
	"testing"

	"smsgw/campaign"
	"smsgw/queue"
)

// testPriceStore: no table until one is set; a set replaces the whole
// table, an empty one included; the table survives a reopen.
func testPriceStore(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	ps, ok := st.(campaign.PriceStore)
	if !ok {
		t.Skipf("%T does not implement campaign.PriceStore", st)
	}
	if rows, set, err := ps.Prices(ctx); err != nil || set || len(rows) != 0 {
		t.Fatalf("fresh: %v %v %v", rows, set, err)
	}
	want := []campaign.Price{{Prefix: "", PricePerPart: 100000, Currency: "EUR"}, {Prefix: "49", PricePerPart: 75000, Currency: "EUR"}}
	if err := ps.SetPrices(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := ps.SetPrices(ctx, want[1:]); err != nil {
		t.Fatal(err)
	}
	st.Close(ctx)
	ps = d.reopen(t, queue.Options{}).(campaign.PriceStore)
	rows, set, err := ps.Prices(ctx)
	if err != nil || !set || len(rows) != 1 || rows[0] != want[1] {
		t.Fatalf("after reopen: %+v %v %v", rows, set, err)
	}
	if err := ps.SetPrices(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if rows, set, err := ps.Prices(ctx); err != nil || !set || len(rows) != 0 {
		t.Fatalf("emptied: %+v %v %v", rows, set, err)
	}
}
