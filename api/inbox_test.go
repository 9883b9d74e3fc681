package api_test

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"testing"

	"smsgw/api"
	"smsgw/queue"
)

// The inbox shows raw records of undecodable PDUs and the defects of
// leniently decoded ones.
func TestInboxUndecodableAndDefects(t *testing.T) {
	e := newEnv(t, api.Options{})
	res, err := e.Q.AddUndecodable(e.T.Context(), queue.Undecodable{Modem: "m1", Slot: &queue.Slot{Storage: "SM", Index: 0},
		PDU: "00040B914497", Err: "pdu: TP-OA at offset 2: truncated"})
	if err != nil {
		t.Fatal(err)
	}
	raw := strconv.Itoa(int(res.InboxID))
	// Time-zone octet 0xC2: read as +08:00, with a defect.
	b, _ := hex.DecodeString("00040B914497214365F70000620122210000C203D9E214")
	part := queue.InboundPart{Modem: "m1", Sender: "+44791234567", PDU: b, Defects: []string{"TP-SCTS: time zone octet 0xC2 is not decimal, read as +08:00"}}
	res, err = e.Q.AddInboundPart(e.T.Context(), part)
	if err != nil {
		t.Fatal(err)
	}
	odd := strconv.Itoa(int(res.InboxID))

	r := e.Do("GET", "/v1/inbox/"+raw, nil)
	e.Want(r, 200)
	var m map[string]any
	r.JSON(t, &m)
	if m["undecodable"] != true || m["pdu"] != "00040B914497" || m["error"] != "pdu: TP-OA at offset 2: truncated" ||
		m["storage"] != "SM" || m["slot"] != float64(0) || m["from"] != "" || m["modem"] != "m1" {
		t.Errorf("undecodable record: %s", r.Body)
	}
	r = e.Do("GET", "/v1/inbox/"+odd, nil)
	e.Want(r, 200)
	var in api.Inbound
	r.JSON(t, &in)
	if in.Text != "YES" || len(in.Defects) != 1 || in.Undecodable || in.PDU != "" || in.Slot != nil {
		t.Errorf("lenient message: %s", r.Body)
	}
	// The list carries the same fields; a clean message has none of them.
	clean := e.AddInbound("m1", "+4915100000009", "plain", part.SCTS)
	r = e.Do("GET", "/v1/inbox", nil)
	e.Want(r, 200)
	var l struct{ Messages []map[string]json.RawMessage }
	r.JSON(t, &l)
	if len(l.Messages) != 3 {
		t.Fatalf("list: %s", r.Body)
	}
	for _, msg := range l.Messages {
		var id string
		json.Unmarshal(msg["id"], &id)
		_, hasU := msg["undecodable"]
		_, hasD := msg["defects"]
		if (id == raw) != hasU || (id == odd) != hasD || (id == clean && (hasU || hasD)) {
			t.Errorf("message %s: undecodable %v, defects %v", id, hasU, hasD)
		}
	}
}
