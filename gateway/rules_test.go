package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"smsgw"
	"smsgw/contacts"
	"smsgw/queue"
	"smsgw/rules"
)

// rulesChain is the inbound chain of keyword rules over the rig's store.
func rulesChain(t testing.TB, cfg []rules.Rule, o rules.Options) func(st queue.Storage) []InboundHandler {
	return func(st queue.Storage) []InboundHandler {
		rs, ok := st.(rules.Store)
		if !ok {
			t.Fatalf("%T keeps no rules", st)
		}
		e, err := rules.NewEngine(cfg, rs, o)
		if err != nil {
			t.Fatal(err)
		}
		return []InboundHandler{RulesHandler(e)}
	}
}

// fired returns the rule.fired events of the rig's outbox, in order.
func (r *rig) fired() []rules.FiredEvent {
	r.t.Helper()
	evs, err := r.st.Events(context.Background(), 0, 10000)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []rules.FiredEvent
	for _, e := range evs {
		if e.Type != rules.OutboxEvent {
			continue
		}
		var f rules.FiredEvent
		if err := json.Unmarshal(e.Data, &f); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// submittedTexts lists "from>to: text" of everything the network took, sorted.
func submittedTexts(t testing.TB, r *rig) []string {
	t.Helper()
	var out []string
	for _, s := range r.net.Submitted() {
		txt, err := s.Text()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s.From+">"+s.To+": "+txt)
	}
	sort.Strings(out)
	return out
}

// Keyword rules on an emulated modem, end to end and across a restart:
// the reply goes out through the receiving modem, a forward to its
// number, the tag is kept, an alphanumeric sender gets no answer, the
// per-sender limit holds, every fired rule is a rule:fired event, and a
// message that arrives while the daemon is down is answered after it
// starts again.
func TestRulesEndToEnd(t *testing.T) {
	const alice, bob, boss = "+4915112345678", "+4915187654321", "+15559990000"
	cfg := []rules.Rule{
		{Name: "hours", Match: rules.Match{Type: rules.MatchFirstWord, Value: "HOURS"},
			Actions: []rules.Action{{Type: rules.ActionReply, Text: "Open 9-17, {{contact.name|there}}"}, {Type: rules.ActionTag, Tag: "hours"}}},
		{Name: "urgent", Match: rules.Match{Type: rules.MatchRegex, Value: `(?i)\burgent\b`},
			Actions: []rules.Action{{Type: rules.ActionForward, To: boss}}, Then: rules.ThenContinue},
		{Name: "thanks", Match: rules.Match{Type: rules.MatchAny}, Actions: []rules.Action{{Type: rules.ActionReply, Text: "Thanks {{from}}"}}},
	}
	r := newRig(t, rigOptions{modems: 1, chain: rulesChain(t, cfg, rules.Options{Limit: 2})})
	r.waitReady(1)
	own := r.modems[0].Number()
	deliver := func(from, text string, fired int) {
		t.Helper()
		if err := r.net.Deliver(own, from, text); err != nil {
			t.Fatal(err)
		}
		r.waitFor(fmt.Sprintf("%d fired rules", fired), 30*time.Second, func() bool { return len(r.fired()) >= fired })
	}
	deliver(alice, "Hours?", 1)
	deliver("BANK", "hours", 2)
	deliver(alice, "URGENT: call me", 4)
	deliver(alice, "hello", 5)
	r.waitStates(r.allOutbound(), 30*time.Second, smsgw.StateSent, smsgw.StateDelivered)

	r.stop()
	if err := r.net.Deliver(own, bob, "hours please"); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.waitReady(1)
	r.waitFor("the rule fired after the restart", 30*time.Second, func() bool { return len(r.fired()) >= 6 })
	r.waitFor("the reply after the restart", 30*time.Second, func() bool { return len(r.net.Submitted()) >= 4 })
	r.waitStates(r.allOutbound(), 30*time.Second, smsgw.StateSent, smsgw.StateDelivered)

	got := submittedTexts(t, r)
	want := []string{
		own + ">" + boss + ": " + alice + ": URGENT: call me",
		own + ">" + alice + ": Open 9-17, there",
		own + ">" + alice + ": Thanks " + alice,
		own + ">" + bob + ": Open 9-17, there",
	}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("on the air:\n%q\nwant\n%q", got, want)
	}
	fs := r.fired()
	var summary []string
	for _, f := range fs {
		s := f.RuleID + ":"
		for _, a := range f.Actions {
			s += a.Type
			if a.Skipped != "" {
				s += "(" + a.Skipped + ")"
			}
			s += ","
		}
		summary = append(summary, s)
	}
	wantFired := []string{"cfg-1:reply,tag,", "cfg-1:reply(alphanumeric),tag,", "cfg-2:forward,", "cfg-3:reply,",
		"cfg-3:reply(rate_limited),", "cfg-1:reply,tag,"}
	if fmt.Sprint(summary) != fmt.Sprint(wantFired) {
		t.Errorf("fired %q\nwant %q", summary, wantFired)
	}
	// What webhooks and the event stream get for a fired rule.
	evs, err := r.st.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	hooked := 0
	for _, e := range evs {
		if e.Type != rules.OutboxEvent {
			continue
		}
		ev, ok, err := r.g.hookEvent(context.Background(), queue.Delivery{Event: e})
		var p rules.FiredEvent
		if err != nil || !ok || ev.Event != smsgw.EventRuleFired || ev.DeviceID != "sim0" || json.Unmarshal(ev.Payload, &p) != nil || p.RuleID == "" {
			t.Fatalf("hook event of %s: %+v, %v, %v", e.Data, ev, ok, err)
		}
		hooked++
	}
	if hooked != len(fs) {
		t.Errorf("%d rule:fired hook events, want %d", hooked, len(fs))
	}
	rs := r.st
	for n, want := range map[string]string{alice: "[hours]", bob: "[hours]", "BANK": "[hours]"} {
		tags, err := any(rs).(rules.Store).SenderTags(context.Background(), n)
		if err != nil || fmt.Sprint(tags) != want {
			t.Errorf("tags of %s = %v, %v; want %s", n, tags, err, want)
		}
	}
	page, err := r.st.List(context.Background(), queue.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Messages {
		if !m.AutoReply {
			t.Errorf("message %d to %s is not marked as an auto-reply", m.ID, m.To)
		}
		if m.To != boss && m.RouteModem != "sim0" {
			t.Errorf("reply %d routed to %q, want the receiving modem", m.ID, m.RouteModem)
		}
	}
}

// Group actions on an emulated modem: JOIN puts the sender's contact
// (created with just the number) into a group created on the way, LEAVE
// takes it out again and keeps the contact; a name cannot join, and LEAVE
// from a number without a contact creates none.
func TestRulesGroupActionsEndToEnd(t *testing.T) {
	const alice, bob = "+4915112345678", "+4915187654321"
	cfg := []rules.Rule{
		{Name: "join", Match: rules.Match{Type: rules.MatchFirstWord, Value: "JOIN"},
			Actions: []rules.Action{{Type: rules.ActionGroupAdd, Group: "Newsletter"}}},
		{Name: "leave", Match: rules.Match{Type: rules.MatchFirstWord, Value: "LEAVE"},
			Actions: []rules.Action{{Type: rules.ActionGroupRemove, Group: "newsletter"}}},
	}
	var cs contacts.Store
	chain := func(st queue.Storage) []InboundHandler {
		rs, ok := st.(rules.Store)
		if !ok {
			t.Fatalf("%T keeps no rules", st)
		}
		if cs, ok = st.(contacts.Store); !ok {
			t.Fatalf("%T keeps no contacts", st)
		}
		e, err := rules.NewEngine(cfg, rs, rules.Options{Groups: contacts.Membership{Store: cs, CC: "49"}})
		if err != nil {
			t.Fatal(err)
		}
		return []InboundHandler{RulesHandler(e)}
	}
	r := newRig(t, rigOptions{modems: 1, chain: chain})
	r.waitReady(1)
	own := r.modems[0].Number()
	ctx := context.Background()
	deliver := func(from, text string, fired int) {
		t.Helper()
		if err := r.net.Deliver(own, from, text); err != nil {
			t.Fatal(err)
		}
		r.waitFor(fmt.Sprintf("%d fired rules", fired), 30*time.Second, func() bool { return len(r.fired()) >= fired })
	}
	deliver(alice, "join please", 1)
	c, err := cs.ContactByNumber(ctx, alice)
	if err != nil || fmt.Sprint(c.Groups) != "[Newsletter]" || c.Name != "" {
		t.Fatalf("after JOIN: %+v, %v; want the contact in [Newsletter]", c, err)
	}
	g, err := cs.Group(ctx, "Newsletter")
	if err != nil || g.Contacts != 1 {
		t.Fatalf("group after JOIN: %+v, %v", g, err)
	}
	deliver("BANK", "join", 2)
	deliver(bob, "leave", 3)
	if _, err := cs.ContactByNumber(ctx, bob); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("LEAVE without a contact: %v, want no contact made", err)
	}
	deliver(alice, "LEAVE", 4)
	c, err = cs.ContactByNumber(ctx, alice)
	if err != nil || len(c.Groups) != 0 {
		t.Errorf("after LEAVE: %+v, %v; want the contact in no group", c, err)
	}
	var summary []string
	for _, f := range r.fired() {
		for _, a := range f.Actions {
			summary = append(summary, f.RuleID+":"+a.Type+"("+a.Group+")"+a.Skipped)
		}
	}
	want := []string{"cfg-1:group_add(Newsletter)", "cfg-1:group_add(Newsletter)alphanumeric",
		"cfg-2:group_remove(newsletter)", "cfg-2:group_remove(newsletter)"}
	if fmt.Sprint(summary) != fmt.Sprint(want) {
		t.Errorf("fired %q\nwant %q", summary, want)
	}
	if n := len(r.net.Submitted()); n != 0 {
		t.Errorf("%d messages on the air, want none", n)
	}
}

// allOutbound lists every outbound message id.
func (r *rig) allOutbound() []int64 {
	r.t.Helper()
	page, err := r.st.List(context.Background(), queue.Filter{Limit: 1000})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []int64
	for _, m := range page.Messages {
		out = append(out, m.ID)
	}
	return out
}

// Two emulated modems that both answer and forward everything: within one
// gateway our own auto-reply is neither answered nor forwarded, so the
// exchange ends after one reply.
func TestRulesLoopOneGateway(t *testing.T) {
	cfg := []rules.Rule{{Name: "echo", Match: rules.Match{Type: rules.MatchAny}, Actions: []rules.Action{
		{Type: rules.ActionReply, Text: "Re: {{text}}"}, {Type: rules.ActionForward, To: "+15559990000"}}}}
	r := newRig(t, rigOptions{modems: 2, chain: rulesChain(t, cfg, rules.Options{})})
	r.waitReady(2)
	r.enqueue(queue.NewMessage{To: []string{r.modems[1].Number()}, Text: "hello", Modem: "sim0"})
	r.waitFor("both modems' rules ran", 60*time.Second, func() bool { return len(r.fired()) >= 2 })
	r.waitStates(r.allOutbound(), 30*time.Second, smsgw.StateSent, smsgw.StateDelivered)
	fs := r.fired()
	if len(fs) != 2 || fs[0].Actions[0].Skipped != "" || fs[0].Actions[1].Skipped != "" ||
		fs[1].Actions[0].Skipped != rules.SkipOwnAutoReply || fs[1].Actions[1].Skipped != rules.SkipOwnAutoReply {
		t.Fatalf("fired %+v", fs)
	}
	if got := submittedTexts(t, r); len(got) != 3 {
		t.Fatalf("on the air %q, want hello, one reply and one forward", got)
	}
}

// Two gateways (each its own database, so neither knows the other's
// replies) on one network, both answering everything: the per-sender limit
// bounds the exchange. A sends hello; B and A then answer each other until
// B's sixth message from A finds A's number at its limit of five.
func TestRulesLoopTwoGateways(t *testing.T) {
	cfg := []rules.Rule{{Name: "echo", Match: rules.Match{Type: rules.MatchAny}, Actions: []rules.Action{{Type: rules.ActionReply, Text: "Re: {{text}}"}}}}
	a := newRig(t, rigOptions{modems: 1, chain: rulesChain(t, cfg, rules.Options{})})
	b := newRig(t, rigOptions{modems: 1, net: a.net, chain: rulesChain(t, cfg, rules.Options{})})
	a.waitReady(1)
	b.waitReady(1)
	a.enqueue(queue.NewMessage{To: []string{b.modems[0].Number()}, Text: "hello"})
	b.waitFor("B's sixth message from A", 120*time.Second, func() bool { return len(b.fired()) >= 6 })
	a.waitStates(a.allOutbound(), 30*time.Second, smsgw.StateSent, smsgw.StateDelivered)
	b.waitStates(b.allOutbound(), 30*time.Second, smsgw.StateSent, smsgw.StateDelivered)
	af, bf := a.fired(), b.fired()
	if len(af) != rules.DefaultLimit || len(bf) != rules.DefaultLimit+1 {
		t.Fatalf("A fired %d, B fired %d; want %d and %d", len(af), len(bf), rules.DefaultLimit, rules.DefaultLimit+1)
	}
	if s := bf[len(bf)-1].Actions[0].Skipped; s != rules.SkipRateLimited {
		t.Fatalf("B's last step skipped %q, want rate_limited", s)
	}
	if n := len(a.net.Submitted()); n != 1+2*rules.DefaultLimit {
		t.Fatalf("%d messages on the air, want %d", n, 1+2*rules.DefaultLimit)
	}
}
