package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"smsgw"
	"smsgw/consent"
	"smsgw/queue"
)

// consentStore is the driver's consent.Store. A driver that does not keep
// consent skips these checks.
func consentStore(t testing.TB, st queue.Storage) consent.Store {
	t.Helper()
	cs, ok := st.(consent.Store)
	if !ok {
		t.Skipf("%T does not implement consent.Store", st)
	}
	return cs
}

const (
	optedNumber = "+4915100000001"
	otherNumber = "+4915100000002"
)

func mustApply(t testing.TB, cs consent.Store, r consent.Record) consent.Applied {
	t.Helper()
	if r.Source == "" {
		r.Source = consent.SourceAPI
	}
	a, err := cs.Apply(context.Background(), r)
	if err != nil {
		t.Fatalf("Apply(%+v): %v", r, err)
	}
	return a
}

// A recipient that opted out is refused marketing at enqueue, kept as a
// suppressed message with the reason, while the batch's others and
// transactional messages are queued; an idempotent replay answers the same.
func testConsentSuppression(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	cs := consentStore(t, st)
	ctx := context.Background()
	mustApply(t, cs, consent.Record{Number: optedNumber, Action: consent.ActionOptOut})

	m := queue.NewMessage{To: []string{otherNumber, optedNumber}, Text: "sale", Category: smsgw.CategoryMarketing, IdempotencyKey: "k1"}
	res, err := st.Enqueue(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 2 || res.Messages[0].State != smsgw.StateQueued ||
		res.Messages[1].State != smsgw.StateSuppressed || res.Messages[1].Reason != queue.ReasonOptedOut {
		t.Fatalf("enqueue answer %+v", res.Messages)
	}
	got := wantState(t, st, res.Messages[1].ID, smsgw.StateSuppressed)
	if got.Reason != queue.ReasonOptedOut || got.Category != smsgw.CategoryMarketing {
		t.Errorf("stored suppressed message: reason %q category %q", got.Reason, got.Category)
	}
	again, err := st.Enqueue(ctx, m)
	if err != nil || !again.Replayed || again.Messages[1].State != smsgw.StateSuppressed {
		t.Errorf("replay: %+v, %v", again, err)
	}
	tr := mustEnqueue(t, st, queue.NewMessage{To: []string{optedNumber}, Text: "your code is 1234"})
	if tr[0].State != smsgw.StateQueued || tr[0].Category != smsgw.CategoryTransactional {
		t.Errorf("transactional to an opted-out number: %s, category %q", tr[0].State, tr[0].Category)
	}
	// Only the two queued messages are handed out.
	seen := map[int64]bool{}
	for {
		j, err := st.TryClaim(ctx, modemA)
		if errors.Is(err, queue.ErrNoMessage) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[j.ID] = true
	}
	if len(seen) != 2 || !seen[res.Messages[0].ID] || !seen[tr[0].ID] {
		t.Errorf("claimed %v, want the queued marketing and the transactional message", seen)
	}
	if c, _ := st.Counts(ctx); c[smsgw.StateSuppressed] != 1 {
		t.Errorf("counts: %d suppressed, want 1", c[smsgw.StateSuppressed])
	}
	if _, err := st.Requeue(ctx, res.Messages[1].ID); err == nil {
		t.Error("a suppressed message was requeued")
	}
}

// An opt-out cancels, in its own commit, the number's queued marketing
// (reason opted_out, with events), leaves its transactional messages and
// other numbers alone; a message out on an attempt that comes back to the
// queue is cancelled at its next claim. A repeated opt-out changes
// nothing; a repeated pass of the same received message returns the
// record again.
func testConsentOptOutCancels(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	cs := consentStore(t, st)
	ctx := context.Background()
	if err := st.AddConsumer(ctx, "watch"); err != nil {
		t.Fatal(err)
	}
	var mk []queue.Message
	for range 5 {
		mk = append(mk, mustEnqueue(t, st, queue.NewMessage{To: []string{optedNumber, otherNumber}, Text: "sale",
			Category: smsgw.CategoryMarketing})...)
	}
	tr := mustEnqueue(t, st, queue.NewMessage{To: []string{optedNumber}, Text: "code 1234"})[0]
	auto := mustEnqueue(t, st, queue.NewMessage{To: []string{optedNumber}, Text: "thanks", AutoReply: true, Category: smsgw.CategoryMarketing})[0]
	onWire := mustClaim(t, st, modemA) // the first marketing message to optedNumber
	if onWire.ID != mk[0].ID {
		t.Fatalf("claimed %d, want %d", onWire.ID, mk[0].ID)
	}

	a := mustApply(t, cs, consent.Record{Number: optedNumber, Action: consent.ActionOptOut, Source: consent.SourceSMS, InboxID: 7, Modem: "a"})
	if !a.Changed || a.Cancelled != 4 || a.Record.Seq != 1 || a.Record.Hash == "" {
		t.Fatalf("opt-out: %+v", a)
	}
	for _, m := range mk[1:] {
		want := smsgw.StateQueued
		if m.To == optedNumber {
			want = smsgw.StateCancelled
		}
		if got := wantState(t, st, m.ID, want); want == smsgw.StateCancelled && got.Reason != queue.ReasonOptedOut {
			t.Errorf("message %d reason %q, want opted_out", m.ID, got.Reason)
		}
	}
	wantState(t, st, tr.ID, smsgw.StateQueued)
	wantState(t, st, auto.ID, smsgw.StateQueued)
	// The message that was out comes back and is not sent.
	if err := st.Release(ctx, onWire.AttemptID); err != nil {
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
		if j.To == optedNumber && j.ID != tr.ID && j.ID != auto.ID {
			t.Errorf("claimed marketing message %d to the opted-out number", j.ID)
		}
	}
	if m := wantState(t, st, onWire.ID, smsgw.StateCancelled); m.Reason != queue.ReasonOptedOut {
		t.Errorf("released message reason %q", m.Reason)
	}

	again := mustApply(t, cs, consent.Record{Number: optedNumber, Action: consent.ActionOptOut, Source: consent.SourceSMS, InboxID: 8})
	if again.Changed || again.Record.Seq != 1 {
		t.Errorf("repeated opt-out: %+v", again)
	}
	replay := mustApply(t, cs, consent.Record{Number: optedNumber, Action: consent.ActionOptOut, Source: consent.SourceSMS, InboxID: 7})
	if !replay.Changed || replay.Record.Seq != 1 {
		t.Errorf("repeated pass of the same message: %+v", replay)
	}
	evs, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var optouts, cancels int
	for _, e := range evs {
		switch e.Type {
		case queue.EventOptOut:
			optouts++
		case queue.EventCancelled:
			cancels++
		}
	}
	if optouts != 1 || cancels != 5 {
		t.Errorf("%d opt-out events and %d cancellations, want 1 and 5", optouts, cancels)
	}
	rs, err := cs.Ledger(ctx, consent.LedgerFilter{})
	if err != nil || len(rs) != 1 {
		t.Fatalf("ledger %+v, %v; want one record", rs, err)
	}
}

// A message claimed before an opt-out commits (a worker claims its next
// message while one is on the wire) is checked again before its first part
// is written: marketing to the number is then cancelled with the reason
// opted_out and its attempt closed, never sent; the number's transactional
// message, another number's, and a claim made after the opt-out go on.
func testConsentStillWanted(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	cs := consentStore(t, st)
	ctx := context.Background()
	mk := mustEnqueue(t, st, queue.NewMessage{To: []string{optedNumber}, Text: "sale", Category: smsgw.CategoryMarketing})[0]
	tr := mustEnqueue(t, st, queue.NewMessage{To: []string{optedNumber}, Text: "code 1234"})[0]
	other := mustEnqueue(t, st, queue.NewMessage{To: []string{otherNumber}, Text: "sale", Category: smsgw.CategoryMarketing})[0]
	jobs := map[int64]*queue.Job{}
	for range 3 {
		j := mustClaim(t, st, modemA)
		jobs[j.ID] = j
	}
	if ok, err := st.StillWanted(ctx, jobs[mk.ID]); err != nil || !ok {
		t.Fatalf("before any opt-out: StillWanted = %v, %v; want true", ok, err)
	}

	if a := mustApply(t, cs, consent.Record{Number: optedNumber, Action: consent.ActionOptOut}); a.Cancelled != 0 {
		t.Errorf("the opt-out cancelled %d queued messages, want 0 (all were claimed)", a.Cancelled)
	}
	if ok, err := st.StillWanted(ctx, jobs[mk.ID]); err != nil || ok {
		t.Fatalf("marketing claimed before the opt-out: StillWanted = %v, %v; want false", ok, err)
	}
	got := wantState(t, st, mk.ID, smsgw.StateCancelled)
	if got.Reason != queue.ReasonOptedOut || len(got.AttemptLog) != 1 || got.AttemptLog[0].Outcome != "cancelled" {
		t.Errorf("cancelled message: reason %q, attempts %+v", got.Reason, got.AttemptLog)
	}
	if _, err := st.MarkSent(ctx, jobs[mk.ID].AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 1}); !errors.Is(err, queue.ErrNotClaimed) {
		t.Errorf("MarkSent of the cancelled attempt: %v, want ErrNotClaimed", err)
	}
	for _, id := range []int64{tr.ID, other.ID} {
		if ok, err := st.StillWanted(ctx, jobs[id]); err != nil || !ok {
			t.Errorf("message %d: StillWanted = %v, %v; want true", id, ok, err)
		}
		if _, err := st.MarkSent(ctx, jobs[id].AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 2}); err != nil {
			t.Errorf("MarkSent %d: %v", id, err)
		}
	}
	late := mustEnqueue(t, st, queue.NewMessage{To: []string{otherNumber}, Text: "later", Category: smsgw.CategoryMarketing})[0]
	if j := mustClaim(t, st, modemA); j.ID != late.ID {
		t.Fatalf("claimed %d, want %d", j.ID, late.ID)
	} else if ok, err := st.StillWanted(ctx, j); err != nil || !ok {
		t.Errorf("claimed after the opt-out: StillWanted = %v, %v; want true", ok, err)
	}
}

// The ledger chains, reads back by number and period, keeps each number's
// standing and pending double opt-ins, and survives a reopen and a purge.
func testConsentLedger(t *testing.T, d driver) {
	opt := queue.Options{}
	st, clk := d.testStore(t, opt)
	opt.Now = clk.Now
	cs := consentStore(t, st)
	ctx := context.Background()
	if _, err := cs.Status(ctx, optedNumber); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("Status of an unknown number: %v", err)
	}
	start := clk.Now()
	mustApply(t, cs, consent.Record{Number: optedNumber, Action: consent.ActionOptIn, Evidence: map[string]string{"ip": "192.0.2.7"},
		Disclosure: "Weekly offers", DisclosureVersion: "v2", Token: "shop"})
	clk.Advance(time.Minute)
	mustApply(t, cs, consent.Record{Number: otherNumber, Action: consent.ActionHelp, Source: consent.SourceSMS, InboxID: 3})
	clk.Advance(time.Minute)
	mid := clk.Now()
	mustApply(t, cs, consent.Record{Number: optedNumber, Action: consent.ActionOptOut, Source: consent.SourceSMS, InboxID: 4, Modem: "a"})
	if a := mustApply(t, cs, consent.Record{Number: otherNumber, Action: consent.ActionHelp, Source: consent.SourceSMS, InboxID: 5}); !a.Changed {
		t.Error("a second HELP was not recorded")
	}
	if _, err := cs.Status(ctx, otherNumber); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("a number that only asked for help has a standing: %v", err)
	}
	p := consent.Pending{Number: otherNumber, RequestedAt: clk.Now().UTC().Truncate(time.Millisecond), Source: consent.SourceAPI,
		Evidence: map[string]string{"form": "https://example.com/join"}}
	p.ExpiresAt = p.RequestedAt.Add(time.Hour)
	if err := cs.RequestOptIn(ctx, p); err != nil {
		t.Fatal(err)
	}

	check := func(when string) {
		t.Helper()
		all, err := cs.Ledger(ctx, consent.LedgerFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 {
			t.Fatalf("%s: %d records, want 4", when, len(all))
		}
		var v consent.Verifier
		for _, r := range all {
			if err := v.Add(r); err != nil {
				t.Fatalf("%s: %v", when, err)
			}
		}
		if r := all[0]; r.Evidence["ip"] != "192.0.2.7" || r.Disclosure != "Weekly offers" || r.DisclosureVersion != "v2" ||
			r.Token != "shop" || !r.At.Equal(start.UTC().Truncate(time.Millisecond)) {
			t.Errorf("%s: first record %+v", when, r)
		}
		byNum, err := cs.Ledger(ctx, consent.LedgerFilter{Number: optedNumber})
		if err != nil || len(byNum) != 2 || byNum[1].InboxID != 4 || byNum[1].Modem != "a" {
			t.Errorf("%s: by number %+v, %v", when, byNum, err)
		}
		since, err := cs.Ledger(ctx, consent.LedgerFilter{Since: mid})
		if err != nil || len(since) != 2 || since[0].Seq != 3 {
			t.Errorf("%s: since %+v, %v", when, since, err)
		}
		until, err := cs.Ledger(ctx, consent.LedgerFilter{Until: mid})
		if err != nil || len(until) != 2 {
			t.Errorf("%s: until %+v, %v", when, until, err)
		}
		page, err := cs.Ledger(ctx, consent.LedgerFilter{After: 2, Limit: 1})
		if err != nil || len(page) != 1 || page[0].Seq != 3 {
			t.Errorf("%s: page %+v, %v", when, page, err)
		}
		s, err := cs.Status(ctx, optedNumber)
		if err != nil || !s.OptedOut() || s.Seq != 3 || s.Source != consent.SourceSMS {
			t.Errorf("%s: status %+v, %v", when, s, err)
		}
		outs, err := cs.OptOuts(ctx, "", 10)
		if err != nil || len(outs) != 1 || outs[0].Number != optedNumber {
			t.Errorf("%s: opt-outs %+v, %v", when, outs, err)
		}
		if outs, _ := cs.OptOuts(ctx, optedNumber, 10); len(outs) != 0 {
			t.Errorf("%s: opt-outs after the last one: %+v", when, outs)
		}
		got, err := cs.Pending(ctx, otherNumber)
		if err != nil || !got.ExpiresAt.Equal(p.ExpiresAt) || got.Evidence["form"] != p.Evidence["form"] {
			t.Errorf("%s: pending %+v, %v", when, got, err)
		}
	}
	check("before a reopen")
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = d.reopen(t, opt)
	cs = consentStore(t, st)
	check("after a reopen")
	clk.Advance(365 * 24 * time.Hour)
	if _, err := st.Purge(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	check("after a purge")

	// A confirmed opt-in ends the request.
	a := mustApply(t, cs, consent.Record{Number: otherNumber, Action: consent.ActionOptIn, Source: consent.SourceDoubleOptIn, InboxID: 9})
	if !a.Changed || a.Record.Seq != 5 || a.Record.PrevHash != func() string {
		rs, _ := cs.Ledger(ctx, consent.LedgerFilter{After: 3, Limit: 1})
		return rs[0].Hash
	}() {
		t.Errorf("opt-in after a reopen: %+v", a)
	}
	if _, err := cs.Pending(ctx, otherNumber); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("the request outlived its YES: %v", err)
	}
	if _, err := cs.Apply(ctx, consent.Record{Number: otherNumber, Action: "maybe", Source: "api"}); err == nil {
		t.Error("an unknown action was recorded")
	}
}
