package asg_test

import (
	"encoding/base64"
	"testing"
	"time"

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

// The gaps SMSGate clients hit: GET /device, DELETE to cancel with the
// state Cancelled, inbox limit up to 500 and data messages as DATA_SMS,
// an unknown deviceId answered 400 "Invalid device ID" everywhere.
func TestASGClientGaps(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.Do("GET", "/device", nil)
	e.Want(r, 200)
	var devs []asg.ASGDevice
	r.JSON(t, &devs)
	if len(devs) != 2 || devs[0].ID != "m1" {
		t.Fatalf("/device %s", r.Body)
	}
	// Cancel a pending message: 204, then its state is Cancelled.
	r = e.Do("POST", "/messages", `{"id":"c-1","message":"later","phoneNumbers":["+4915112345678","+4915112345679"]}`)
	e.Want(r, 202)
	e.Want(e.Do("DELETE", "/3rdparty/v1/messages/c-1", nil), 204)
	r = e.Do("GET", "/messages/c-1", nil)
	var st asg.ASGMessageState
	r.JSON(t, &st)
	if st.State != "Cancelled" || st.Recipients[0].State != "Cancelled" || st.States["Cancelled"] == "" {
		t.Fatalf("cancelled state %s", r.Body)
	}
	r = e.Do("GET", "/messages?state=Cancelled", nil)
	var list []asg.ASGMessageState
	r.JSON(t, &list)
	if len(list) != 1 || list[0].ID != "c-1" {
		t.Fatalf("state=Cancelled %s", r.Body)
	}
	r = e.Do("GET", "/messages?state=Failed", nil)
	list = nil
	r.JSON(t, &list)
	if len(list) != 0 {
		t.Fatalf("state=Failed lists cancelled: %s", r.Body)
	}
	// Once sent, a message cannot be cancelled.
	r = e.Do("POST", "/messages", `{"id":"s-1","message":"now","phoneNumbers":["+4915112345678"]}`)
	e.Want(r, 202)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Batch: "s-1"})
	e.MarkSent(page.Messages[0].ID, 3)
	e.Want(e.Do("DELETE", "/messages/s-1", nil), 409)
	e.Want(e.Do("DELETE", "/messages/nope", nil), 404)

	// Inbox: limit up to 500; a data message is DATA_SMS.
	for i := 0; i < 3; i++ {
		e.AddInbound("m1", "+4915112345678", "hello", time.Now())
	}
	r = e.Do("GET", "/inbox?limit=500", nil)
	e.Want(r, 200)
	var in []asg.ASGInboxMessage
	r.JSON(t, &in)
	if len(in) != 3 || in[0].ContentPreview != "hello" || in[0].CreatedAt.IsZero() || in[0].Type != "SMS" {
		t.Fatalf("inbox %s", r.Body)
	}
	e.Want(e.Do("GET", "/inbox?limit=501", nil), 400)
	e.Want(e.Do("GET", "/inbox?type=DATA_SMS", nil), 200)

	// Unknown devices.
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/messages", `{"message":"x","phoneNumbers":["+4915112345678"],"deviceId":"nope"}`},
		{"GET", "/messages?deviceId=nope", ""},
		{"GET", "/inbox?deviceId=nope", ""},
		{"POST", "/webhooks", `{"url":"https://example.com/h","event":"sms:received","deviceId":"nope"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := e.Do(c.method, c.path, body)
		var b struct {
			Message string `json:"message"`
			Code    int    `json:"code"`
		}
		r.JSON(t, &b)
		if r.Code != 400 || b.Message != "Invalid device ID" || b.Code != 400 {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.Code, r.Body)
		}
	}
}
