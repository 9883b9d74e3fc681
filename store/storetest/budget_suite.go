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

// testCampaignBudget: a campaign's budget is set, changed and removed in
// its definition, the rest of which stays; an unknown campaign is
// ErrNotFound.
func testCampaignBudget(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	cs, ok := st.(campaign.Store)
	bs, ok2 := st.(campaign.BudgetStore)
	if !ok || !ok2 {
		t.Skipf("%T does not implement campaign.Store and campaign.BudgetStore", st)
	}
	sp := campaign.Spec{Name: "b", Template: "hi {{name}}", Audience: campaign.Audience{Numbers: []string{"+4915100000001"}}}
	if err := sp.Normalize(clk.Now(), time.UTC); err != nil {
		t.Fatal(err)
	}
	c, err := cs.AddCampaign(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	b := campaign.Money(1500000)
	got, err := bs.SetCampaignBudget(ctx, c.ID, &b)
	if err != nil || got.Budget == nil || *got.Budget != b || got.Template != "hi {{name}}" || got.Name != "b" {
		t.Fatalf("set: %+v %v", got, err)
	}
	if got, err = cs.Campaign(ctx, c.ID); err != nil || got.Budget == nil || got.Budget.String() != "1.50" {
		t.Fatalf("read back: %+v %v", got.Budget, err)
	}
	if got, err = bs.SetCampaignBudget(ctx, c.ID, nil); err != nil || got.Budget != nil || len(got.Audience.Numbers) != 1 {
		t.Fatalf("removed: %+v %v", got, err)
	}
	if _, err := bs.SetCampaignBudget(ctx, "999999", &b); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("unknown campaign: %v", err)
	}
}
