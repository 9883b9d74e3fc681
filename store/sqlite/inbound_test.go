package sqlite

import (
	"context"
	"errors"
	"testing"

	"smsgw/queue"

	"github.com/google/go-cmp/cmp"

	"smsgw"
)

func TestInboundSeparation(t *testing.T) {
	st, _ := testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	// Same reference from two senders, and from the same sender on two
	// modems: four different messages.
	a1, b1, c1 := part(1, 2, "a1"), part(1, 2, "b1"), part(1, 2, "c1")
	b1.Sender, c1.Modem = "+4917111111", "m2"
	a2, b2, c2 := part(2, 2, "a2"), part(2, 2, "b2"), part(2, 2, "c2")
	b2.Sender, c2.Modem = "+4917111111", "m2"
	for _, p := range []queue.InboundPart{a1, b1, c1, a2, b2, c2} {
		if _, err := st.AddInboundPart(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Single SMS with the same sender and time stamp are all kept, the
	// byte-identical ones too: they are different deliveries.
	s1 := queue.InboundPart{Modem: "m1", Sender: "+4917000000", SCTS: a1.SCTS, PDU: []byte("1:one")}
	s2 := s1
	s2.PDU = []byte("1:two")
	for _, p := range []queue.InboundPart{s1, s2, s1} {
		if res, err := st.AddInboundPart(ctx, p); err != nil || res.Duplicate || res.InboxID == 0 {
			t.Fatalf("AddInboundPart(%q) = %+v, %v", p.PDU, res, err)
		}
	}
	pg, _ := st.Inbox(ctx, queue.InboxFilter{})
	var got []string
	for _, m := range pg.Messages {
		got = append(got, m.Modem+" "+m.From+" "+m.Text)
	}
	want := []string{"m1 +4917000000 one", "m1 +4917000000 two", "m1 +4917000000 one", "m2 +4917000000 c1c2",
		"m1 +4917111111 b1b2", "m1 +4917000000 a1a2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inbox (-want +got):\n%s", diff)
	}
	// Filters and pagination.
	byFrom, _ := st.Inbox(ctx, queue.InboxFilter{From: "+4917111111"})
	byModem, _ := st.Inbox(ctx, queue.InboxFilter{Modem: "m2"})
	if len(byFrom.Messages) != 1 || len(byModem.Messages) != 1 || byModem.Messages[0].Text != "c1c2" {
		t.Errorf("filters: %+v %+v", byFrom, byModem)
	}
	p1, _ := st.Inbox(ctx, queue.InboxFilter{Limit: 3})
	p2, _ := st.Inbox(ctx, queue.InboxFilter{Limit: 3, Cursor: p1.Next})
	if len(p1.Messages) != 3 || len(p2.Messages) != 3 || p2.Next != 0 || p2.Messages[0].ID >= p1.Messages[2].ID {
		t.Errorf("pages: %d (next %d), %d (next %d)", len(p1.Messages), p1.Next, len(p2.Messages), p2.Next)
	}
	// Delete removes the message and its raw parts.
	id := pg.Messages[0].ID
	if err := st.DeleteInbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetInbox(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("GetInbox after delete err = %v", err)
	}
	if err := st.DeleteInbox(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("second delete err = %v", err)
	}
	var n int
	st.rdb.QueryRow(`SELECT count(*) FROM inbound_parts WHERE inbox_id = ?`, id).Scan(&n)
	if n != 0 {
		t.Errorf("%d raw parts left after delete", n)
	}
}
