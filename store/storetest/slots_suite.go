package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"smsgw/queue"
)

func single(text string, slot *queue.Slot) queue.InboundPart {
	p := part(1, 1, text)
	p.Slot = slot
	return p
}

func inboxCount(t *testing.T, st queue.Storage) int {
	t.Helper()
	pg, err := st.Inbox(context.Background(), queue.InboxFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(pg.Messages)
}

// A slot is a duplicate only between its commit and the confirmed delete;
// after that the same bytes in the same slot are a new message.
func testInboundSlotLifecycle(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	sm3 := &queue.Slot{Storage: "SM", Index: 3}
	add := func(p queue.InboundPart) queue.InboundResult {
		t.Helper()
		res, err := st.AddInboundPart(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := add(single("YES", sm3)); res.Duplicate || res.InboxID == 0 {
		t.Fatalf("first read: %+v", res)
	}
	if res := add(single("YES", sm3)); !res.Duplicate {
		t.Fatalf("re-read before the delete: %+v", res)
	}
	// The same slot on another modem, or another slot, is another message.
	other := single("YES", &queue.Slot{Storage: "SM", Index: 4})
	if res := add(other); res.Duplicate {
		t.Fatalf("other slot: %+v", res)
	}
	onB := single("YES", sm3)
	onB.Modem = "m2"
	if res := add(onB); res.Duplicate {
		t.Fatalf("other modem: %+v", res)
	}
	if err := st.SlotDeleted(ctx, "m1", *sm3); err != nil {
		t.Fatal(err)
	}
	if res := add(single("YES", sm3)); res.Duplicate || res.InboxID == 0 {
		t.Fatalf("same bytes after the delete: %+v", res)
	}
	// Other bytes in a slot still pending: the delete happened without its
	// confirmation; the slot holds a new message.
	if res := add(single("NO", sm3)); res.Duplicate {
		t.Fatalf("new bytes in a pending slot: %+v", res)
	}
	if res := add(single("NO", sm3)); !res.Duplicate {
		t.Fatalf("re-read of the new bytes: %+v", res)
	}
	if n := inboxCount(t, st); n != 5 {
		t.Errorf("inbox has %d messages, want 5", n)
	}
	// Direct deliveries (no slot) are never duplicates.
	for i := 0; i < 3; i++ {
		if res := add(single("YES", nil)); res.Duplicate {
			t.Fatalf("direct delivery %d: %+v", i, res)
		}
	}
	if n := inboxCount(t, st); n != 8 {
		t.Errorf("inbox has %d messages, want 8", n)
	}
}

// Deleting an inbox message keeps its slot pending: a sweep that reads
// the slot again (its AT+CMGD failed) neither brings the message back nor
// emits a second event.
func testDeleteInboxKeepsSlot(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	p := single("code 123456", &queue.Slot{Storage: "ME", Index: 7})
	res, err := st.AddInboundPart(ctx, p)
	if err != nil || res.InboxID == 0 {
		t.Fatalf("AddInboundPart = %+v, %v", res, err)
	}
	if err := st.DeleteInbox(ctx, res.InboxID); err != nil {
		t.Fatal(err)
	}
	again, err := st.AddInboundPart(ctx, p)
	if err != nil || !again.Duplicate {
		t.Fatalf("re-read after inbox delete = %+v, %v", again, err)
	}
	if n := inboxCount(t, st); n != 0 {
		t.Errorf("inbox has %d messages after delete and re-read", n)
	}
	evs, err := st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Errorf("%d events, want the first one only", len(evs))
	}
}

func testSlotsSeen(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		if _, err := st.AddInboundPart(ctx, single("x", &queue.Slot{Storage: "SM", Index: i})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AddInboundPart(ctx, single("x", &queue.Slot{Storage: "ME", Index: 0})); err != nil {
		t.Fatal(err)
	}
	// A listing of SM shows slots 1 and 3 still there: 0 and 2 were
	// deleted; ME is not concerned.
	n, err := st.SlotsSeen(ctx, "m1", "SM", []int{1, 3})
	if err != nil || n != 2 {
		t.Fatalf("SlotsSeen = %d, %v; want 2", n, err)
	}
	for i, wantDup := range []bool{false, true, false, true} {
		res, err := st.AddInboundPart(ctx, single("x", &queue.Slot{Storage: "SM", Index: i}))
		if err != nil || res.Duplicate != wantDup {
			t.Errorf("slot SM/%d: %+v, %v; want duplicate %v", i, res, err, wantDup)
		}
	}
	if res, _ := st.AddInboundPart(ctx, single("x", &queue.Slot{Storage: "ME", Index: 0})); !res.Duplicate {
		t.Errorf("ME/0 cleared by a listing of SM")
	}
}

func testAddUndecodable(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	u := queue.Undecodable{Modem: "m1", Slot: &queue.Slot{Storage: "SM", Index: 0}, PDU: "0791FF", Err: "pdu: TP-MTI at offset 3: truncated"}
	res, err := st.AddUndecodable(ctx, u)
	if err != nil || res.InboxID == 0 || res.Duplicate {
		t.Fatalf("AddUndecodable = %+v, %v", res, err)
	}
	if res, err := st.AddUndecodable(ctx, u); err != nil || !res.Duplicate {
		t.Fatalf("re-read = %+v, %v", res, err)
	}
	m, err := st.GetInbox(ctx, res.InboxID)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Undecodable || m.PDU != u.PDU || m.Error != u.Err || m.Storage != "SM" || m.Slot != 0 || m.Modem != "m1" || len(m.Parts) != 0 {
		t.Errorf("stored = %+v", m)
	}
	evs, _ := st.Events(ctx, 0, 10)
	if len(evs) != 1 || evs[0].Type != queue.EventReceived {
		t.Fatalf("events = %+v", evs)
	}
	var ie queue.InboxEvent
	if err := json.Unmarshal(evs[0].Data, &ie); err != nil {
		t.Fatal(err)
	}
	if !ie.Undecodable || ie.PDU != u.PDU || ie.Error != u.Err || ie.Slot == nil || *ie.Slot != 0 || ie.Storage != "SM" {
		t.Errorf("event = %+v", ie)
	}
	// A direct delivery has no slot.
	res, err = st.AddUndecodable(ctx, queue.Undecodable{Modem: "m1", PDU: "00", Err: "x"})
	if err != nil || res.Duplicate {
		t.Fatalf("direct: %+v, %v", res, err)
	}
	if m, _ := st.GetInbox(ctx, res.InboxID); m.Slot != -1 || m.Storage != "" {
		t.Errorf("direct stored = %+v", m)
	}
	for _, bad := range []queue.Undecodable{{PDU: "00"}, {Modem: "m1"}, {Modem: "m1", PDU: "00", Slot: &queue.Slot{Index: 1}}} {
		if _, err := st.AddUndecodable(ctx, bad); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("AddUndecodable(%+v) err = %v", bad, err)
		}
	}
}

func testInboundDefectsJoined(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	p1, p2 := part(1, 2, "a"), part(2, 2, "b")
	p1.Defects = []string{"TP-SCTS: time zone octet 0xC2 read as +08:00"}
	p2.Defects = []string{"TP-UD: 2 octets short of TP-UDL"}
	st.AddInboundPart(ctx, p1)
	res, err := st.AddInboundPart(ctx, p2)
	if err != nil || res.InboxID == 0 {
		t.Fatalf("AddInboundPart = %+v, %v", res, err)
	}
	m, _ := st.GetInbox(ctx, res.InboxID)
	want := []string{"part 1: TP-SCTS: time zone octet 0xC2 read as +08:00", "part 2: TP-UD: 2 octets short of TP-UDL"}
	if diff := cmp.Diff(want, m.Defects); diff != "" {
		t.Errorf("defects (-want +got):\n%s", diff)
	}
	evs, _ := st.Events(ctx, 0, 10)
	var ie queue.InboxEvent
	json.Unmarshal(evs[len(evs)-1].Data, &ie)
	if diff := cmp.Diff(want, ie.Defects); diff != "" {
		t.Errorf("event defects (-want +got):\n%s", diff)
	}
}

// A crash between the commit and the delete: after a restart the slot is
// still pending, and reading it again stores nothing.
func testInboundSlotSurvivesRestart(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{JoinText: joinPlain})
	if _, err := st.AddInboundPart(ctx, single("YES", &queue.Slot{Storage: "SM", Index: 0})); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st2 := d.reopen(t, queue.Options{JoinText: joinPlain, Now: NewClock().Now})
	res, err := st2.AddInboundPart(ctx, single("YES", &queue.Slot{Storage: "SM", Index: 0}))
	if err != nil || !res.Duplicate {
		t.Fatalf("re-read after restart = %+v, %v", res, err)
	}
	if n := inboxCount(t, st2); n != 1 {
		t.Errorf("inbox has %d messages", n)
	}
}
