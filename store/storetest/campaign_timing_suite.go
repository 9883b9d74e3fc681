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

// testCampaignWindowExpiry: a campaign message queued with its pace slot
// and its send window's close keeps both; expiring at the close puts its
// recipient back to pending in the same transaction (never counted
// final), unless the campaign has no window or was cancelled.
func testCampaignWindowExpiry(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	cs := campaignStore(t, st)
	c := launchedCampaign(t, cs, 2)
	// launchedCampaign has no window; this one does.
	w, err := cs.AddCampaign(ctx, campaign.Spec{Name: "windowed", Template: "hi", Category: smsgw.CategoryMarketing,
		Audience: campaign.Audience{Numbers: []string{"+4915200000000"}}, Timing: campaign.Timing{Window: &campaign.Window{From: "09:00", To: "20:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	if w, err = cs.SetCampaignState(ctx, w.ID, []campaign.State{campaign.StateDraft}, campaign.StateRunning, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AddTargets(ctx, w.ID, 0, campaignTargets(2)); err != nil {
		t.Fatal(err)
	}
	if err := cs.MarkExpanded(ctx, w.ID, 0, campaign.Cost{}); err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	slot, closes := now.Add(10*time.Second), now.Add(time.Hour)
	feedTimed := func(c campaign.Campaign) {
		t.Helper()
		ts, err := cs.PendingTargets(ctx, c.ID, 0, clk.Now(), 0, 10)
		if err != nil || len(ts) != 2 {
			t.Fatalf("pending %d, %v", len(ts), err)
		}
		ts[0].NotAfter = closes
		ts[1].SendAfter, ts[1].NotAfter = slot, closes
		if n, err := cs.FeedTargets(ctx, c, ts); err != nil || n != 2 {
			t.Fatalf("feed %d, %v", n, err)
		}
	}
	feedTimed(c)
	feedTimed(w)
	p, err := st.List(ctx, queue.Filter{Campaign: w.ID, Limit: 10})
	if err != nil || len(p.Messages) != 2 {
		t.Fatalf("list %d, %v", len(p.Messages), err)
	}
	for _, m := range p.Messages {
		if !m.ExpiresAt.Equal(closes.Truncate(time.Millisecond)) {
			t.Errorf("message %d expires %v, want %v", m.ID, m.ExpiresAt, closes)
		}
		if m.Text == "hello n1" && !m.SendAfter.Equal(slot.Truncate(time.Millisecond)) {
			t.Errorf("paced message send after %v, want %v", m.SendAfter, slot)
		}
	}
	if ps, ok := cs.(campaign.PaceStore); ok {
		if last, err := ps.LastSlot(ctx, w.ID); err != nil || !last.Equal(slot.Truncate(time.Millisecond)) {
			t.Errorf("last slot %v, %v; want %v", last, err, slot)
		}
		if last, err := ps.LastSlot(ctx, "404"); err != nil || !last.IsZero() {
			t.Errorf("last slot of a campaign without messages: %v, %v", last, err)
		}
	}
	// The paced one is not due before its slot.
	if due, err := st.NextDue(ctx, queue.ClaimOptions{Modem: "m1"}); err != nil || due.After(now) {
		t.Errorf("next due %v, %v; want the unpaced message now", due, err)
	}
	clk.Advance(time.Hour)
	if _, err := st.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := cs.Campaign(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k := got.Counts; k.Pending != 2 || k.Expired != 0 {
		t.Errorf("windowed campaign after the close: %+v; want both pending again", k)
	}
	if ts, err := cs.PendingTargets(ctx, w.ID, 0, clk.Now(), 0, 10); err != nil || len(ts) != 2 {
		t.Errorf("pending again %d, %v", len(ts), err)
	}
	// Without a window an expiry is the recipient's outcome.
	if got, _ := cs.Campaign(ctx, c.ID); got.Counts.Expired != 2 || got.Counts.Pending != 0 {
		t.Errorf("campaign without a window after expiry: %+v", got.Counts)
	}
	// A cancelled campaign's recipients stay as they are.
	if _, err := cs.CancelCampaign(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := cs.Campaign(ctx, w.ID); got.Counts.Pending != 0 {
		t.Errorf("cancelled campaign still has pending recipients: %+v", got.Counts)
	}
}

// testCampaignRuns: BeginRun moves a recurring campaign to its next run
// with the run's time, once: a second call for the same run conflicts.
func testCampaignRuns(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	cs := campaignStore(t, st)
	c, err := cs.AddCampaign(ctx, campaign.Spec{Name: "daily", Template: "hi", Category: smsgw.CategoryMarketing,
		Audience: campaign.Audience{Numbers: []string{"+4915200000000"}}, Timing: campaign.Timing{Repeat: "daily 08:00"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.BeginRun(ctx, c.ID, 0, clk.Now(), 0); !errors.Is(err, smsgw.ErrConflict) {
		t.Errorf("a draft began a run: %v", err)
	}
	if _, err := cs.SetCampaignState(ctx, c.ID, []campaign.State{campaign.StateDraft}, campaign.StateScheduled, ""); err != nil {
		t.Fatal(err)
	}
	at := clk.Now().Add(time.Hour).Truncate(time.Millisecond)
	got, err := cs.BeginRun(ctx, c.ID, 0, at, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Run != 1 || got.State != campaign.StateRunning || got.RunAt == nil || !got.RunAt.Equal(at) || got.MissedRuns != 2 || got.Expanded {
		t.Fatalf("begun run %+v", got)
	}
	if _, err := cs.BeginRun(ctx, c.ID, 0, at, 0); !errors.Is(err, smsgw.ErrConflict) {
		t.Errorf("run 1 begun twice: %v", err)
	}
	// Each run has its own recipients and counts.
	if _, err := cs.AddTargets(ctx, c.ID, 1, campaignTargets(3)); err != nil {
		t.Fatal(err)
	}
	if err := cs.MarkExpanded(ctx, c.ID, 1, campaign.Cost{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := cs.Campaign(ctx, c.ID); got.Counts.Recipients != 3 || !got.Expanded {
		t.Errorf("run 1: %+v", got)
	}
	if _, err := cs.BeginRun(ctx, "404", 0, at, 0); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("unknown campaign: %v", err)
	}
}
