package api_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/modem/pdu"
	"smsgw/queue"
)

func TestSendBinary(t *testing.T) {
	e := newEnv(t, api.Options{MaxParts: 3})
	data := []byte{0, 1, 2, 0xFE, 0xFF}
	b64 := base64.StdEncoding.EncodeToString(data)
	r := e.Do("POST", "/v1/messages", `{"to":"+15551234567","data":"`+b64+`","port":53739,"source_port":9200,"class":1,"pid":65,"udh":"0470020102"}`)
	e.Want(r, http.StatusAccepted)
	var out api.SendResponse
	r.JSON(t, &out)
	if m := out.Messages[0]; m.Coding != "8bit" || m.Parts != 1 {
		t.Fatalf("send answer %+v", m)
	}
	id := out.Messages[0].ID
	var got api.Message
	r = e.Do("GET", "/v1/messages/"+id, nil)
	e.Want(r, http.StatusOK)
	r.JSON(t, &got)
	if got.Text != "" || got.Data != b64 || got.Coding != "8bit" || got.PartCount != 1 || got.UDH != "0470020102" ||
		got.Port == nil || *got.Port != 53739 || got.SourcePort == nil || *got.SourcePort != 9200 ||
		got.Class == nil || *got.Class != 1 || got.PID != 65 {
		t.Fatalf("GET %s", r.Body)
	}
	// What the store holds is what the gateway encodes.
	job := e.Claim(id)
	if !bytes.Equal(job.Data, data) || job.Ports.Dst != 53739 || *job.Class != 1 || job.PID != 65 || len(job.UDH) != 5 {
		t.Fatalf("claimed %+v", job.Binary)
	}
	e.Q.Release(t.Context(), job.AttemptID)

	// The same data in hex; the source port defaults to the destination.
	r = e.Do("POST", "/v1/messages", `{"to":"+15551234567","data_hex":"000102feFF","port":2948}`)
	e.Want(r, http.StatusAccepted)
	r.JSON(t, &out)
	r = e.Do("GET", "/v1/messages/"+out.Messages[0].ID, nil)
	got = api.Message{}
	r.JSON(t, &got)
	if got.Data != b64 || *got.Port != 2948 || *got.SourcePort != 2948 || got.Class != nil {
		t.Fatalf("hex GET %s", r.Body)
	}
	// 200 octets with a port: 133 fit one part, then 128 per part.
	long := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xAA}, 200))
	r = e.Do("POST", "/v1/messages", `{"to":"+15551234567","data":"`+long+`","port":2948}`)
	e.Want(r, http.StatusAccepted)
	r.JSON(t, &out)
	if out.Messages[0].Parts != 2 {
		t.Fatalf("200 octets: %+v", out.Messages[0])
	}
	// A class on a text; it shows in the listing.
	r = e.Do("POST", "/v1/messages", `{"to":"+15551234567","text":"hi","class":0}`)
	e.Want(r, http.StatusAccepted)
	var list api.MessageList
	r = e.Do("GET", "/v1/messages?limit=1", nil)
	r.JSON(t, &list)
	if m := list.Messages[0]; m.Text != "hi" || m.Class == nil || *m.Class != 0 || m.Data != "" {
		t.Fatalf("list %s", r.Body)
	}
	// The fields take part in the idempotency fingerprint.
	r = e.Do("POST", "/v1/messages", `{"to":"+15551234567","data":"AAE=","port":1}`, "Idempotency-Key", "k1")
	e.Want(r, http.StatusAccepted)
	r = e.Do("POST", "/v1/messages", `{"to":"+15551234567","data":"AAE=","port":2}`, "Idempotency-Key", "k1")
	if c, _ := r.ErrCode(t); r.Code != http.StatusConflict && r.Code != http.StatusUnprocessableEntity || c != api.CodeIdempotency {
		t.Fatalf("other port under the same key: %d %s", r.Code, r.Body)
	}
}

func TestSendBinaryErrors(t *testing.T) {
	e := newEnv(t, api.Options{MaxParts: 3})
	cases := []struct {
		name, body  string
		code, field string
	}{
		{"data and data_hex", `{"to":"+15551234567","data":"AA==","data_hex":"00"}`, api.CodeInvalidField, "data_hex"},
		{"bad base64", `{"to":"+15551234567","data":"%%%"}`, api.CodeInvalidField, "data"},
		{"bad hex", `{"to":"+15551234567","data_hex":"0g"}`, api.CodeInvalidField, "data_hex"},
		{"empty data", `{"to":"+15551234567","data":""}`, api.CodeEmptyText, "data"},
		{"text and data", `{"to":"+15551234567","text":"x","data":"AA=="}`, api.CodeInvalidField, "text"},
		{"neither", `{"to":"+15551234567","port":5}`, api.CodeMissingField, "text"},
		{"class 4", `{"to":"+15551234567","text":"x","class":4}`, api.CodeInvalidField, "class"},
		{"flash and class 1", `{"to":"+15551234567","text":"x","class":1,"flash":true}`, api.CodeInvalidField, "class"},
		{"port 0", `{"to":"+15551234567","data":"AA==","port":0}`, api.CodeInvalidField, "port"},
		{"port 65536", `{"to":"+15551234567","data":"AA==","port":65536}`, api.CodeInvalidField, "port"},
		{"source port alone", `{"to":"+15551234567","data":"AA==","source_port":5}`, api.CodeInvalidField, "source_port"},
		{"udh length octet", `{"to":"+15551234567","data":"AA==","udh":"05700101"}`, api.CodeInvalidField, "udh"},
		{"udh element overruns", `{"to":"+15551234567","data":"AA==","udh":"03700501"}`, api.CodeInvalidField, "udh"},
		{"udh port and port", `{"to":"+15551234567","data":"AA==","udh":"0605040B8423F0","port":5}`, api.CodeInvalidField, "udh"},
		{"pid 256", `{"to":"+15551234567","data":"AA==","pid":256}`, api.CodeInvalidField, "pid"},
		{"too many parts", `{"to":"+15551234567","data":"` + base64.StdEncoding.EncodeToString(make([]byte, 134*3+1)) + `"}`, api.CodeTooManyParts, "data"},
		{"self-cut too long", `{"to":"+15551234567","data":"` + base64.StdEncoding.EncodeToString(make([]byte, 135)) + `","udh":"050003010201"}`, api.CodeInvalidField, "udh"},
	}
	for _, c := range cases {
		r := e.Do("POST", "/v1/messages", c.body)
		code, field := r.ErrCode(t)
		if r.Code != http.StatusBadRequest || code != c.code || field != c.field {
			t.Errorf("%s: %d %s %s, want 400 %s %s (%s)", c.name, r.Code, code, field, c.code, c.field, r.Body)
		}
	}
}

func TestInboxBinary(t *testing.T) {
	e := newEnv(t, api.Options{})
	data := []byte{0xCA, 0xFE, 0, 1}
	segs, err := pdu.SegmentData(data, pdu.SegmentOptions{Ports: &pdu.Ports{Dst: 53739, Src: 1234}, Class: pdu.ClassOf(1)})
	if err != nil {
		t.Fatal(err)
	}
	from, _ := pdu.ParseAddress("+4915112345678")
	b, _, err := pdu.Encode(&pdu.Deliver{From: from, DCS: segs[0].DCS, SCTS: time.Now(), UD: segs[0].UD})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Q.AddInboundPart(t.Context(), queue.InboundPart{Modem: "m1", Sender: "+4915112345678", PDU: b})
	if err != nil || res.InboxID == 0 {
		t.Fatal(res, err)
	}
	var list struct {
		Messages []api.Inbound `json:"messages"`
	}
	r := e.Do("GET", "/v1/inbox", nil)
	e.Want(r, http.StatusOK)
	r.JSON(t, &list)
	want := base64.StdEncoding.EncodeToString(data)
	if len(list.Messages) != 1 {
		t.Fatalf("inbox %s", r.Body)
	}
	m := list.Messages[0]
	if m.Data != want || m.Coding != "8bit" || m.Port == nil || *m.Port != 53739 || *m.SourcePort != 1234 || m.Class == nil || *m.Class != 1 {
		t.Fatalf("inbox %s", r.Body)
	}
	r = e.Do("GET", "/v1/inbox/"+m.ID, nil)
	if !strings.Contains(string(r.Body), `"data":"`+want+`"`) || !strings.Contains(string(r.Body), `"port":53739`) {
		t.Fatalf("inbox message %s", r.Body)
	}
}
