package gateway

import (
	"context"
	"fmt"
	"testing"
	"time"

	"smsgw"
	"smsgw/consent"
	"smsgw/modem/sim"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// consentRig is a rig whose inbound chain starts with consent (default
// options) and whose queue applies the consent policy.
func consentRig(t *testing.T, modems int, simOpts func(i int, o *sim.Options)) *rig {
	t.Helper()
	co := consent.DefaultOptions()
	co.Program, co.Contact = "Shop", "shop.example"
	pol, err := consent.NewPolicy(co)
	if err != nil {
		t.Fatal(err)
	}
	return newRig(t, rigOptions{modems: modems, simOpts: simOpts,
		queueOpts: func(o *queue.Options) { o.Consent = pol },
		chain: func(st queue.Storage) []InboundHandler {
			svc, err := consent.New(co, st.(consent.Store))
			if err != nil {
				t.Fatal(err)
			}
			return []InboundHandler{ConsentHandler(svc)}
		}})
}

// sentTo counts the texts the network carried to a number.
func sentTo(r *rig, to, text string) int {
	n := 0
	for _, s := range r.net.Outbox() {
		if txt, _ := s.Text(); s.To == to && txt == text {
			n++
		}
	}
	return n
}

// A STOP received while 50 marketing messages to its sender and 50 to
// others are queued: none to the sender is handed to a modem after the
// STOP is committed, and none claimed before it goes on the wire after it
// (those cancelled carry the reason opted_out), the
// others all go, the transactional one still goes, the ledger holds one
// opt-out, and a repeated STOP gets no second confirmation. Across a
// restart the number stays suppressed until it sends START.
func TestStopCancelsQueuedMarketing(t *testing.T) {
	const stopper = "+4915112345678"
	r := consentRig(t, 2, func(i int, o *sim.Options) {
		if i == 0 {
			o.SubmitDelay = 40 * time.Millisecond // the bulk sender: slow enough that most wait
		}
	})
	r.waitReady(2)
	gw := r.modems[1].Number()
	ctx := context.Background()
	opts := consent.DefaultOptions()
	opts.Program, opts.Contact = "Shop", "shop.example"
	confirm := opts.Text(opts.OptOutReply)

	var mine, others []queue.Message
	for i := 0; i < 50; i++ {
		mine = append(mine, r.enqueue(queue.NewMessage{To: []string{stopper}, Text: fmt.Sprintf("offer %d", i),
			Modem: "sim0", Category: smsgw.CategoryMarketing})...)
		others = append(others, r.enqueue(queue.NewMessage{To: []string{fmt.Sprintf("+49151000001%02d", i)},
			Text: fmt.Sprintf("offer %d", i), Modem: "sim0", Category: smsgw.CategoryMarketing})...)
	}
	code := r.enqueue(queue.NewMessage{To: []string{stopper}, Text: "your code is 4711", Modem: "sim0"})[0]
	if err := r.net.Deliver(gw, stopper, "Stop"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the confirmation", 30*time.Second, func() bool { return sentTo(r, stopper, confirm) == 1 })
	stopCMTI := r.lastCMTI("sim1")
	all := append(append(ids(mine), ids(others)...), code.ID)
	r.waitStates(all, 60*time.Second, smsgw.StateSent, smsgw.StateCancelled)

	var committed time.Time // the STOP's commit: the cancellations' time
	cancelled, afterCommit := 0, 0
	for _, m := range mine {
		if got := r.get(m.ID); got.State == smsgw.StateCancelled {
			if got.Reason != queue.ReasonOptedOut {
				t.Errorf("message %d cancelled for %q", m.ID, got.Reason)
			}
			cancelled++
			// The STOP's commit is the earliest: one claimed ahead is
			// cancelled after it, at its recheck.
			if committed.IsZero() || got.UpdatedAt.Before(committed) {
				committed = got.UpdatedAt
			}
		}
	}
	if cancelled < 25 {
		t.Fatalf("only %d of 50 messages to the number were still queued at the STOP; the test needs most of them waiting", cancelled)
	}
	for _, m := range mine {
		got := r.get(m.ID)
		if got.State != smsgw.StateSent {
			continue
		}
		if len(got.AttemptLog) == 0 || got.AttemptLog[0].StartedAt.After(committed) {
			t.Errorf("message %d to the number was handed to a modem after the STOP committed", m.ID)
		}
		if at, ok := r.firstCMGS(m.ID); ok && at.After(committed) {
			afterCommit++ // claimed before the commit, on the wire after it
		}
	}
	// Only the message whose AT+CMGS was being written as the STOP
	// committed (the commit's time is taken at its start, to the
	// millisecond) may show a later first AT+CMGS; one claimed ahead is
	// cancelled at its recheck.
	if afterCommit > 1 {
		t.Errorf("%d messages to the number went on the wire after the STOP committed; at most the one on the wire may", afterCommit)
	}
	for _, m := range others {
		if got := r.get(m.ID); got.State != smsgw.StateSent {
			t.Errorf("message %d to another number is %s", m.ID, got.State)
		}
	}
	if got := r.get(code.ID); got.State != smsgw.StateSent {
		t.Errorf("the transactional message is %s (%s), want sent", got.State, got.Reason)
	}
	if !stopCMTI.IsZero() {
		t.Logf("FIGURE stop-to-cancel: %v from the STOP's +CMTI to the commit that cancelled %d queued messages",
			committed.Sub(stopCMTI).Round(time.Millisecond), cancelled)
	}

	// A repeated STOP records nothing and confirms nothing; the HELP after
	// it (the chain runs in order) shows it was read.
	if err := r.net.Deliver(gw, stopper, "STOP"); err != nil {
		t.Fatal(err)
	}
	if err := r.net.Deliver(gw, stopper, "help"); err != nil {
		t.Fatal(err)
	}
	help := opts.Text(opts.HelpReply)
	r.waitFor("the HELP text", 30*time.Second, func() bool { return sentTo(r, stopper, help) == 1 })
	if n := sentTo(r, stopper, confirm); n != 1 {
		t.Errorf("%d opt-out confirmations, want 1", n)
	}
	ledger := func() []consent.Record {
		rs, err := r.st.Ledger(ctx, consent.LedgerFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rs := ledger()
	if len(rs) != 2 || rs[0].Action != consent.ActionOptOut || rs[0].Source != consent.SourceSMS ||
		rs[0].Modem != "sim1" || rs[0].InboxID == 0 || rs[0].Disclosure != confirm || rs[1].Action != consent.ActionHelp {
		t.Fatalf("ledger %+v; want the opt-out from sim1 and the HELP", rs)
	}

	// Across a restart the number stays suppressed for marketing.
	r.stop()
	r.start()
	r.waitReady(2)
	res, err := r.st.Enqueue(ctx, queue.NewMessage{To: []string{stopper, "+4915100000199"}, Text: "new offer", Category: smsgw.CategoryMarketing})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages[0].State != smsgw.StateSuppressed || res.Messages[0].Reason != queue.ReasonOptedOut || res.Messages[1].State != smsgw.StateQueued {
		t.Errorf("after a restart: %+v", res.Messages)
	}
	if err := r.net.Deliver(gw, stopper, "START"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the opt-in confirmation", 30*time.Second, func() bool { return sentTo(r, stopper, opts.Text(opts.OptInReply)) == 1 })
	back := r.enqueue(queue.NewMessage{To: []string{stopper}, Text: "welcome back", Category: smsgw.CategoryMarketing})
	r.waitStates(ids(back), 30*time.Second, smsgw.StateSent)
	rs = ledger()
	var v consent.Verifier
	for _, rec := range rs {
		if err := v.Add(rec); err != nil {
			t.Fatal(err)
		}
	}
	if len(rs) != 3 || rs[2].Action != consent.ActionOptIn {
		t.Errorf("ledger after START: %+v", rs)
	}
	evs, err := r.st.Events(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[queue.EventType]int{}
	for _, e := range evs {
		kinds[e.Type]++
	}
	if kinds[queue.EventOptOut] != 1 || kinds[queue.EventOptIn] != 1 {
		t.Errorf("events %v; want one opt-out and one opt-in", kinds)
	}
}

// A marketing message the worker claimed ahead (while the modem had another
// on the wire) before a STOP committed is cancelled with the reason
// opted_out before its AT+CMGS: it never reaches the network.
func TestStopCancelsClaimedAhead(t *testing.T) {
	const stopper = "+4915112345679"
	r := consentRig(t, 1, func(_ int, o *sim.Options) {
		// The first message's submit: long enough for the test to see the
		// second claimed ahead and commit the STOP while the first is on
		// the wire, short of the claim ahead's hold (2 s).
		o.SubmitDelay = 1500 * time.Millisecond
	})
	r.waitReady(1)
	// Queued while no gateway runs, so that at the start the first goes on
	// the wire and the second is claimed ahead 50 ms into its submit.
	r.stop()
	qo := QueueOptions(r.opts)
	r.qopts(&qo)
	st, err := sqlite.Open(r.db, qo, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915100000150"}, Text: "your code is 4711", Modem: "sim0", Priority: 10})
	if err != nil {
		t.Fatal(err)
	}
	offer, err := st.Enqueue(ctx, queue.NewMessage{To: []string{stopper}, Text: "offer", Modem: "sim0", Category: smsgw.CategoryMarketing})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	a, b := first.Messages[0].ID, offer.Messages[0].ID
	r.start()
	r.waitFor("the first message on the wire and the offer claimed ahead", 30*time.Second, func() bool {
		_, onWire := r.firstCMGS(a)
		return onWire && r.get(b).State == smsgw.StateSending
	})
	applied, err := r.st.Apply(ctx, consent.Record{Number: stopper, Action: consent.ActionOptOut, Source: consent.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	if applied.Cancelled != 0 {
		t.Errorf("the STOP found %d messages queued, want 0 (the offer was claimed)", applied.Cancelled)
	}
	if got := r.get(a); got.State != smsgw.StateSending {
		t.Fatalf("the first message is %s at the STOP's commit; the offer was not held ahead of it", got.State)
	}
	r.waitStates([]int64{a, b}, 30*time.Second, smsgw.StateSent, smsgw.StateCancelled)
	if got := r.get(a); got.State != smsgw.StateSent {
		t.Errorf("the first message is %s, want sent", got.State)
	}
	got := r.get(b)
	if got.State != smsgw.StateCancelled || got.Reason != queue.ReasonOptedOut {
		t.Errorf("the offer claimed ahead is %s (%s), want cancelled (opted_out)", got.State, got.Reason)
	}
	if len(got.AttemptLog) != 1 || got.AttemptLog[0].Outcome != "cancelled" {
		t.Errorf("the offer's attempts %+v, want one, cancelled", got.AttemptLog)
	}
	if _, ok := r.firstCMGS(b); ok {
		t.Error("the offer's AT+CMGS was written after the STOP committed")
	}
	if n := sentTo(r, stopper, "offer"); n != 0 {
		t.Errorf("the network carried the offer %d times", n)
	}
}

// A double opt-in: YES means nothing without a request, opts in while one
// waits, and is answered once.
func TestDoubleOptInYes(t *testing.T) {
	const person = "+4915112340000"
	r := consentRig(t, 1, nil)
	r.waitReady(1)
	gw := r.modems[0].Number()
	ctx := context.Background()
	opts := consent.DefaultOptions()
	opts.Program, opts.Contact = "Shop", "shop.example"
	if err := r.net.Deliver(gw, person, "yes"); err != nil {
		t.Fatal(err)
	}
	if err := r.net.Deliver(gw, person, "info"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the HELP text", 30*time.Second, func() bool { return sentTo(r, person, opts.Text(opts.HelpReply)) == 1 })
	if rs, _ := r.st.Ledger(ctx, consent.LedgerFilter{}); len(rs) != 1 || rs[0].Action != consent.ActionHelp {
		t.Fatalf("a YES without a request was recorded: %+v", rs)
	}
	svc, err := consent.New(opts, r.st)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.RequestOptIn(ctx, consent.Pending{Number: person, Evidence: map[string]string{"ip": "192.0.2.9"}}, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.net.Deliver(gw, person, "YES!"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the opt-in confirmation", 30*time.Second, func() bool { return sentTo(r, person, opts.Text(opts.OptInReply)) == 1 })
	rs, err := r.st.Ledger(ctx, consent.LedgerFilter{Number: person})
	if err != nil {
		t.Fatal(err)
	}
	last := rs[len(rs)-1]
	if last.Action != consent.ActionOptIn || last.Source != consent.SourceDoubleOptIn || last.Evidence["ip"] != "192.0.2.9" ||
		last.Evidence["requested_by"] != consent.SourceAPI || last.Disclosure != opts.Text(opts.ConfirmAsk) {
		t.Errorf("double opt-in record %+v", last)
	}
}
