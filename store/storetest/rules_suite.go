package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
	"smsgw/rules"
)

// ruleStore is the driver's rules.Store. A driver that does not keep rules
// yet skips these checks, naming itself.
func ruleStore(t testing.TB, st queue.Storage) rules.Store {
	t.Helper()
	rs, ok := st.(rules.Store)
	if !ok {
		t.Skipf("%T does not implement rules.Store", st)
	}
	return rs
}

func replyRule(name, word string) rules.Rule {
	r := rules.Rule{Name: name, Source: rules.SourceAPI, Match: rules.Match{Type: rules.MatchFirstWord, Value: word},
		Actions: []rules.Action{{Type: rules.ActionReply, Text: "re " + word}}}
	r.Normalize()
	return r
}

// testRuleStore: add assigns ids and appends; list is by position then id;
// put replaces and keeps the place unless a position is given; delete;
// unknown ids are ErrNotFound; everything survives a reopen.
func testRuleStore(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	rs := ruleStore(t, st)
	if got, err := rs.Rules(ctx); err != nil || len(got) != 0 {
		t.Fatalf("fresh Rules = %+v, %v", got, err)
	}
	a, err := rs.AddRule(ctx, replyRule("a", "HOURS"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	b, err := rs.AddRule(ctx, replyRule("b", "PRICE"))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.ID == b.ID || a.Position >= b.Position || a.Source != rules.SourceAPI || a.Created.IsZero() {
		t.Fatalf("added %+v and %+v", a, b)
	}
	first := replyRule("first", "HELLO")
	first.Position = 1
	c, err := rs.AddRule(ctx, first) // same position as a: ordered after it by id
	if err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		got, err := rs.Rules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range got {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(); len(got) != 3 || got[0] != "a" || got[1] != "first" || got[2] != "b" {
		t.Fatalf("order %v, want [a first b]", got)
	}
	clk.Advance(time.Second)
	b2 := b
	b2.Name, b2.Position, b2.Then = "b2", 0, rules.ThenContinue
	b2.Actions = []rules.Action{{Type: rules.ActionTag, Tag: "price"}}
	got, err := rs.PutRule(ctx, b2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "b2" || got.Position != b.Position || !got.Created.Equal(b.Created) || !got.Updated.After(b.Updated) ||
		got.Then != rules.ThenContinue || len(got.Actions) != 1 || got.Actions[0].Tag != "price" {
		t.Fatalf("put %+v", got)
	}
	c.Position = 100
	if _, err := rs.PutRule(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := names(); got[2] != "first" {
		t.Fatalf("after moving: %v", got)
	}
	for _, id := range []string{"999", "x", ""} {
		if _, err := rs.Rule(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("Rule(%q): %v", id, err)
		}
		r := replyRule("z", "Z")
		r.ID = id
		if _, err := rs.PutRule(ctx, r); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("PutRule(%q): %v", id, err)
		}
		if err := rs.DeleteRule(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("DeleteRule(%q): %v", id, err)
		}
	}
	if err := rs.DeleteRule(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rs = ruleStore(t, d.reopen(t, queue.Options{Now: clk.Now}))
	if got := namesOf(t, rs); len(got) != 2 || got[0] != "b2" || got[1] != "first" {
		t.Fatalf("after reopen: %v", got)
	}
	r, err := rs.Rule(ctx, c.ID)
	if err != nil || r.Match.Value != "HELLO" || r.Actions[0].Text != "re HELLO" {
		t.Fatalf("Rule(%s) after reopen = %+v, %v", c.ID, r, err)
	}
}

func namesOf(t testing.TB, rs rules.Store) []string {
	t.Helper()
	got, err := rs.Rules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range got {
		out = append(out, r.Name)
	}
	return out
}

// testRuleLoopState: tags are kept once each, in order; auto-replies are
// counted per recipient within the window and recognised by text; a fired
// rule is an outbox event.
func testRuleLoopState(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	rs := ruleStore(t, st)
	for _, tag := range []string{"vip", "seen", "vip"} {
		if err := rs.TagSender(ctx, "+15550100001", tag); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Millisecond)
	}
	if tags, err := rs.SenderTags(ctx, "+15550100001"); err != nil || len(tags) != 2 || tags[0] != "vip" || tags[1] != "seen" {
		t.Fatalf("SenderTags = %v, %v", tags, err)
	}
	if tags, err := rs.SenderTags(ctx, "+15550100009"); err != nil || len(tags) != 0 {
		t.Fatalf("SenderTags of a stranger = %v, %v", tags, err)
	}
	start := clk.Now()
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+15550100001"}, Text: "Open 9-17", AutoReply: true})
	clk.Advance(time.Minute)
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+15550100001"}, Text: "Open 9-17", AutoReply: true})
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+15550100001"}, Text: "a person's answer"})
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+15550100001"}, Text: "tagged", Metadata: map[string]string{"note": "auto_reply"}})
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+15550100002"}, Text: "Thanks!", AutoReply: true})
	count := func(n string, since time.Time) int {
		k, err := rs.AutoReplies(ctx, n, since)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if got := count("+15550100001", start); got != 2 {
		t.Errorf("AutoReplies since start = %d, want 2", got)
	}
	if got := count("+15550100001", start.Add(time.Second)); got != 1 {
		t.Errorf("AutoReplies in the last minute = %d, want 1", got)
	}
	if got := count("+15550100003", start); got != 0 {
		t.Errorf("AutoReplies of a stranger = %d", got)
	}
	sent := func(text, to string, since time.Time) bool {
		ok, err := rs.SentAutoReply(ctx, text, to, since)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !sent("Thanks!", "+15550100002", start) || !sent("Thanks!", "", start) || sent("Thanks!", "+15550100001", start) ||
		sent("a person's answer", "", start) || sent("Open 9-17", "", clk.Now().Add(time.Second)) {
		t.Error("SentAutoReply does not tell auto-replies by text, recipient and time")
	}
	before, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	fe := rules.FiredEvent{RuleID: "cfg-1", RuleName: "hours", InboxID: 7, From: "+15550100001", Modem: "m1",
		Actions: []rules.Step{{Action: rules.Action{Type: rules.ActionReply, Text: "Open", To: "+15550100001"}}}}
	for i := 0; i < 2; i++ { // the second is a repeated pass: no new event
		if err := rs.RecordFired(ctx, fe); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(before)+1 {
		t.Fatalf("events %d -> %d", len(before), len(evs))
	}
	last := evs[len(evs)-1]
	var got rules.FiredEvent
	if err := json.Unmarshal(last.Data, &got); err != nil || last.Type != rules.OutboxEvent || last.SubjectID != 7 ||
		got.RuleID != "cfg-1" || got.Actions[0].Text != "Open" || got.At.IsZero() {
		t.Fatalf("event %+v (%s): %+v, %v", last, last.Data, got, err)
	}
}
