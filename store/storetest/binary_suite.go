package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"smsgw"
	"smsgw/queue"
)

// testBinaryMessages: what a message carries besides text (8-bit data, a
// client's header, ports, class, TP-PID) is stored, listed and claimed as
// given, is part of the idempotency fingerprint, and is validated.
func testBinaryMessages(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	ctx := context.Background()
	cl := 1
	bin := queue.Binary{Data: []byte{0, 1, 0xFE, 0xFF}, UDH: []byte{3, 0x70, 1, 0xAB}, Ports: &queue.Ports{Dst: 53739, Src: 0}, Class: &cl, PID: 0x41}
	res, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Binary: bin, IdempotencyKey: "bin"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(where string, m queue.Message) {
		t.Helper()
		if m.Text != "" || !reflect.DeepEqual(m.Binary, bin) {
			t.Errorf("%s: text %q binary %+v (ports %+v), want %+v", where, m.Text, m.Binary, m.Ports, bin)
		}
	}
	check("Enqueue", res.Messages[0])
	id := res.Messages[0].ID
	m, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	check("Get", m)
	pg, err := st.List(ctx, queue.Filter{})
	if err != nil || len(pg.Messages) != 1 {
		t.Fatalf("List: %+v %v", pg, err)
	}
	check("List", pg.Messages[0])
	// A different payload under the same key is another request.
	other := bin
	other.Data = []byte{0, 1, 0xFE}
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Binary: other, IdempotencyKey: "bin"}); !errors.Is(err, smsgw.ErrIdempotencyMismatch) {
		t.Errorf("other data under the same key: %v", err)
	}
	other = bin
	other.Ports = &queue.Ports{Dst: 53740}
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Binary: other, IdempotencyKey: "bin"}); !errors.Is(err, smsgw.ErrIdempotencyMismatch) {
		t.Errorf("other port under the same key: %v", err)
	}
	if r, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Binary: bin, IdempotencyKey: "bin"}); err != nil || !r.Replayed {
		t.Errorf("replay: %+v %v", r, err)
	}
	j := mustClaim(t, st, modemA)
	if j == nil {
		t.Fatal("nothing to claim")
	}
	check("TryClaim", j.Message)

	// A text message with a class only, and a plain one: no binary fields.
	c3 := 3
	txt := mustEnqueue(t, st, queue.NewMessage{Binary: queue.Binary{Class: &c3}})[0]
	if m, _ := st.Get(ctx, txt.ID); m.Text != "hello" || m.Class == nil || *m.Class != 3 || m.Data != nil || m.Ports != nil {
		t.Errorf("text with class 3: %+v", m)
	}
	plain := mustEnqueue(t, st, queue.NewMessage{})[0]
	if m, _ := st.Get(ctx, plain.ID); !reflect.DeepEqual(m.Binary, queue.Binary{}) {
		t.Errorf("plain text message has %+v", m.Binary)
	}

	bad := []struct {
		field string
		m     queue.NewMessage
	}{
		{"data", queue.NewMessage{Text: "x", Binary: queue.Binary{Data: []byte{1}}}},
		{"data", queue.NewMessage{Binary: queue.Binary{Data: []byte{}}}},
		{"data", queue.NewMessage{Binary: queue.Binary{Data: make([]byte, queue.MaxDataBytes+1)}}},
		{"udh", queue.NewMessage{Binary: queue.Binary{Data: []byte{1}, UDH: []byte{5, 0, 3}}}},
		{"port", queue.NewMessage{Binary: queue.Binary{Data: []byte{1}, Ports: &queue.Ports{Dst: 65536}}}},
		{"class", queue.NewMessage{Text: "x", Binary: queue.Binary{Class: new(int)}}},
		{"pid", queue.NewMessage{Text: "x", Binary: queue.Binary{PID: 256}}},
		{"coding", queue.NewMessage{Text: "x", Coding: "8bit"}},
		{"coding", queue.NewMessage{Coding: "ucs2", Binary: queue.Binary{Data: []byte{1}}}},
	}
	*bad[5].m.Class = 4
	for _, c := range bad {
		c.m.To = []string{"+4915112345678"}
		_, err := st.Enqueue(ctx, c.m)
		var ve *queue.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: err %v, want a validation error on %s", c.field, err, c.field)
		}
	}
}

// testInboundBinary: what Options.Join decodes besides text reaches the
// inbox message and its event.
func testInboundBinary(t *testing.T, d driver) {
	cl := 2
	join := func(parts [][]byte) (queue.Joined, error) {
		return queue.Joined{Coding: "8bit", Data: bytes.Join(parts, nil), Ports: &queue.Ports{Dst: 2948, Src: 9200}, Class: &cl}, nil
	}
	st, _ := d.testStore(t, queue.Options{Join: join})
	ctx := context.Background()
	if err := st.AddConsumer(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	var id int64
	for seq, p := range [][]byte{{1, 2}, {0xFF}} {
		res, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+4917000000", Ref: 9, Total: 2, Seq: seq + 1, PDU: p})
		if err != nil {
			t.Fatal(err)
		}
		id = res.InboxID
	}
	if id == 0 {
		t.Fatal("not joined")
	}
	want := func(where string, data []byte, ports *queue.Ports, class *int) {
		t.Helper()
		if !bytes.Equal(data, []byte{1, 2, 0xFF}) || ports == nil || *ports != (queue.Ports{Dst: 2948, Src: 9200}) || class == nil || *class != 2 {
			t.Errorf("%s: data %X ports %+v class %v", where, data, ports, class)
		}
	}
	m, err := st.GetInbox(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want("GetInbox", m.Data, m.Ports, m.Class)
	pg, err := st.Inbox(ctx, queue.InboxFilter{})
	if err != nil || len(pg.Messages) != 1 {
		t.Fatalf("Inbox: %+v %v", pg, err)
	}
	want("Inbox", pg.Messages[0].Data, pg.Messages[0].Ports, pg.Messages[0].Class)
	ds, _, err := st.NextEvents(ctx, "c", 10)
	if err != nil || len(ds) != 1 || ds[0].Type != queue.EventReceived {
		t.Fatalf("events %+v %v", ds, err)
	}
	var ev queue.InboxEvent
	if err := json.Unmarshal(ds[0].Data, &ev); err != nil {
		t.Fatal(err)
	}
	want("event", ev.Data, ev.Ports, ev.Class)
}
