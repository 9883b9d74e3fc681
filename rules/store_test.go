package rules_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"smsgw/queue"
	"smsgw/rules"
	"smsgw/store/sqlite"
)

// Loop protection against the real store: the per-sender limit counts the
// auto-replies queued in the window (and forgets them after it), and a
// message that is our own auto-reply is neither answered nor forwarded.
func TestLoopProtectionWithStore(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{Now: clock}, sqlite.Options{NoHousekeeper: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	cfg := []rules.Rule{{Match: rules.Match{Type: rules.MatchAny}, Actions: []rules.Action{
		{Type: rules.ActionReply, Text: "Thanks"}, {Type: rules.ActionForward, To: "+15559990000"}}}}
	e, err := rules.NewEngine(cfg, st, rules.Options{Limit: 2, Window: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const alice, own = "+4915112345678", "+15550100002"
	plan := func(from, text string) []rules.Step {
		t.Helper()
		p, err := e.Plan(ctx, rules.Message{From: from, Text: text, Modem: "m1", To: own})
		if err != nil || len(p.Fired) != 1 {
			t.Fatalf("Plan: %+v, %v", p, err)
		}
		return p.Fired[0].Steps
	}
	reply := func(to, text string) {
		t.Helper()
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{to}, Text: text, AutoReply: true}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		if s := plan(alice, "hi"); s[0].Skipped != "" {
			t.Fatalf("reply %d skipped %q", i+1, s[0].Skipped)
		}
		reply(alice, "Thanks")
	}
	if s := plan(alice, "hi"); s[0].Skipped != rules.SkipRateLimited || s[1].Skipped != "" {
		t.Fatalf("third: %+v", s)
	}
	now = now.Add(61 * time.Minute)
	if s := plan(alice, "hi"); s[0].Skipped != "" {
		t.Fatalf("after the window: %+v", s)
	}
	// Our own auto-reply, sent to this modem's number, coming back.
	reply(own, "Thanks")
	if s := plan("+15550100001", "Thanks"); s[0].Skipped != rules.SkipOwnAutoReply || s[1].Skipped != rules.SkipOwnAutoReply {
		t.Fatalf("own auto-reply: %+v", s)
	}
	if s := plan("+15550100001", "Thanks!"); s[0].Skipped != "" || s[1].Skipped != "" {
		t.Fatalf("another text: %+v", s)
	}
}
