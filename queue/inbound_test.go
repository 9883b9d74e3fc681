package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
)

// joinPlain is the tests' JoinText: each fake PDU is "<seq>:<text>".
func joinPlain(parts [][]byte) (string, string, error) {
	var b strings.Builder
	for _, p := range parts {
		_, text, ok := strings.Cut(string(p), ":")
		if !ok {
			return "", "", fmt.Errorf("bad fake pdu %q", p)
		}
		b.WriteString(text)
	}
	return b.String(), "gsm7", nil
}

func part(seq, total int, text string) InboundPart {
	return InboundPart{Modem: "m1", Sender: "+4917000000", Ref: 42, Total: total, Seq: seq,
		SCTS: time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC), PDU: []byte(fmt.Sprintf("%d:%s", seq, text))}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestInboundJoinAnyOrder(t *testing.T) {
	texts := []string{"Hello ", "from ", "the ", "network"}
	for _, order := range permutations(len(texts)) {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			st, _ := testStore(t, Options{JoinText: joinPlain})
			ctx := context.Background()
			// Each part was read from its own SIM slot.
			slotted := func(k int) InboundPart {
				p := part(k+1, len(texts), texts[k])
				p.Slot = &Slot{Storage: "SM", Index: k}
				return p
			}
			for i, k := range order {
				res, err := st.AddInboundPart(ctx, slotted(k))
				if err != nil {
					t.Fatal(err)
				}
				last := i == len(order)-1
				if res.Duplicate || (res.InboxID != 0) != last {
					t.Fatalf("part %d (step %d): %+v", k+1, i, res)
				}
				// The same slot read again before its delete was
				// confirmed changes nothing.
				if !last {
					dup, err := st.AddInboundPart(ctx, slotted(k))
					if err != nil || !dup.Duplicate || dup.InboxID != 0 {
						t.Fatalf("duplicate of part %d: %+v, %v", k+1, dup, err)
					}
				}
			}
			pg, _ := st.Inbox(ctx, InboxFilter{})
			if len(pg.Messages) != 1 {
				t.Fatalf("inbox has %d messages", len(pg.Messages))
			}
			m, err := st.GetInbox(ctx, pg.Messages[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != "Hello from the network" || !m.Complete || m.PartsReceived != 4 || m.Coding != "gsm7" || m.From != "+4917000000" {
				t.Errorf("joined = %+v", m)
			}
			for i, p := range m.Parts {
				if p.Seq != i+1 || string(p.PDU) != fmt.Sprintf("%d:%s", i+1, texts[i]) {
					t.Errorf("raw part %d = %d %q", i, p.Seq, p.PDU)
				}
			}
			// Re-reading the SIM after a crash (no delete confirmed):
			// every part is a duplicate.
			for k := range texts {
				res, _ := st.AddInboundPart(ctx, slotted(k))
				if !res.Duplicate {
					t.Errorf("re-read part %d not a duplicate", k+1)
				}
			}
			if diff := cmp.Diff([]EventType{EventReceived}, eventTypes(t, st, m.ID)); diff != "" {
				t.Errorf("events:\n%s", diff)
			}
		})
	}
}

func TestInboundSeparation(t *testing.T) {
	st, _ := testStore(t, Options{JoinText: joinPlain})
	ctx := context.Background()
	// Same reference from two senders, and from the same sender on two
	// modems: four different messages.
	a1, b1, c1 := part(1, 2, "a1"), part(1, 2, "b1"), part(1, 2, "c1")
	b1.Sender, c1.Modem = "+4917111111", "m2"
	a2, b2, c2 := part(2, 2, "a2"), part(2, 2, "b2"), part(2, 2, "c2")
	b2.Sender, c2.Modem = "+4917111111", "m2"
	for _, p := range []InboundPart{a1, b1, c1, a2, b2, c2} {
		if _, err := st.AddInboundPart(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Single SMS with the same sender and time stamp are all kept, the
	// byte-identical ones too: they are different deliveries.
	s1 := InboundPart{Modem: "m1", Sender: "+4917000000", SCTS: a1.SCTS, PDU: []byte("1:one")}
	s2 := s1
	s2.PDU = []byte("1:two")
	for _, p := range []InboundPart{s1, s2, s1} {
		if res, err := st.AddInboundPart(ctx, p); err != nil || res.Duplicate || res.InboxID == 0 {
			t.Fatalf("AddInboundPart(%q) = %+v, %v", p.PDU, res, err)
		}
	}
	pg, _ := st.Inbox(ctx, InboxFilter{})
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
	byFrom, _ := st.Inbox(ctx, InboxFilter{From: "+4917111111"})
	byModem, _ := st.Inbox(ctx, InboxFilter{Modem: "m2"})
	if len(byFrom.Messages) != 1 || len(byModem.Messages) != 1 || byModem.Messages[0].Text != "c1c2" {
		t.Errorf("filters: %+v %+v", byFrom, byModem)
	}
	p1, _ := st.Inbox(ctx, InboxFilter{Limit: 3})
	p2, _ := st.Inbox(ctx, InboxFilter{Limit: 3, Cursor: p1.Next})
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

func TestInboundTimeout(t *testing.T) {
	st, clk := testStore(t, Options{JoinText: joinPlain, JoinTimeout: 10 * time.Minute})
	ctx := context.Background()
	st.AddInboundPart(ctx, part(3, 3, "end"))
	clk.Advance(4 * time.Minute)
	st.AddInboundPart(ctx, part(1, 3, "start "))
	next, err := st.Sweep(ctx)
	if err != nil || !next.Equal(clk.Now().Add(6*time.Minute)) {
		t.Fatalf("Sweep = %v, %v; want the deadline of the first part", next, err)
	}
	clk.Advance(6 * time.Minute)
	if next, err = st.Sweep(ctx); err != nil || !next.IsZero() {
		t.Fatalf("Sweep = %v, %v", next, err)
	}
	pg, _ := st.Inbox(ctx, InboxFilter{})
	if len(pg.Messages) != 1 {
		t.Fatalf("inbox = %+v", pg)
	}
	m := pg.Messages[0]
	if m.Complete || m.PartsReceived != 2 || m.PartsTotal != 3 || m.Text != "start end" {
		t.Errorf("timed-out message = %+v", m)
	}
	// The missing part arriving late does not reopen the message: it
	// starts a new group of its own, joined later.
	res, _ := st.AddInboundPart(ctx, part(2, 3, "middle "))
	if res.Duplicate || res.InboxID != 0 {
		t.Errorf("late part: %+v", res)
	}
}

func TestInboundDecoderFailure(t *testing.T) {
	for name, join := range map[string]func([][]byte) (string, string, error){
		"error": func([][]byte) (string, string, error) { return "", "", errors.New("bad UDH") },
		"panic": func([][]byte) (string, string, error) { panic("codec bug") },
		"nil":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			st, _ := testStore(t, Options{JoinText: join})
			res, err := st.AddInboundPart(context.Background(), part(1, 1, "x"))
			if err != nil || res.InboxID == 0 {
				t.Fatalf("AddInboundPart = %+v, %v", res, err)
			}
			m, _ := st.GetInbox(context.Background(), res.InboxID)
			if m.Error == "" || m.Text != "" || len(m.Parts) != 1 || string(m.Parts[0].PDU) != "1:x" {
				t.Errorf("stored = %+v", m)
			}
		})
	}
}

func TestInboundValidation(t *testing.T) {
	st, _ := testStore(t, Options{})
	for _, p := range []InboundPart{
		{Modem: "m", Seq: 3, Total: 2, PDU: []byte{1}},
		{Modem: "m", Seq: 2, Total: 1, PDU: []byte{1}},
		{Modem: "m", Seq: 1, Total: 300, PDU: []byte{1}},
		{Modem: "m", Seq: 1, Total: 2, Ref: 70000, PDU: []byte{1}},
		{Modem: "m", Seq: 1, Total: 1},
		{Seq: 1, Total: 1, PDU: []byte{1}},
	} {
		if _, err := st.AddInboundPart(context.Background(), p); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddInboundPart(%+v) err = %v, want ErrInvalid", p, err)
		}
	}
}
