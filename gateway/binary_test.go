package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/modem/pdu"
	"smsgw/modem/sim"
	"smsgw/queue"
)

// Binary and class messages end to end on two emulated modems: sim0 sends
// 8-bit data to a port (two parts) and a class 2 text to sim1; the network
// carries what the SUBMITs hold; sim1's side of the gateway joins the data,
// keeps the port and class, and hands it to a webhook as sms:data-received
// with the octets in base64. A text arrives as sms:received with its class.
func TestBinaryEndToEnd(t *testing.T) {
	events := make(chan smsgw.Event, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var e smsgw.Event
		if err := json.Unmarshal(body, &e); err == nil {
			events <- e
		}
	}))
	defer srv.Close()
	r := newRig(t, rigOptions{modems: 2, opts: func(c *Options) {
		c.Webhook.Targets = []string{srv.URL}
	}})
	r.waitReady(2)
	data := make([]byte, 200)
	for i := range data {
		data[i] = byte(255 - i)
	}
	c2 := 2
	to := r.modems[1].Number()
	bin := r.enqueue(queue.NewMessage{To: []string{to}, Modem: "sim0", Binary: queue.Binary{
		Data: data, Ports: &queue.Ports{Dst: 53739, Src: 4000}, PID: 0x41}})
	txt := r.enqueue(queue.NewMessage{To: []string{to}, Modem: "sim0", Text: "class two", Binary: queue.Binary{Class: &c2}})
	r.waitStates([]int64{bin[0].ID, txt[0].ID}, 30*time.Second, smsgw.StateSent)

	// On the wire: two 8-bit parts, each with the port element, and TP-PID.
	var dataParts, textParts []sim.Sent
	for _, s := range r.net.Submitted() {
		if c, _ := s.Submit.DCS.Coding(); c == pdu.Coding8Bit {
			dataParts = append(dataParts, s)
		} else {
			textParts = append(textParts, s)
		}
	}
	if len(dataParts) != 2 || len(textParts) != 1 {
		t.Fatalf("submitted %d data and %d text parts, want 2 and 1", len(dataParts), len(textParts))
	}
	for i, s := range dataParts {
		h, err := s.Submit.UD.Header()
		p, ok := h.Ports()
		if err != nil || !ok || p.Dst != 53739 || p.Src != 4000 || s.Submit.PID != 0x41 {
			t.Errorf("data part %d: ports %+v %v, PID %02X, %v", i+1, p, ok, s.Submit.PID, err)
		}
	}
	if cl, ok := textParts[0].Submit.DCS.Class(); !ok || cl != 2 {
		t.Errorf("text part class %d %v, want 2", cl, ok)
	}

	// Received: the inbox and the webhook.
	var gotData, gotText bool
	deadline := time.After(30 * time.Second)
	for !gotData || !gotText {
		select {
		case e := <-events:
			if e.DeviceID != "sim1" {
				continue
			}
			var rc hooks.Received
			if err := json.Unmarshal(e.Payload, &rc); err != nil {
				t.Fatal(err)
			}
			switch e.Event {
			case smsgw.EventDataReceived:
				got, err := base64.StdEncoding.DecodeString(rc.Data)
				if err != nil || !bytes.Equal(got, data) || rc.Port == nil || *rc.Port != 53739 || rc.SourcePort == nil || *rc.SourcePort != 4000 {
					t.Errorf("data event: data %q port %v/%v (%v)", rc.Data, rc.Port, rc.SourcePort, err)
				}
				gotData = true
			case smsgw.EventReceived:
				if rc.Text != "class two" || rc.Class == nil || *rc.Class != 2 || rc.Data != "" {
					t.Errorf("text event: %+v", rc)
				}
				gotText = true
			}
		case <-deadline:
			t.Fatalf("events: data %v text %v", gotData, gotText)
		}
	}
	in := r.inbox()
	if len(in) != 2 {
		t.Fatalf("inbox has %d messages", len(in))
	}
	for _, m := range in {
		switch {
		case m.Coding == "8bit":
			if !bytes.Equal(m.Data, data) || m.Ports == nil || m.Ports.Dst != 53739 || m.PartsTotal != 2 {
				t.Errorf("inbox data message: %+v", m)
			}
		default:
			if m.Text != "class two" || m.Class == nil || *m.Class != 2 || m.Data != nil {
				t.Errorf("inbox text message: %+v", m)
			}
		}
	}
}

// A text addressed to an application port, arriving from outside the
// gateway's modems: it is data for that application, so the inbox keeps
// its characters as data with the port, and the hooks get
// sms:data-received.
func TestInboundPortAddressedText(t *testing.T) {
	events := make(chan smsgw.Event, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var e smsgw.Event
		if err := json.Unmarshal(body, &e); err == nil {
			events <- e
		}
	}))
	defer srv.Close()
	r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) {
		c.Webhook.Targets = []string{srv.URL}
	}})
	r.waitReady(1)
	segs, err := pdu.SegmentText("ping 42", pdu.SegmentOptions{Ports: &pdu.Ports{Dst: 16000, Src: 16001}})
	if err != nil {
		t.Fatal(err)
	}
	from, _ := pdu.ParseAddress("+4915112345678")
	tpdu, err := pdu.EncodeTPDU(&pdu.Deliver{From: from, DCS: segs[0].DCS, SCTS: time.Now(), UD: segs[0].UD})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.net.DeliverPDU(r.modems[0].Number(), tpdu); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		var rc hooks.Received
		json.Unmarshal(e.Payload, &rc)
		got, _ := base64.StdEncoding.DecodeString(rc.Data)
		if e.Event != smsgw.EventDataReceived || string(got) != "ping 42" || rc.Text != "ping 42" || rc.Port == nil || *rc.Port != 16000 || *rc.SourcePort != 16001 {
			t.Fatalf("event %s %s", e.Event, e.Payload)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no event")
	}
	in := r.inbox()
	if len(in) != 1 || string(in[0].Data) != "ping 42" || in[0].Coding != "gsm7" || in[0].Ports == nil || in[0].Ports.Src != 16001 {
		t.Fatalf("inbox %+v", in)
	}
}
