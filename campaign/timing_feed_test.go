package campaign_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"smsgw"
	"smsgw/campaign"
	"smsgw/queue"
	"smsgw/store/sqlite"
	"smsgw/store/storetest"
)

// timingRig is a campaign feeder on a real SQLite store, both on one
// stand-still clock the test moves; the feeder's passes are waited for,
// never slept on.
type timingRig struct {
	t   *testing.T
	st  *sqlite.Store
	clk *storetest.Clock
	f   *campaign.Feeder
	dir string
}

func newTimingRig(t *testing.T, start string) *timingRig {
	t.Helper()
	clk := storetest.NewClock()
	at, err := time.Parse(time.RFC3339, start)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(at.Sub(clk.Now()))
	r := &timingRig{t: t, clk: clk, dir: t.TempDir()}
	r.open()
	t.Cleanup(r.close)
	return r
}

// open opens the store and starts a feeder: at the start, and again after
// close to stand for a daemon restart.
func (r *timingRig) open() {
	r.t.Helper()
	st, err := sqlite.Open(filepath.Join(r.dir, "q.db"), queue.Options{Now: r.clk.Now}, sqlite.Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	r.st = st
	r.f = campaign.NewFeeder(campaign.FeederOptions{Store: st, Expander: campaign.Expander{CallingCode: "49"},
		Now: r.clk.Now, Location: time.UTC})
	r.f.Start()
}

func (r *timingRig) close() {
	if r.st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.f.Close(ctx); err != nil {
		r.t.Errorf("close feeder: %v", err)
	}
	if err := r.st.Close(ctx); err != nil {
		r.t.Errorf("close store: %v", err)
	}
	r.st = nil
}

// pass waits until a pass that began after the call has ended: it wakes
// the feeder twice, each time waiting for the next pass to end, since the
// first may have been under way at the wake.
func (r *timingRig) pass() {
	r.t.Helper()
	deadline := time.After(30 * time.Second)
	for range 2 {
		n, _ := r.f.Passes()
		r.f.Wake()
		for {
			m, idle := r.f.Passes()
			if m > n {
				break
			}
			select {
			case <-idle:
			case <-deadline:
				r.t.Fatal("the feeder made no pass in 30 s")
			}
		}
	}
}

func (r *timingRig) at(s string) {
	r.t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		r.t.Fatal(err)
	}
	if at.Before(r.clk.Now()) {
		r.t.Fatalf("the clock cannot go back to %s", s)
	}
	r.clk.Advance(at.Sub(r.clk.Now()))
}

func (r *timingRig) launch(sp campaign.Spec) campaign.Campaign {
	r.t.Helper()
	ctx := context.Background()
	if sp.Template == "" {
		sp.Template = "hello"
	}
	if err := sp.Normalize(r.clk.Now(), time.UTC); err != nil {
		r.t.Fatal(err)
	}
	c, err := r.st.AddCampaign(ctx, sp)
	if err != nil {
		r.t.Fatal(err)
	}
	to := campaign.StateRunning
	if sp.SendAt != nil {
		to = campaign.StateScheduled
	}
	if c, err = r.st.SetCampaignState(ctx, c.ID, []campaign.State{campaign.StateDraft}, to, ""); err != nil {
		r.t.Fatal(err)
	}
	r.pass()
	return c
}

func (r *timingRig) campaign(id string) campaign.Campaign {
	r.t.Helper()
	c, err := r.st.Campaign(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// messages returns the campaign's messages by recipient, oldest first.
func (r *timingRig) messages(id string) map[string][]queue.Message {
	r.t.Helper()
	p, err := r.st.List(context.Background(), queue.Filter{Campaign: id, Limit: 1000})
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]queue.Message{}
	for _, m := range p.Messages {
		out[m.To] = append(out[m.To], m)
	}
	for _, ms := range out {
		sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	berlin  = "+4915112345678" // Europe/Berlin
	newYork = "+12125550123"   // America/New_York
)

// TestFeedSendWindowTwoZones: at 10:00 UTC, 09:00-20:00 is open in Berlin
// (11:00) and closed in New York (05:00): only the Berlin recipient is
// queued, until 20:00 Berlin; New York's waits for 09:00 New York time.
// The Berlin message, still unsent when its window closes, expires
// instead of going out at night, and its recipient is queued again the
// next morning.
func TestFeedSendWindowTwoZones(t *testing.T) {
	r := newTimingRig(t, "2026-12-07T10:00:00Z")
	c := r.launch(campaign.Spec{Name: "window", Audience: campaign.Audience{Numbers: []string{berlin, newYork}},
		Timing: campaign.Timing{Window: &campaign.Window{From: "09:00", To: "20:00"}}})
	ms := r.messages(c.ID)
	if len(ms[berlin]) != 1 || len(ms[newYork]) != 0 {
		t.Fatalf("at 10:00 UTC: Berlin %d messages, New York %d; want 1 and 0", len(ms[berlin]), len(ms[newYork]))
	}
	if m := ms[berlin][0]; m.State != smsgw.StateQueued || !m.ExpiresAt.Equal(utc("2026-12-07T19:00:00Z")) {
		t.Fatalf("Berlin message %s, expires %v; want queued until 19:00 UTC", m.State, m.ExpiresAt)
	}
	if got := r.campaign(c.ID).Counts; got.Queued != 1 || got.Pending != 1 {
		t.Fatalf("counts %+v", got)
	}

	// 13:59:59 UTC is still night in New York.
	r.at("2026-12-07T13:59:59Z")
	r.pass()
	if n := len(r.messages(c.ID)[newYork]); n != 0 {
		t.Fatalf("New York queued %d before 09:00 there", n)
	}
	r.at("2026-12-07T14:00:00Z")
	r.pass()
	ms = r.messages(c.ID)
	if len(ms[newYork]) != 1 || !ms[newYork][0].ExpiresAt.Equal(utc("2026-12-08T01:00:00Z")) {
		t.Fatalf("at 09:00 New York: %+v", ms[newYork])
	}

	// No modem sent the Berlin message; its window closes.
	r.at("2026-12-07T19:00:00Z")
	if _, err := r.st.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.pass()
	ms = r.messages(c.ID)
	if len(ms[berlin]) != 1 || ms[berlin][0].State != smsgw.StateExpired {
		t.Fatalf("Berlin after 20:00: %+v", ms[berlin])
	}
	cc := r.campaign(c.ID)
	if cc.State != campaign.StateRunning || cc.Counts.Pending != 1 || cc.Counts.Expired != 0 {
		t.Fatalf("after the close: state %s, counts %+v; want the Berlin recipient pending again", cc.State, cc.Counts)
	}
	// Not during the night...
	r.at("2026-12-08T07:59:00Z")
	r.pass()
	if n := len(r.messages(c.ID)[berlin]); n != 1 {
		t.Fatalf("Berlin requeued at night: %d messages", n)
	}
	// ...but when the window opens again. New York's own window closed at
	// 01:00 UTC meanwhile: its message expired too, and its recipient
	// waits for 14:00 UTC.
	r.at("2026-12-08T08:00:00Z")
	if _, err := r.st.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.pass()
	ms = r.messages(c.ID)
	if len(ms[berlin]) != 2 || ms[berlin][1].State != smsgw.StateQueued || !ms[berlin][1].ExpiresAt.Equal(utc("2026-12-08T19:00:00Z")) {
		t.Fatalf("Berlin the next morning: %+v", ms[berlin])
	}
	if len(ms[newYork]) != 1 || ms[newYork][0].State != smsgw.StateExpired {
		t.Fatalf("New York the next morning: %+v", ms[newYork])
	}
	if got := r.campaign(c.ID).Counts; got.Recipients != 2 || got.Queued != 1 || got.Pending != 1 || got.Expired != 0 {
		t.Fatalf("counts the next morning %+v", got)
	}
	r.at("2026-12-08T14:00:00Z")
	r.pass()
	if ms := r.messages(c.ID); len(ms[newYork]) != 2 || ms[newYork][1].State != smsgw.StateQueued {
		t.Fatalf("New York the next day at 09:00 there: %+v", ms[newYork])
	}
}

func TestFeedRatePacing(t *testing.T) {
	r := newTimingRig(t, "2026-12-07T10:00:00Z")
	nums := make([]string, 20)
	for i := range nums {
		nums[i] = fmt.Sprintf("+4915100000%03d", i)
	}
	c := r.launch(campaign.Spec{Name: "paced", Audience: campaign.Audience{Numbers: nums}, Timing: campaign.Timing{Rate: 6}})
	var slots []time.Time
	for _, ms := range r.messages(c.ID) {
		slots = append(slots, ms[0].SendAfter)
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
	// 6 a minute: one every 10 s, queued a minute ahead at most.
	if len(slots) != 7 {
		t.Fatalf("queued %d at once, want 7 (0 s to 60 s)", len(slots))
	}
	for i, s := range slots[1:] {
		if want := utc("2026-12-07T10:00:00Z").Add(time.Duration(i+1) * 10 * time.Second); !s.Equal(want) {
			t.Errorf("slot %d at %v, want %v", i+1, s, want)
		}
	}
	// A restart does not start the pace again from now: the feeder
	// finds the slots already taken in the queue.
	r.close()
	r.open()
	r.pass()
	if n := len(r.messages(c.ID)); n != 7 {
		t.Fatalf("after a restart: %d queued, want still 7", n)
	}
	r.at("2026-12-07T10:00:10Z")
	r.pass()
	ms := r.messages(c.ID)
	if len(ms) != 8 {
		t.Fatalf("10 s on: %d queued, want 8", len(ms))
	}
	var latest time.Time
	for _, m := range ms {
		if m[0].SendAfter.After(latest) {
			latest = m[0].SendAfter
		}
	}
	if !latest.Equal(utc("2026-12-07T10:01:10Z")) {
		t.Errorf("the eighth slot is %v, want 70 s after the start", latest)
	}
	r.at("2026-12-07T10:02:10Z")
	r.pass()
	// After a gap the pace starts again from now: 130 s to 190 s.
	if n := len(r.messages(c.ID)); n != 15 {
		t.Fatalf("after 130 s: %d queued, want 15", n)
	}
}

// TestFeedRepeatAcrossRestart: a daily campaign runs once a day, each run
// its own batch; a restart right after a run does not run it again, and a
// restart after a run's time runs it once.
func TestFeedRepeatAcrossRestart(t *testing.T) {
	r := newTimingRig(t, "2026-12-07T10:00:00Z")
	ctx := context.Background()
	c := r.launch(campaign.Spec{Name: "daily", Audience: campaign.Audience{Numbers: []string{berlin, newYork}},
		Timing: campaign.Timing{Repeat: "daily 08:00 UTC"}})
	if cc := r.campaign(c.ID); cc.State != campaign.StateScheduled || len(r.messages(c.ID)) != 0 {
		t.Fatalf("launched: %s with %d messages; want scheduled for tomorrow 08:00", cc.State, len(r.messages(c.ID)))
	}
	finishRun := func(wantRun int) {
		t.Helper()
		for _, ms := range r.messages(c.ID) {
			for _, m := range ms {
				if m.State == smsgw.StateQueued {
					if _, err := r.st.Cancel(ctx, m.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		r.pass()
		if cc := r.campaign(c.ID); cc.State != campaign.StateScheduled || cc.Run != wantRun {
			t.Fatalf("run %d done: campaign %s at run %d", wantRun, cc.State, cc.Run)
		}
	}
	count := func() int {
		n := 0
		for _, ms := range r.messages(c.ID) {
			n += len(ms)
		}
		return n
	}

	r.at("2026-12-08T08:00:00Z")
	r.pass()
	if cc := r.campaign(c.ID); cc.Run != 1 || cc.RunAt == nil || !cc.RunAt.Equal(utc("2026-12-08T08:00:00Z")) || count() != 2 {
		t.Fatalf("first run: run %d at %v, %d messages", cc.Run, cc.RunAt, count())
	}
	finishRun(1)

	// Restarted a minute after the run: nothing runs twice.
	r.close()
	r.at("2026-12-08T08:01:00Z")
	r.open()
	r.pass()
	if cc := r.campaign(c.ID); cc.Run != 1 || count() != 2 {
		t.Fatalf("after a restart: run %d, %d messages", cc.Run, count())
	}

	// Down across the next run's time, back 30 s late: it runs, once.
	r.close()
	r.at("2026-12-09T08:00:30Z")
	r.open()
	r.pass()
	r.pass()
	cc := r.campaign(c.ID)
	if cc.Run != 2 || !cc.RunAt.Equal(utc("2026-12-09T08:00:00Z")) || cc.MissedRuns != 0 || count() != 4 {
		t.Fatalf("second run: run %d at %v, missed %d, %d messages", cc.Run, cc.RunAt, cc.MissedRuns, count())
	}
	if cc.Counts.Recipients != 2 || cc.Counts.Queued != 2 {
		t.Fatalf("second run's own counts: %+v", cc.Counts)
	}
	finishRun(2)

	// Down from Wednesday to Saturday: Saturday's run goes, the two
	// passed are counted, not sent.
	r.close()
	r.at("2026-12-12T09:00:00Z")
	r.open()
	r.pass()
	if cc := r.campaign(c.ID); cc.Run != 3 || !cc.RunAt.Equal(utc("2026-12-12T08:00:00Z")) || cc.MissedRuns != 2 || count() != 6 {
		t.Fatalf("after three days down: run %d at %v, missed %d, %d messages", cc.Run, cc.RunAt, cc.MissedRuns, count())
	}
}
