package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/campaign"
	"smsgw/queue"
	"smsgw/store/sqlite"
	"smsgw/store/storetest"
)

// A campaign's budget reached mid-campaign: the feeder pauses it at once
// (woken by the message that reached it) with a budget reason and an
// event, its remaining messages are held, not lost; raising the budget
// resumes it and every recipient is sent, once.
func TestCampaignBudgetPausesAndResumes(t *testing.T) {
	ctx := context.Background()
	clk := storetest.NewClock()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{Now: clk.Now}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	book, err := campaign.NewPriceBook(ctx, []campaign.Price{{PricePerPart: 100000, Currency: "EUR"}}, st)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := campaign.NewTariffs(ctx, book, nil, st)
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := campaign.NewLedger(ctx, campaign.LedgerOptions{Tariffs: ts, Totals: st, Events: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	gate := &campaign.BudgetGate{Ledger: ledger, Events: st}
	f := campaign.NewFeeder(campaign.FeederOptions{Store: st, Expander: campaign.Expander{CallingCode: "49"},
		Now: clk.Now, Location: time.UTC, Gates: []campaign.Gate{gate}})
	gate.Wake = f.Wake
	f.Start()
	defer f.Close(ctx)
	pass := func() {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for range 2 {
			n, _ := f.Passes()
			f.Wake()
			for {
				m, idle := f.Passes()
				if m > n {
					break
				}
				select {
				case <-idle:
				case <-deadline:
					t.Fatal("the feeder made no pass in 30 s")
				}
			}
		}
	}

	neg := campaign.Money(-1)
	var numbers []string
	for i := range 10 {
		numbers = append(numbers, fmt.Sprintf("+4915100000%03d", i))
	}
	sp := campaign.Spec{Name: "offer", Template: "hello", Audience: campaign.Audience{Numbers: numbers}, Budget: money("0.25")}
	if err := sp.Normalize(clk.Now(), time.UTC); err != nil {
		t.Fatal(err)
	}
	bad := sp
	bad.Budget = &neg
	if err := bad.Normalize(clk.Now(), time.UTC); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("a negative budget: %v", err)
	}
	c, err := st.AddCampaign(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCampaignState(ctx, c.ID, []campaign.State{campaign.StateDraft}, campaign.StateRunning, ""); err != nil {
		t.Fatal(err)
	}
	pass()

	// A modem sends what it can claim, each message counted as it goes.
	sent := map[int64]bool{}
	send := func() bool {
		t.Helper()
		job, err := st.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"})
		if errors.Is(err, queue.ErrNoMessage) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if sent[job.ID] {
			t.Fatalf("message %d claimed twice", job.ID)
		}
		if _, err := st.MarkSent(ctx, job.AttemptID, queue.PartResult{Seq: 1, Total: 1, Ref: 1, MR: len(sent)}); err != nil {
			t.Fatal(err)
		}
		sent[job.ID] = true
		ledger.Sent("m1", job.ID, job.To, 1, job.Campaign)
		return true
	}
	for range 3 {
		if !send() {
			t.Fatalf("nothing to claim after %d sent", len(sent))
		}
	}
	// 0.30 spent of 0.25: the feeder, woken, pauses the campaign.
	pass()
	c, err = st.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != campaign.StatePaused || !strings.HasPrefix(c.Reason, campaign.ReasonBudget+":") {
		t.Fatalf("after the budget: %s %q", c.State, c.Reason)
	}
	if send() {
		t.Fatal("a message of the paused campaign was claimed")
	}
	if c.Counts.Sent != 3 || c.Counts.Queued != 7 || c.Counts.Recipients != 10 {
		t.Fatalf("counts after the pause: %+v", c.Counts)
	}
	var paused []string
	evs, _ := st.Events(ctx, 0, 1000)
	for _, e := range evs {
		if e.Type == queue.EventBudgetPaused && strings.Contains(string(e.Data), `"campaign":"`+c.ID+`"`) {
			paused = append(paused, string(e.Data))
		}
	}
	if len(paused) != 1 {
		t.Fatalf("budget.paused events of the campaign: %v", paused)
	}
	// Raising it, but not enough, leaves it paused.
	if c, err = campaign.SetCampaignBudget(ctx, st, gate, c.ID, money("0.30"), f.Wake); err != nil || c.State != campaign.StatePaused {
		t.Fatalf("raised to 0.30: %s %v", c.State, err)
	}
	if _, err := campaign.SetCampaignBudget(ctx, st, gate, c.ID, &neg, f.Wake); err == nil {
		t.Fatal("a negative budget was set")
	}
	// Raising it above the spend resumes it: the rest is sent, once each.
	if c, err = campaign.SetCampaignBudget(ctx, st, gate, c.ID, money("2.00"), f.Wake); err != nil || c.State != campaign.StateRunning || c.Budget.String() != "2.00" {
		t.Fatalf("raised to 2.00: %+v %v", c, err)
	}
	pass()
	for send() {
	}
	c, _ = st.Campaign(ctx, c.ID)
	if len(sent) != 10 || c.Counts.Sent != 10 || c.Counts.Queued != 0 {
		t.Fatalf("after the raise: %d sent, counts %+v", len(sent), c.Counts)
	}
	if got := ledger.CampaignSpent(c.ID); got.String() != "1.00" {
		t.Fatalf("campaign spend %s", got)
	}
	resumed := 0
	evs, _ = st.Events(ctx, 0, 1000)
	for _, e := range evs {
		if e.Type == queue.EventBudgetResumed {
			resumed++
		}
	}
	if resumed != 1 {
		t.Fatalf("%d budget.resumed events", resumed)
	}
}
