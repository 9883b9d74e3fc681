package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw/queue"
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

func part(seq, total int, text string) queue.InboundPart {
	return queue.InboundPart{Modem: "m1", Sender: "+4917000000", Ref: 42, Total: total, Seq: seq,
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

func testInboundJoinAnyOrder(t *testing.T, d driver) {
	texts := []string{"Hello ", "from ", "the ", "network"}
	for _, order := range permutations(len(texts)) {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
			ctx := context.Background()
			// Each part was read from its own SIM slot.
			slotted := func(k int) queue.InboundPart {
				p := part(k+1, len(texts), texts[k])
				p.Slot = &queue.Slot{Storage: "SM", Index: k}
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
			pg, _ := st.Inbox(ctx, queue.InboxFilter{})
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
			if diff := cmp.Diff([]queue.EventType{queue.EventReceived}, eventTypes(t, st, m.ID)); diff != "" {
				t.Errorf("events:\n%s", diff)
			}
		})
	}
}

func testInboundTimeout(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{JoinText: joinPlain, JoinTimeout: 10 * time.Minute})
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
	pg, _ := st.Inbox(ctx, queue.InboxFilter{})
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

func testInboundDecoderFailure(t *testing.T, d driver) {
	for name, join := range map[string]func([][]byte) (string, string, error){
		"error": func([][]byte) (string, string, error) { return "", "", errors.New("bad UDH") },
		"panic": func([][]byte) (string, string, error) { panic("codec bug") },
		"nil":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			st, _ := d.testStore(t, queue.Options{JoinText: join})
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

func testInboundValidation(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	for _, p := range []queue.InboundPart{
		{Modem: "m", Seq: 3, Total: 2, PDU: []byte{1}},
		{Modem: "m", Seq: 2, Total: 1, PDU: []byte{1}},
		{Modem: "m", Seq: 1, Total: 300, PDU: []byte{1}},
		{Modem: "m", Seq: 1, Total: 2, Ref: 70000, PDU: []byte{1}},
		{Modem: "m", Seq: 1, Total: 1},
		{Seq: 1, Total: 1, PDU: []byte{1}},
	} {
		if _, err := st.AddInboundPart(context.Background(), p); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("AddInboundPart(%+v) err = %v, want ErrInvalid", p, err)
		}
	}
}
