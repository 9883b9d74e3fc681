package asg_test

import (
	"encoding/json"
	"smsgw/api"
	"smsgw/api/compat/asg"
	"smsgw/hooks"
	"smsgw/httpd/httpdtest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestASGSendAndState(t *testing.T) {
	e := newEnv(t, api.Options{})
	for _, path := range []string{"/message", "/messages", "/3rdparty/v1/message", "/3rdparty/v1/messages"} {
		r := e.Do("POST", path, `{"textMessage":{"text":"Hi from SMSGate"},"phoneNumbers":["+4915112345678","+4915112345679"],"withDeliveryReport":false,"priority":100}`)
		e.Want(r, 202)
		var st asg.ASGMessageState
		r.JSON(t, &st)
		if st.ID == "" || st.State != "Pending" || len(st.Recipients) != 2 || st.Recipients[0].State != "Pending" || st.Recipients[0].Error != nil || st.States["Pending"] == "" {
			t.Fatalf("%s: %s", path, r.Body)
		}
		prefix := strings.TrimSuffix(strings.TrimSuffix(path, "/message"), "/messages")
		if loc := r.Header.Get("Location"); loc != prefix+"/messages/"+st.ID {
			t.Fatalf("%s: Location %q", path, loc)
		}
	}
	// Legacy "message", client id, then the same id again: 409.
	r := e.Do("POST", "/message", `{"id":"client-id-1","message":"legacy text","phoneNumbers":["+4915112345678"],"ttl":3600}`)
	e.Want(r, 202)
	var st asg.ASGMessageState
	r.JSON(t, &st)
	if st.ID != "client-id-1" {
		t.Fatalf("id %q", st.ID)
	}
	r = e.Do("POST", "/message", `{"id":"client-id-1","message":"legacy text","phoneNumbers":["+4915112345678"],"ttl":3600}`)
	e.Want(r, 409)
	var ae struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	r.JSON(t, &ae)
	if ae.Message != "Message with such ID already exists" || ae.Code != 409 {
		t.Fatalf("%s", r.Body)
	}

	// State through both paths; then the message is sent and delivered.
	msgs, err := e.Store.Messages(t.Context(), api.MessageFilter{Batch: "client-id-1"})
	if err != nil || len(msgs.Messages) != 1 {
		t.Fatalf("batch lookup: %v %+v", err, msgs)
	}
	e.MarkSent(msgs.Messages[0].ID, 11)
	r = e.Do("GET", "/3rdparty/v1/message/client-id-1", nil)
	e.Want(r, 200)
	r.JSON(t, &st)
	if st.State != "Sent" || st.States["Sent"] == "" || st.States["Processed"] == "" || st.DeviceID != "m1" {
		t.Fatalf("%s", r.Body)
	}
	e.Report(msgs.Messages[0].ID, 11, true)
	r = e.Do("GET", "/messages/client-id-1", nil)
	r.JSON(t, &st)
	if st.State != "Delivered" || st.Recipients[0].State != "Delivered" || st.States["Delivered"] == "" {
		t.Fatalf("%s", r.Body)
	}
	// A batch of two: one fails, one is still pending.
	r = e.Do("POST", "/message", `{"id":"pair","message":"two","phoneNumbers":["+4915112340001","+4915112340002"]}`)
	e.Want(r, 202)
	msgs, _ = e.Store.Messages(t.Context(), api.MessageFilter{Batch: "pair"})
	if len(msgs.Messages) != 2 {
		t.Fatalf("%+v", msgs)
	}
	e.MarkFailed(msgs.Messages[0].ID)
	r = e.Do("GET", "/messages/pair", nil)
	r.JSON(t, &st)
	if st.State != "Pending" || len(st.Recipients) != 2 {
		t.Fatalf("%s", r.Body)
	}
	failed := 0
	for _, rc := range st.Recipients {
		if rc.State == "Failed" && rc.Error != nil && strings.Contains(*rc.Error, "CMS ERROR: 21") {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%s", r.Body)
	}
	e.Want(e.Do("GET", "/message/unknown", nil), 404)

	// List with X-Total-Count: 6 batches.
	r = e.Do("GET", "/messages?limit=2&offset=1", nil)
	e.Want(r, 200)
	var list []asg.ASGMessageState
	r.JSON(t, &list)
	if r.Header.Get("X-Total-Count") != "6" || len(list) != 2 || list[0].TextMessage != nil || list[0].ID != "client-id-1" {
		t.Fatalf("count %q, %s", r.Header.Get("X-Total-Count"), r.Body)
	}
	r = e.Do("GET", "/messages?state=Delivered&includeContent=true", nil)
	list = nil
	r.JSON(t, &list)
	if len(list) != 1 || list[0].ID != "client-id-1" || list[0].TextMessage.Text != "legacy text" {
		t.Fatalf("%s", r.Body)
	}
	e.Want(e.Do("GET", "/messages?state=Lost", nil), 400)
}

func TestASGSendErrors(t *testing.T) {
	e := newEnv(t, api.Options{})
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	many := make([]string, 101)
	for i := range many {
		many[i] = "+491511234" + strings.Repeat("0", 4-len(strconv.Itoa(i))) + strconv.Itoa(i)
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"no text", `{"phoneNumbers":["+4915112345678"]}`, 400, "textMessage"},
		{"both texts", `{"message":"a","textMessage":{"text":"b"},"phoneNumbers":["+4915112345678"]}`, 400, "textMessage"},
		{"data message without port", `{"dataMessage":{"data":"AA=="},"phoneNumbers":["+4915112345678"]}`, 400, "dataMessage.port"},
		{"data message port 0", `{"dataMessage":{"data":"AA==","port":0},"phoneNumbers":["+4915112345678"]}`, 400, "dataMessage.port"},
		{"data message not base64", `{"dataMessage":{"data":"**","port":5},"phoneNumbers":["+4915112345678"]}`, 400, "dataMessage.data"},
		{"data and text", `{"dataMessage":{"data":"AA==","port":5},"message":"x","phoneNumbers":["+4915112345678"]}`, 400, "textMessage"},
		{"no numbers", `{"message":"a","phoneNumbers":[]}`, 400, "phoneNumbers"},
		{"101 numbers", `{"message":"a","phoneNumbers":` + string(manyJSON) + `}`, 400, "phoneNumbers"},
		{"bad number", `{"message":"a","phoneNumbers":["12"]}`, 400, "phoneNumbers"},
		{"empty text", `{"message":"","phoneNumbers":["+4915112345678"]}`, 400, "textMessage.text"},
		{"ttl and validUntil", `{"message":"a","phoneNumbers":["+4915112345678"],"ttl":60,"validUntil":"` + future + `"}`, 400, "ttl"},
		{"ttl too short", `{"message":"a","phoneNumbers":["+4915112345678"],"ttl":1}`, 400, "ttl"},
		{"schedule in past", `{"message":"a","phoneNumbers":["+4915112345678"],"scheduleAt":"2001-01-01T00:00:00Z"}`, 400, "scheduleAt"},
		{"encrypted", `{"message":"a","phoneNumbers":["+4915112345678"],"isEncrypted":true}`, 400, "isEncrypted"},
		{"sim out of range", `{"message":"a","phoneNumbers":["+4915112345678"],"simNumber":3}`, 400, "simNumber"},
		{"id too long", `{"id":"` + strings.Repeat("x", 37) + `","message":"a","phoneNumbers":["+4915112345678"]}`, 400, "id"},
		{"unknown field", `{"message":"a","phoneNumbers":["+4915112345678"],"foo":1}`, 400, "foo"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do("POST", "/3rdparty/v1/messages", c.body)
			e.Want(r, c.status)
			var b struct {
				Message string     `json:"message"`
				Error   *api.Error `json:"error"`
			}
			r.JSON(t, &b)
			if b.Message == "" || b.Error == nil || b.Error.Field != c.field {
				t.Fatalf("%s", r.Body)
			}
		})
	}
	// simNumber picks the n-th modem.
	r := e.Do("POST", "/message", `{"message":"a","phoneNumbers":["+4915112345678"],"simNumber":2}`)
	e.Want(r, 202)
	var st asg.ASGMessageState
	r.JSON(t, &st)
	if st.DeviceID != "m2" {
		t.Fatalf("simNumber 2 routed to %q", st.DeviceID)
	}
}

func TestASGInboxWebhooksDevicesHealth(t *testing.T) {
	e := newEnv(t, api.Options{Callbacks: httpdtest.LoopbackCallbacks})
	e.AddInbound("m1", "+4915100000009", "ping", time.Now())
	r := e.Do("GET", "/inbox", nil)
	e.Want(r, 200)
	var in []asg.ASGInboxMessage
	r.JSON(t, &in)
	if len(in) != 1 || in[0].Message != "ping" || in[0].PhoneNumber != "+4915100000009" || r.Header.Get("X-Total-Count") != "1" {
		t.Fatalf("%s", r.Body)
	}
	e.Want(e.Do("GET", "/inbox?type=MMS", nil), 400)

	r = e.Do("POST", "/webhooks", `{"url":"https://example.org/hook","event":"sms:received"}`)
	e.Want(r, 201)
	var wh hooks.Registration
	r.JSON(t, &wh)
	if wh.ID == "" || wh.Event != "sms:received" {
		t.Fatalf("%s", r.Body)
	}
	e.Want(e.Do("POST", "/webhooks", `{"id":"fixed","url":"http://127.0.0.1:9/x","event":"sms:delivered","deviceId":"m1"}`), 201)
	for _, bad := range []string{`{"url":"ftp://x/y","event":"sms:received"}`, `{"url":"https://x/y","event":"sms:lost"}`, `{"event":"sms:received"}`, `{"url":"https://x/y","event":"sms:sent","deviceId":"nope"}`} {
		e.Want(e.Do("POST", "/webhooks", bad), 400)
	}
	r = e.Do("GET", "/3rdparty/v1/webhooks", nil)
	var hooks []hooks.Registration
	r.JSON(t, &hooks)
	if len(hooks) != 2 {
		t.Fatalf("%s", r.Body)
	}
	e.Want(e.Do("DELETE", "/webhooks/fixed", nil), 204)
	e.Want(e.Do("DELETE", "/webhooks/fixed", nil), 404)

	r = e.Do("GET", "/devices", nil)
	e.Want(r, 200)
	var devs []asg.ASGDevice
	r.JSON(t, &devs)
	if len(devs) != 2 || devs[0].ID != "m1" || devs[0].Name != "SIMCOM SIM800" {
		t.Fatalf("%s", r.Body)
	}
	r = e.Do("GET", "/health", nil)
	e.Want(r, 200)
	var hl struct {
		Status string `json:"status"`
	}
	r.JSON(t, &hl)
	if hl.Status != "warn" { // one of two modems registered
		t.Fatalf("%s", r.Body)
	}
}

// TestSMSGateIDsUnambiguous: a client id cannot take the shape of the
// gateway's own names ("q5", "q5-7", "12"), so a state lookup by id always
// finds the batch meant.
func TestSMSGateIDsUnambiguous(t *testing.T) {
	e := newEnv(t, api.Options{})
	v1 := e.SendOne("+4915112345601", "first") // message 1, batch "q1"
	// Nor hold what cannot go in a path or a log line.
	for _, id := range []string{"q" + v1, "q1-2", "q007", v1, "42", "q-1", `a\u0000b`, "a b", "a/b", `a\nb`, `a\\b`} {
		r := e.Do("POST", "/message", `{"id":"`+id+`","message":"hi","phoneNumbers":["+4915112345602"]}`)
		e.Want(r, 400)
		if code, field := r.ErrCode(t); code != api.CodeInvalidField || field != "id" {
			t.Fatalf("%s: %s %s", id, code, field)
		}
	}
	// Names merely starting with q or digits are the client's to use.
	for _, id := range []string{"q5x", "5q", "qq", "abc-1"} {
		e.Want(e.Do("POST", "/message", `{"id":"`+id+`","message":"named","phoneNumbers":["+4915112345603"]}`), 202)
		r := e.Do("GET", "/message/"+id, nil)
		e.Want(r, 200)
		var st asg.ASGMessageState
		r.JSON(t, &st)
		if st.ID != id || len(st.Recipients) != 1 || st.Recipients[0].PhoneNumber != "+4915112345603" {
			t.Fatalf("%s: %s", id, r.Body)
		}
	}
	// The v1 batch is still the v1 message.
	r := e.Do("GET", "/message/q"+v1, nil)
	e.Want(r, 200)
	var st asg.ASGMessageState
	r.JSON(t, &st)
	if len(st.Recipients) != 1 || st.Recipients[0].PhoneNumber != "+4915112345601" {
		t.Fatalf("%s", r.Body)
	}
	for range 200 {
		if id := asg.NewID(); api.ReservedBatchName(id) {
			t.Fatalf("generated id %q is reserved", id)
		}
	}
}

// TestSMSGateWebhookIDs: a webhook id is a consumer name in the database and
// the logs, and a path segment of DELETE: no control characters or slashes.
func TestSMSGateWebhookIDs(t *testing.T) {
	e := newEnv(t, api.Options{})
	for _, id := range []string{`a\u0000b`, "a b", "a/b", `tab\t`} {
		r := e.Do("POST", "/webhooks", `{"id":"`+id+`","url":"https://example.com/hook","event":"sms:sent"}`)
		e.Want(r, 400)
		if code, field := r.ErrCode(t); code != api.CodeInvalidField || field != "id" {
			t.Fatalf("%q: %s %s", id, code, field)
		}
	}
	e.Want(e.Do("POST", "/webhooks", `{"id":"hook-1_ok","url":"https://example.com/hook","event":"sms:sent"}`), 201)
}

func TestBatchByRange(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.Do("POST", "/v1/messages", `{"to":["+4915112345601","+4915112345602","+4915112345603"],"text":"batch"}`)
	e.Want(r, 202)
	var out api.SendResponse
	r.JSON(t, &out)
	if !strings.HasPrefix(out.Batch, "q") || !strings.Contains(out.Batch, "-") {
		t.Fatalf("batch %q", out.Batch)
	}
	// The v1 batch is readable through SMSGate's state route.
	r = e.Do("GET", "/message/"+out.Batch, nil)
	e.Want(r, 200)
	var st asg.ASGMessageState
	r.JSON(t, &st)
	if len(st.Recipients) != 3 || st.ID != out.Batch {
		t.Fatalf("%s", r.Body)
	}
	// And a single v1 message id too.
	r = e.Do("GET", "/message/"+out.Messages[0].ID, nil)
	e.Want(r, 200)
}
