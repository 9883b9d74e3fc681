package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"smsgw"
	"smsgw/consent"
	"smsgw/queue"
)

// conversations is the driver's queue.Conversations. A driver that does
// not keep conversations yet skips these checks, naming itself.
func conversations(t testing.TB, st queue.Storage) queue.Conversations {
	t.Helper()
	c, ok := st.(queue.Conversations)
	if !ok {
		t.Skipf("%T does not implement queue.Conversations", st)
	}
	return c
}

// receive commits one single-part message from a number.
func receive(t testing.TB, st queue.Storage, modem, from, text string) int64 {
	t.Helper()
	res, err := st.AddInboundPart(context.Background(), queue.InboundPart{Modem: modem, Sender: from,
		SCTS: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), PDU: []byte("1:" + text)})
	if err != nil || res.InboxID == 0 {
		t.Fatalf("AddInboundPart(%s, %q) = %+v, %v", from, text, res, err)
	}
	return res.InboxID
}

// testConversationsOneRequest: a request to several numbers, one named
// twice, leaves each thread on its own latest message, the later one for
// the number named twice, and keeps what was received.
func testConversationsOneRequest(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{JoinText: joinPlain})
	cv := conversations(t, st)
	const alice, bob = "+15550100011", "+15550100022"
	receive(t, st, "m1", alice, "hi")
	clk.Advance(time.Second)
	msgs := mustEnqueue(t, st, queue.NewMessage{To: []string{alice, bob, alice}, Text: "to all"})
	pg, err := cv.Conversations(ctx, queue.ConversationFilter{})
	if err != nil || len(pg.Conversations) != 2 {
		t.Fatalf("conversations %+v, %v", pg.Conversations, err)
	}
	for _, c := range pg.Conversations {
		want := msgs[1].ID
		if c.Number == alice {
			want = msgs[2].ID
		}
		if c.LastID != want || c.LastDirection != queue.DirectionOut || c.LastText != "to all" || !c.LastAt.Equal(clk.Now()) {
			t.Errorf("%s: %+v, want last id %d out at %v", c.Number, c, want, clk.Now())
		}
		if c.Number == alice && (c.Unread != 1 || c.ReplyModem != "m1") {
			t.Errorf("alice lost what was received: %+v", c)
		}
	}
}

// testConversations: one thread per number, newest first, paged; unread
// counts received messages until MarkRead; the reply modem is the last
// one that received; the thread merges both directions in time order and
// pages to older entries; deleting a message updates the thread, and a
// thread with nothing left goes.
func testConversations(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{JoinText: joinPlain})
	cv := conversations(t, st)
	const alice, bob, carol = "+15550100011", "+15550100022", "+15550100033"
	step := func() { clk.Advance(time.Second) }
	receive(t, st, "m1", alice, "hi")
	step()
	mustEnqueue(t, st, queue.NewMessage{To: []string{alice}, Text: "hello alice"})
	step()
	receive(t, st, "m1", bob, "bob here")
	step()
	receive(t, st, "m2", alice, "still there?")
	step()
	mustEnqueue(t, st, queue.NewMessage{To: []string{carol}, Text: "news for carol"})
	step()
	receive(t, st, "m1", alice, "hello?")

	pg, err := cv.Conversations(ctx, queue.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range pg.Conversations {
		order = append(order, c.Number)
	}
	if fmt.Sprint(order) != fmt.Sprint([]string{alice, carol, bob}) || pg.Next != "" {
		t.Fatalf("order %v next %q", order, pg.Next)
	}
	a := pg.Conversations[0]
	if a.Unread != 3 || a.LastDirection != queue.DirectionIn || a.LastText != "hello?" || a.ReplyModem != "m1" ||
		!a.LastAt.Equal(clk.Now()) {
		t.Fatalf("alice %+v", a)
	}
	if c := pg.Conversations[1]; c.Unread != 0 || c.LastDirection != queue.DirectionOut || c.ReplyModem != "" || c.LastText != "news for carol" {
		t.Fatalf("carol %+v", c)
	}
	// Pages of one, following Next, give the same order.
	var paged []string
	cur := ""
	for i := 0; i < 10; i++ {
		p, err := cv.Conversations(ctx, queue.ConversationFilter{Limit: 1, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Conversations {
			paged = append(paged, c.Number)
		}
		if cur = p.Next; cur == "" {
			break
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint(order) {
		t.Fatalf("paged %v, want %v", paged, order)
	}
	if _, err := cv.Conversations(ctx, queue.ConversationFilter{Cursor: "garbage"}); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("bad cursor: %v", err)
	}

	th, err := cv.Thread(ctx, alice, queue.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range th.Entries {
		texts = append(texts, e.Direction+":"+e.Text)
	}
	want := []string{"in:hi", "out:hello alice", "in:still there?", "in:hello?"}
	if fmt.Sprint(texts) != fmt.Sprint(want) || th.Next != "" {
		t.Fatalf("thread %v next %q, want %v", texts, th.Next, want)
	}
	if th.Entries[1].State != smsgw.StateQueued || th.Entries[2].Modem != "m2" {
		t.Fatalf("entries %+v", th.Entries)
	}
	// Two at a time: the newest two, then the older two.
	p1, err := cv.Thread(ctx, alice, queue.ConversationFilter{Limit: 2})
	if err != nil || len(p1.Entries) != 2 || p1.Entries[0].Text != "still there?" || p1.Next == "" {
		t.Fatalf("first page %+v, %v", p1, err)
	}
	p2, err := cv.Thread(ctx, alice, queue.ConversationFilter{Limit: 2, Cursor: p1.Next})
	if err != nil || len(p2.Entries) != 2 || p2.Entries[0].Text != "hi" || p2.Entries[1].Text != "hello alice" {
		t.Fatalf("second page %+v, %v", p2, err)
	}
	if p3, err := cv.Thread(ctx, alice, queue.ConversationFilter{Limit: 2, Cursor: p2.Next}); p2.Next != "" && (err != nil || len(p3.Entries) != 0) {
		t.Fatalf("third page %+v, %v", p3, err)
	}

	if err := cv.MarkRead(ctx, alice); err != nil {
		t.Fatal(err)
	}
	step()
	last := receive(t, st, "m2", alice, "one more")
	c, err := cv.Conversation(ctx, alice)
	if err != nil || c.Unread != 1 || c.ReplyModem != "m2" {
		t.Fatalf("after read and one more: %+v, %v", c, err)
	}
	// Deleting the newest message: the thread's last message and unread
	// count follow.
	if err := st.DeleteInbox(ctx, last); err != nil {
		t.Fatal(err)
	}
	c, err = cv.Conversation(ctx, alice)
	if err != nil || c.Unread != 0 || c.LastText != "hello?" {
		t.Fatalf("after delete: %+v, %v", c, err)
	}
	// Bob's only message deleted: no thread left.
	bp, err := st.Inbox(ctx, queue.InboxFilter{From: bob})
	if err != nil || len(bp.Messages) != 1 {
		t.Fatalf("bob's inbox %+v, %v", bp, err)
	}
	if err := st.DeleteInbox(ctx, bp.Messages[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{bob, "+15550109999"} {
		if _, err := cv.Conversation(ctx, n); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("Conversation(%s): %v", n, err)
		}
		if _, err := cv.Thread(ctx, n, queue.ConversationFilter{}); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("Thread(%s): %v", n, err)
		}
		if err := cv.MarkRead(ctx, n); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("MarkRead(%s): %v", n, err)
		}
	}
	// The opt-out state comes with the thread.
	if cs, ok := st.(consent.Store); ok {
		if c, err := cv.Conversation(ctx, alice); err != nil || c.OptedOut {
			t.Fatalf("before the opt-out: %+v, %v", c, err)
		}
		if _, err := cs.Apply(ctx, consent.Record{Number: alice, Action: consent.ActionOptOut, Source: consent.SourceSMS}); err != nil {
			t.Fatal(err)
		}
		pg, err := cv.Conversations(ctx, queue.ConversationFilter{})
		if err != nil || len(pg.Conversations) == 0 || pg.Conversations[0].Number != alice || !pg.Conversations[0].OptedOut {
			t.Fatalf("after the opt-out: %+v, %v", pg.Conversations, err)
		}
	}
	// Read state and threads survive a reopen.
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = d.reopen(t, queue.Options{Now: clk.Now, JoinText: joinPlain})
	c, err = conversations(t, st).Conversation(ctx, alice)
	if err != nil || c.Unread != 0 || c.LastText != "hello?" {
		t.Fatalf("after reopen: %+v, %v", c, err)
	}
}
