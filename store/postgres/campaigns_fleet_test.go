package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"smsgw"
	"smsgw/campaign"
	"smsgw/queue"
	"smsgw/store/postgres/pgtest"
	"smsgw/store/storetest"
)

// TestFleetCampaignFeed: every gateway runs a feeder over the same
// campaigns. Three gateways feeding one campaign's recipients at once, in
// overlapping batches, queue each recipient exactly once; a pause through
// one gateway holds what the others queued.
func TestFleetCampaignFeed(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	clk := storetest.NewClock()
	gws := []interface {
		campaign.Store
		queue.Storage
	}{gateway(t, dsn, "gw-a", clk), gateway(t, dsn, "gw-b", clk), gateway(t, dsn, "gw-c", clk)}
	ctx := context.Background()
	const n = 300
	c, err := gws[0].AddCampaign(ctx, campaign.Spec{Name: "fleet", Template: "hi", Category: smsgw.CategoryMarketing,
		Audience: campaign.Audience{Numbers: []string{"+4915200000000"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = gws[1].SetCampaignState(ctx, c.ID, []campaign.State{campaign.StateDraft}, campaign.StateRunning, ""); err != nil {
		t.Fatal(err)
	}
	ts := make([]campaign.Target, n)
	for i := range ts {
		ts[i] = campaign.Target{Number: fmt.Sprintf("+4915200%06d", i), Text: fmt.Sprintf("hi %d", i), Parts: 1, State: campaign.RecipientPending}
	}
	// Two gateways expand the same audience (a restart of one mid-way):
	// the recipients are stored once.
	var added [2]int
	var wg sync.WaitGroup
	for g := range added {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if added[g], err = gws[g].AddTargets(ctx, c.ID, 0, ts); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if added[0]+added[1] != n {
		t.Fatalf("two expansions added %d and %d recipients, want %d in all", added[0], added[1], n)
	}
	if err := gws[2].MarkExpanded(ctx, c.ID, 0, campaign.Cost{}); err != nil {
		t.Fatal(err)
	}
	fed := make([]int, len(gws))
	for g, st := range gws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				pend, err := st.PendingTargets(ctx, c.ID, 0, clk.Now(), 0, 40)
				if err != nil {
					t.Error(err)
					return
				}
				if len(pend) == 0 {
					return
				}
				k, err := st.FeedTargets(ctx, c, pend)
				if err != nil {
					t.Error(err)
					return
				}
				fed[g] += k
			}
		}()
	}
	wg.Wait()
	if fed[0]+fed[1]+fed[2] != n {
		t.Fatalf("the gateways fed %v, %d in all; want %d", fed, fed[0]+fed[1]+fed[2], n)
	}
	seen := map[string]int{}
	var cursor int64
	for {
		page, err := gws[1].List(ctx, queue.Filter{Campaign: c.ID, Limit: 100, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			seen[m.To]++
		}
		if cursor = page.Next; cursor == 0 {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("%d recipients have a message, want %d", len(seen), n)
	}
	for to, k := range seen {
		if k != 1 {
			t.Errorf("%s has %d messages", to, k)
		}
	}
	if _, err := gws[2].PauseCampaign(ctx, c.ID, "hold"); err != nil {
		t.Fatal(err)
	}
	for _, st := range gws {
		if j, err := st.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"}); err == nil {
			t.Fatalf("gateway claimed message %d of a paused campaign", j.ID)
		}
	}
	got, err := gws[0].Campaign(ctx, c.ID)
	if err != nil || got.Counts.Recipients != n || got.Counts.Queued != n || got.State != campaign.StatePaused {
		t.Errorf("campaign %+v, %v", got, err)
	}
	t.Logf("fed per gateway: %v", fed)
}
