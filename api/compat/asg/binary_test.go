package asg_test

import (
	"encoding/base64"
	"testing"

	"smsgw/api"
	"smsgw/api/compat/asg"
)

// SMSGate's dataMessage: base64 octets to a port, kept as an 8-bit message
// with a port element and shown back as a dataMessage.
func TestASGDataMessage(t *testing.T) {
	e := newEnv(t, api.Options{})
	data := []byte{0xDE, 0xAD, 0xBE, 0xEF, 0}
	b64 := base64.StdEncoding.EncodeToString(data)
	r := e.Do("POST", "/3rdparty/v1/messages", `{"id":"data-1","dataMessage":{"data":"`+b64+`","port":53739},"phoneNumbers":["+4915112345678"]}`)
	e.Want(r, 202)
	var st asg.ASGMessageState
	r.JSON(t, &st)
	if st.DataMessage == nil || st.DataMessage.Data != b64 || st.DataMessage.Port == nil || *st.DataMessage.Port != 53739 || st.TextMessage != nil {
		t.Fatalf("answer %s", r.Body)
	}
	page, err := e.Store.Messages(t.Context(), api.MessageFilter{Batch: "data-1"})
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("%v %+v", err, page)
	}
	m := page.Messages[0]
	if m.Data != b64 || m.Coding != "8bit" || m.Port == nil || *m.Port != 53739 || *m.SourcePort != 53739 || m.Text != "" {
		t.Fatalf("stored %+v", m)
	}
	r = e.Do("GET", "/messages/data-1", nil)
	e.Want(r, 200)
	st = asg.ASGMessageState{}
	r.JSON(t, &st)
	if st.DataMessage == nil || st.DataMessage.Data != b64 {
		t.Fatalf("state %s", r.Body)
	}
	// The claimed job carries the octets and the port the gateway encodes.
	job := e.Claim(m.ID)
	if string(job.Data) != string(data) || job.Ports == nil || job.Ports.Dst != 53739 {
		t.Fatalf("job %+v", job.Binary)
	}
}

// skipPhoneValidation takes numbers the phone-number rules refuse (a short
// code, an unassigned country code) as written.
func TestASGSkipPhoneValidation(t *testing.T) {
	e := newEnv(t, api.Options{})
	body := `{"message":"a","phoneNumbers":["+999123456789"]}`
	r := e.Do("POST", "/messages", body)
	e.Want(r, 400)
	r = e.Do("POST", "/messages?skipPhoneValidation=true", body)
	e.Want(r, 202)
	var st asg.ASGMessageState
	r.JSON(t, &st)
	if len(st.Recipients) != 1 || st.Recipients[0].PhoneNumber != "+999123456789" {
		t.Fatalf("%s", r.Body)
	}
	// Still digits only.
	e.Want(e.Do("POST", "/messages?skipPhoneValidation=true", `{"message":"a","phoneNumbers":["+49abc"]}`), 400)
	r = e.Do("POST", "/messages?skipPhoneValidation=maybe", body)
	e.Want(r, 400)
	if _, f := r.ErrCode(t); f != "skipPhoneValidation" {
		t.Fatalf("%s", r.Body)
	}
}
