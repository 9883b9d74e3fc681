package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"smsgw"
	"smsgw/campaign"
	"smsgw/consent"
	"smsgw/queue"
)

// campaignStore is the driver's campaign.Store; a driver without
// campaigns skips these checks.
func campaignStore(t testing.TB, st queue.Storage) campaign.Store {
	t.Helper()
	cs, ok := st.(campaign.Store)
	if !ok {
		t.Skipf("%T does not implement campaign.Store", st)
	}
	return cs
}

func campaignTargets(n int) []campaign.Target {
	ts := make([]campaign.Target, n)
	for i := range ts {
		ts[i] = campaign.Target{Number: fmt.Sprintf("+4915200%06d", i), Name: fmt.Sprintf("n%d", i),
			Text: fmt.Sprintf("hello n%d", i), Parts: 1, State: campaign.RecipientPending}
	}
	return ts
}

func launchedCampaign(t testing.TB, cs campaign.Store, n int) campaign.Campaign {
	t.Helper()
	ctx := context.Background()
	c, err := cs.AddCampaign(ctx, campaign.Spec{Name: "spring", Template: "hello {{name}}", Category: smsgw.CategoryMarketing,
		Audience: campaign.Audience{Numbers: []string{"+4915200000000"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != campaign.StateDraft || c.ID == "" || c.Name != "spring" {
		t.Fatalf("added campaign %+v", c)
	}
	if c, err = cs.SetCampaignState(ctx, c.ID, []campaign.State{campaign.StateDraft}, campaign.StateRunning, ""); err != nil {
		t.Fatal(err)
	}
	if c.LaunchedAt == nil {
		t.Fatal("launch recorded no time")
	}
	if added, err := cs.AddTargets(ctx, c.ID, 0, campaignTargets(n)); err != nil || added != n {
		t.Fatalf("AddTargets = %d, %v; want %d", added, err, n)
	}
	if err := cs.MarkExpanded(ctx, c.ID, 0, campaign.Cost{Currency: "EUR", Quoted: 10000 * campaign.Money(n), QuotedParts: n}); err != nil {
		t.Fatal(err)
	}
	if c, err = cs.Campaign(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// feedAll feeds every pending recipient due now.
func feedAll(t testing.TB, cs campaign.Store, c campaign.Campaign, now time.Time) int {
	t.Helper()
	ctx := context.Background()
	ts, err := cs.PendingTargets(ctx, c.ID, c.Run, now, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n, err := cs.FeedTargets(ctx, c, ts)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testCampaignStore: drafts, states and their conflicts, idempotent
// expansion and feeding (a recipient is queued once however often it is
// fed), personalised messages carrying the campaign, deferral, counts,
// the recipients' export, clone-free listing.
func testCampaignStore(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	cs := campaignStore(t, st)
	if _, err := cs.Campaign(ctx, "404"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("unknown campaign: %v", err)
	}
	if _, err := cs.Campaign(ctx, "x"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("malformed id: %v", err)
	}
	c := launchedCampaign(t, cs, 5)
	if !c.Expanded || c.Counts.Recipients != 5 || c.Counts.Pending != 5 || c.Cost.Quoted != 50000 || c.Cost.Currency != "EUR" {
		t.Fatalf("expanded campaign %+v", c)
	}
	if _, err := cs.SetCampaignState(ctx, c.ID, []campaign.State{campaign.StateDraft}, campaign.StateRunning, ""); !errors.Is(err, smsgw.ErrConflict) {
		t.Errorf("launching a running campaign: %v", err)
	}
	// Expanding again (a crash before MarkExpanded) adds nothing twice.
	if added, err := cs.AddTargets(ctx, c.ID, 0, campaignTargets(7)); err != nil || added != 2 {
		t.Errorf("AddTargets again = %d, %v; want the 2 new", added, err)
	}
	skipped := campaign.Target{Number: "+4915299999999", State: campaign.RecipientSkipped, Reason: "missing_field: no value for {{name}}"}
	if _, err := cs.AddTargets(ctx, c.ID, 0, []campaign.Target{skipped}); err != nil {
		t.Fatal(err)
	}
	// One recipient deferred: not due now.
	ts, err := cs.PendingTargets(ctx, c.ID, 0, clk.Now(), 0, 100)
	if err != nil || len(ts) != 7 {
		t.Fatalf("pending = %d, %v", len(ts), err)
	}
	later := clk.Now().Add(time.Hour)
	if err := cs.DeferTargets(ctx, []int64{ts[6].ID}, later); err != nil {
		t.Fatal(err)
	}
	if at, ok, err := cs.NextPending(ctx, c.ID, 0); err != nil || !ok || !at.IsZero() {
		t.Errorf("NextPending = %v %v %v", at, ok, err)
	}
	ts, _ = cs.PendingTargets(ctx, c.ID, 0, clk.Now(), 0, 3)
	if len(ts) != 3 {
		t.Fatalf("limited pending = %d", len(ts))
	}
	// A gate's decision carries the message's send-after and expiry.
	ts[0].SendAfter, ts[0].NotAfter = clk.Now().Add(time.Hour), clk.Now().Add(2*time.Hour)
	n, err := cs.FeedTargets(ctx, c, ts)
	if err != nil || n != 3 {
		t.Fatalf("feed = %d, %v", n, err)
	}
	if p, err := st.List(ctx, queue.Filter{Campaign: c.ID, Recipient: ts[0].Number}); err != nil || len(p.Messages) != 1 ||
		!p.Messages[0].SendAfter.Equal(ts[0].SendAfter.Truncate(time.Millisecond)) || !p.Messages[0].ExpiresAt.Equal(ts[0].NotAfter.Truncate(time.Millisecond)) ||
		!p.Messages[0].NextAttempt.Equal(ts[0].SendAfter.Truncate(time.Millisecond)) {
		t.Errorf("paced message %+v, %v", p.Messages, err)
	}
	// Fed again (a crash after the commit, before the feeder moved on):
	// nothing more.
	if n, err := cs.FeedTargets(ctx, c, ts); err != nil || n != 0 {
		t.Errorf("second feed = %d, %v", n, err)
	}
	if n := feedAll(t, cs, c, clk.Now()); n != 3 {
		t.Errorf("rest fed = %d, want 3 (one deferred)", n)
	}
	// Fed messages are counted by state like enqueued ones.
	wantCounts(t, st, "after feeding", nil)
	if at, ok, _ := cs.NextPending(ctx, c.ID, 0); !ok || !at.Equal(later.Truncate(time.Millisecond)) {
		t.Errorf("next pending %v %v, want %v", at, ok, later)
	}
	page, err := st.List(ctx, queue.Filter{Campaign: c.ID, Limit: 100})
	if err != nil || len(page.Messages) != 6 {
		t.Fatalf("campaign messages = %d, %v", len(page.Messages), err)
	}
	for _, m := range page.Messages {
		if m.Campaign != c.ID || m.Category != smsgw.CategoryMarketing || m.State != smsgw.StateQueued || m.Text == "" || m.Text[:6] != "hello " {
			t.Errorf("campaign message %+v", m)
		}
	}
	other := mustEnqueue(t, st, queue.NewMessage{To: []string{"+4915300000001"}, Text: "plain"})
	if p, _ := st.List(ctx, queue.Filter{Campaign: c.ID, Limit: 100}); len(p.Messages) != 6 || other[0].Campaign != "" {
		t.Errorf("filter by campaign took in another message")
	}
	got, err := cs.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k := got.Counts; k.Recipients != 8 || k.Queued != 6 || k.Pending != 1 || k.Skipped != 1 {
		t.Errorf("counts %+v", k)
	}
	rs, next, err := cs.Targets(ctx, c.ID, 0, 5)
	if err != nil || len(rs) != 5 || next == 0 {
		t.Fatalf("targets page = %d next %d, %v", len(rs), next, err)
	}
	if rs[0].MessageID == "" || rs[0].State != "queued" || rs[0].Text != "hello n0" {
		t.Errorf("first recipient %+v", rs[0])
	}
	rest, next2, err := cs.Targets(ctx, c.ID, next, 5)
	if err != nil || len(rest) != 3 || next2 != 0 {
		t.Fatalf("second page = %d next %d, %v", len(rest), next2, err)
	}
	if r := rest[2]; r.State != campaign.RecipientSkipped || r.Reason == "" || r.MessageID != "" {
		t.Errorf("skipped recipient %+v", r)
	}
	list, err := cs.Campaigns(ctx, campaign.ListFilter{})
	if err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Errorf("list %+v, %v", list, err)
	}
	if list, _ := cs.Campaigns(ctx, campaign.ListFilter{State: campaign.StateDraft}); len(list) != 0 {
		t.Errorf("draft filter: %d", len(list))
	}
	active, err := cs.ActiveCampaigns(ctx)
	if err != nil || len(active) != 1 {
		t.Errorf("active %d, %v", len(active), err)
	}
}

// testCampaignPauseResume: a pause holds the queued messages (no claim
// gets them) and stops feeding; resume releases them; cancel cancels the
// rest and nothing is fed after.
func testCampaignPauseResume(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	cs := campaignStore(t, st)
	c := launchedCampaign(t, cs, 4)
	ts, _ := cs.PendingTargets(ctx, c.ID, 0, clk.Now(), 0, 2)
	if n, err := cs.FeedTargets(ctx, c, ts); err != nil || n != 2 {
		t.Fatalf("feed %d, %v", n, err)
	}
	p, err := cs.PauseCampaign(ctx, c.ID, "by hand")
	if err != nil || p.State != campaign.StatePaused || p.Reason != "by hand" {
		t.Fatalf("pause %+v, %v", p, err)
	}
	if _, err := st.TryClaim(ctx, modemA); !errors.Is(err, queue.ErrNoMessage) {
		t.Fatalf("claim while paused: %v", err)
	}
	// A paused campaign is not fed.
	if n := feedAll(t, cs, c, clk.Now()); n != 0 {
		t.Errorf("fed %d while paused", n)
	}
	if _, err := cs.PauseCampaign(ctx, c.ID, ""); !errors.Is(err, smsgw.ErrConflict) {
		t.Errorf("pausing twice: %v", err)
	}
	r, err := cs.ResumeCampaign(ctx, c.ID)
	if err != nil || r.State != campaign.StateRunning {
		t.Fatalf("resume %+v, %v", r, err)
	}
	j, err := st.TryClaim(ctx, modemA)
	if err != nil || j.Campaign != c.ID {
		t.Fatalf("claim after resume: %v", err)
	}
	if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 1}); err != nil {
		t.Fatal(err)
	}
	x, err := cs.CancelCampaign(ctx, c.ID)
	if err != nil || x.State != campaign.StateCancelled {
		t.Fatalf("cancel %+v, %v", x, err)
	}
	if k := x.Counts; k.Sent != 1 || k.Cancelled != 3 || k.Recipients != 4 {
		t.Errorf("counts after cancel %+v", k)
	}
	if n := feedAll(t, cs, c, clk.Now()); n != 0 {
		t.Errorf("fed %d after cancel", n)
	}
	if _, err := cs.ResumeCampaign(ctx, c.ID); !errors.Is(err, smsgw.ErrConflict) {
		t.Errorf("resuming a cancelled campaign: %v", err)
	}
}

// testCampaignOptOutFinish: a STOP from one recipient mid-campaign cancels
// that recipient's queued message and counts it opted out; once every
// recipient is final the campaign finishes, once, with its event.
func testCampaignOptOutFinish(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	cs := campaignStore(t, st)
	cons, ok := st.(consent.Store)
	if !ok {
		t.Skip("no consent store")
	}
	c := launchedCampaign(t, cs, 3)
	clk.Advance(time.Second)
	if n := feedAll(t, cs, c, clk.Now()); n != 3 {
		t.Fatalf("fed %d", n)
	}
	if done, err := cs.FinishCampaign(ctx, c.ID); err != nil || done {
		t.Fatalf("finished with messages queued: %v %v", done, err)
	}
	stop := campaignTargets(3)[1].Number
	if _, err := cons.Apply(ctx, consent.Record{Number: stop, Action: consent.ActionOptOut, At: clk.Now(), Source: consent.SourceSMS}); err != nil {
		t.Fatal(err)
	}
	for {
		j, err := st.TryClaim(ctx, modemA)
		if errors.Is(err, queue.ErrNoMessage) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if j.To == stop {
			t.Fatalf("the opted-out recipient's message was claimed")
		}
		if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: int(j.ID % 200)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := cs.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k := got.Counts; k.Sent != 2 || k.Cancelled != 1 || k.OptedOut != 1 {
		t.Errorf("counts %+v", k)
	}
	rs, _, _ := cs.Targets(ctx, c.ID, 0, 10)
	if rs[1].State != string(smsgw.StateCancelled) || rs[1].Reason != queue.ReasonOptedOut {
		t.Errorf("opted-out recipient %+v", rs[1])
	}
	done, err := cs.FinishCampaign(ctx, c.ID)
	if err != nil || !done {
		t.Fatalf("finish = %v, %v", done, err)
	}
	if again, err := cs.FinishCampaign(ctx, c.ID); err != nil || again {
		t.Errorf("finished twice: %v %v", again, err)
	}
	fin, _ := cs.Campaign(ctx, c.ID)
	if fin.State != campaign.StateFinished || fin.FinishedAt == nil {
		t.Errorf("finished campaign %+v", fin)
	}
	evs, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type != queue.EventCampaignFinished {
			continue
		}
		n++
		var p struct {
			Campaign string          `json:"campaign"`
			Counts   campaign.Counts `json:"counts"`
		}
		if err := json.Unmarshal(e.Data, &p); err != nil || p.Campaign != c.ID || p.Counts.Sent != 2 {
			t.Errorf("finished event %s: %v", e.Data, err)
		}
	}
	if n != 1 {
		t.Errorf("%d campaign finished events, want 1", n)
	}
}
