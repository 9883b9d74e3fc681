package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"smsgw"
	"smsgw/hooks"
	"strings"
	"testing"
	"time"
)

func TestASGSendAndState(t *testing.T) {
	e := newEnv(t, Options{})
	for _, path := range []string{"/message", "/messages", "/3rdparty/v1/message", "/3rdparty/v1/messages"} {
		r := e.do("POST", path, `{"textMessage":{"text":"Hi from SMSGate"},"phoneNumbers":["+4915112345678","+4915112345679"],"withDeliveryReport":false,"priority":100}`)
		e.want(r, 202)
		var st ASGMessageState
		r.json(t, &st)
		if st.ID == "" || st.State != "Pending" || len(st.Recipients) != 2 || st.Recipients[0].State != "Pending" || st.Recipients[0].Error != nil || st.States["Pending"] == "" {
			t.Fatalf("%s: %s", path, r.body)
		}
		prefix := strings.TrimSuffix(strings.TrimSuffix(path, "/message"), "/messages")
		if loc := r.hdr.Get("Location"); loc != prefix+"/messages/"+st.ID {
			t.Fatalf("%s: Location %q", path, loc)
		}
	}
	// Legacy "message", client id, then the same id again: 409.
	r := e.do("POST", "/message", `{"id":"client-id-1","message":"legacy text","phoneNumbers":["+4915112345678"],"ttl":3600}`)
	e.want(r, 202)
	var st ASGMessageState
	r.json(t, &st)
	if st.ID != "client-id-1" {
		t.Fatalf("id %q", st.ID)
	}
	r = e.do("POST", "/message", `{"id":"client-id-1","message":"legacy text","phoneNumbers":["+4915112345678"],"ttl":3600}`)
	e.want(r, 409)
	var ae struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	r.json(t, &ae)
	if ae.Message != "Message with such ID already exists" || ae.Code != 409 {
		t.Fatalf("%s", r.body)
	}

	// State through both paths; then the message is sent and delivered.
	msgs, err := e.store.Messages(t.Context(), MessageFilter{Batch: "client-id-1"})
	if err != nil || len(msgs.Messages) != 1 {
		t.Fatalf("batch lookup: %v %+v", err, msgs)
	}
	e.markSent(msgs.Messages[0].ID, 11)
	r = e.do("GET", "/3rdparty/v1/message/client-id-1", nil)
	e.want(r, 200)
	r.json(t, &st)
	if st.State != "Sent" || st.States["Sent"] == "" || st.States["Processed"] == "" || st.DeviceID != "m1" {
		t.Fatalf("%s", r.body)
	}
	e.report(msgs.Messages[0].ID, 11, true)
	r = e.do("GET", "/messages/client-id-1", nil)
	r.json(t, &st)
	if st.State != "Delivered" || st.Recipients[0].State != "Delivered" || st.States["Delivered"] == "" {
		t.Fatalf("%s", r.body)
	}
	// A batch of two: one fails, one is still pending.
	r = e.do("POST", "/message", `{"id":"pair","message":"two","phoneNumbers":["+4915112340001","+4915112340002"]}`)
	e.want(r, 202)
	msgs, _ = e.store.Messages(t.Context(), MessageFilter{Batch: "pair"})
	if len(msgs.Messages) != 2 {
		t.Fatalf("%+v", msgs)
	}
	e.markFailed(msgs.Messages[0].ID)
	r = e.do("GET", "/messages/pair", nil)
	r.json(t, &st)
	if st.State != "Pending" || len(st.Recipients) != 2 {
		t.Fatalf("%s", r.body)
	}
	failed := 0
	for _, rc := range st.Recipients {
		if rc.State == "Failed" && rc.Error != nil && strings.Contains(*rc.Error, "CMS ERROR: 21") {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%s", r.body)
	}
	e.want(e.do("GET", "/message/unknown", nil), 404)

	// List with X-Total-Count: 6 batches.
	r = e.do("GET", "/messages?limit=2&offset=1", nil)
	e.want(r, 200)
	var list []ASGMessageState
	r.json(t, &list)
	if r.hdr.Get("X-Total-Count") != "6" || len(list) != 2 || list[0].TextMessage != nil || list[0].ID != "client-id-1" {
		t.Fatalf("count %q, %s", r.hdr.Get("X-Total-Count"), r.body)
	}
	r = e.do("GET", "/messages?state=Delivered&includeContent=true", nil)
	list = nil
	r.json(t, &list)
	if len(list) != 1 || list[0].ID != "client-id-1" || list[0].TextMessage.Text != "legacy text" {
		t.Fatalf("%s", r.body)
	}
	e.want(e.do("GET", "/messages?state=Lost", nil), 400)
}

func TestASGSendErrors(t *testing.T) {
	e := newEnv(t, Options{})
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	many := make([]string, 101)
	for i := range many {
		many[i] = "+491511234" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"no text", `{"phoneNumbers":["+4915112345678"]}`, 400, "textMessage"},
		{"both texts", `{"message":"a","textMessage":{"text":"b"},"phoneNumbers":["+4915112345678"]}`, 400, "textMessage"},
		{"data message", `{"dataMessage":{"data":"AA==","port":53739},"phoneNumbers":["+4915112345678"]}`, 400, "dataMessage"},
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
			r := e.do("POST", "/3rdparty/v1/messages", c.body)
			e.want(r, c.status)
			var b struct {
				Message string `json:"message"`
				Error   *Error `json:"error"`
			}
			r.json(t, &b)
			if b.Message == "" || b.Error == nil || b.Error.Field != c.field {
				t.Fatalf("%s", r.body)
			}
		})
	}
	// simNumber picks the n-th modem.
	r := e.do("POST", "/message", `{"message":"a","phoneNumbers":["+4915112345678"],"simNumber":2}`)
	e.want(r, 202)
	var st ASGMessageState
	r.json(t, &st)
	if st.DeviceID != "m2" {
		t.Fatalf("simNumber 2 routed to %q", st.DeviceID)
	}
}

func TestASGInboxWebhooksDevicesHealth(t *testing.T) {
	e := newEnv(t, Options{Callbacks: loopbackCallbacks})
	e.addInbound("m1", "+4915100000009", "ping", time.Now())
	r := e.do("GET", "/inbox", nil)
	e.want(r, 200)
	var in []ASGInboxMessage
	r.json(t, &in)
	if len(in) != 1 || in[0].Message != "ping" || in[0].PhoneNumber != "+4915100000009" || r.hdr.Get("X-Total-Count") != "1" {
		t.Fatalf("%s", r.body)
	}
	e.want(e.do("GET", "/inbox?type=MMS", nil), 400)

	r = e.do("POST", "/webhooks", `{"url":"https://example.org/hook","event":"sms:received"}`)
	e.want(r, 201)
	var wh hooks.Registration
	r.json(t, &wh)
	if wh.ID == "" || wh.Event != "sms:received" {
		t.Fatalf("%s", r.body)
	}
	e.want(e.do("POST", "/webhooks", `{"id":"fixed","url":"http://127.0.0.1:9/x","event":"sms:delivered","deviceId":"m1"}`), 201)
	for _, bad := range []string{`{"url":"ftp://x/y","event":"sms:received"}`, `{"url":"https://x/y","event":"sms:lost"}`, `{"event":"sms:received"}`, `{"url":"https://x/y","event":"sms:sent","deviceId":"nope"}`} {
		e.want(e.do("POST", "/webhooks", bad), 400)
	}
	r = e.do("GET", "/3rdparty/v1/webhooks", nil)
	var hooks []hooks.Registration
	r.json(t, &hooks)
	if len(hooks) != 2 {
		t.Fatalf("%s", r.body)
	}
	e.want(e.do("DELETE", "/webhooks/fixed", nil), 204)
	e.want(e.do("DELETE", "/webhooks/fixed", nil), 404)

	r = e.do("GET", "/devices", nil)
	e.want(r, 200)
	var devs []ASGDevice
	r.json(t, &devs)
	if len(devs) != 2 || devs[0].ID != "m1" || devs[0].Name != "SIMCOM SIM800" {
		t.Fatalf("%s", r.body)
	}
	r = e.do("GET", "/health", nil)
	e.want(r, 200)
	var hl struct {
		Status string `json:"status"`
	}
	r.json(t, &hl)
	if hl.Status != "warn" { // one of two modems registered
		t.Fatalf("%s", r.body)
	}
}

func TestKannelSendsms(t *testing.T) {
	e := newEnv(t, Options{DefaultCountry: "49"})
	get := func(q string) resp { return e.do("GET", "/cgi-bin/sendsms?"+q, nil) }
	// From the Kannel user guide: GET with username/password/to/text.
	r := get("username=tester&password=foobar&to=%2B4915112345678&text=Hello+world")
	e.want(r, 202)
	if string(r.body) != "0: Accepted for delivery" {
		t.Fatalf("%q", r.body)
	}
	// Several receivers, separated by spaces (a '+' in a URL is a space).
	r = get("to=%2B4915112345670+%2B4915112345671+015112345672&text=multi")
	e.want(r, 202)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 10})
	var tos []string
	for _, m := range page.Messages[:3] {
		tos = append(tos, m.To)
	}
	if strings.Join(tos, " ") != "+4915112345672 +4915112345671 +4915112345670" {
		t.Fatalf("%v", tos)
	}
	// An unescaped '+' arrives as a space: the number is still international.
	r = get("to=+447700900123&text=uk")
	e.want(r, 202)
	page, _ = e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	if page.Messages[0].To != "+447700900123" {
		t.Fatalf("%s", page.Messages[0].To)
	}
	// UCS-2 text in UTF-16BE, class 0, deferred: queued for later.
	r = get("to=%2B4915112345678&text=%00H%00i%26%3A&coding=2&charset=UTF-16BE&mclass=0&deferred=10&validity=60&smsc=m1&priority=2")
	e.want(r, 202)
	if string(r.body) != "3: Queued for later delivery" {
		t.Fatalf("%q", r.body)
	}
	page, _ = e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	if m := page.Messages[0]; m.Text != "Hi☺" || !m.Flash || m.Modem != "m1" || m.Coding != "ucs2" || m.Priority != 2 {
		t.Fatalf("%+v", m)
	}
	// smsc that is not a modem id is a tag.
	e.want(get("to=%2B4915112345678&text=x&smsc=office"), 202)
	page, _ = e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	if m := page.Messages[0]; m.Modem != "" || len(m.Tags) != 1 || m.Tags[0] != "office" {
		t.Fatalf("%+v", m)
	}
	// ISO-8859-1.
	e.want(get("to=%2B4915112345678&text=%E9t%E9&charset=ISO-8859-1"), 202)
	page, _ = e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	if page.Messages[0].Text != "été" {
		t.Fatalf("%q", page.Messages[0].Text)
	}
	// POST form, and POST with X-Kannel headers and a text body.
	form := url.Values{"to": {"+4915112345678"}, "text": {"form body"}}
	r = e.do("POST", "/cgi-bin/sendsms", nil)
	req := httptest.NewRequest("POST", "/cgi-bin/sendsms", strings.NewReader(form.Encode()))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != 202 || w.Body.String() != "0: Accepted for delivery" {
		t.Fatalf("form: %d %q", w.Code, w.Body)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("to", "+4915112345678")
	mw.WriteField("text", "multipart body")
	mw.Close()
	req = httptest.NewRequest("POST", "/cgi-bin/sendsms", &mp)
	req.Host = "localhost"
	req.Header.Set("Content-Type", mw.FormDataContentType())
	w = httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	page, _ = e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	if w.Code != 202 || page.Messages[0].Text != "multipart body" {
		t.Fatalf("multipart: %d %q", w.Code, w.Body)
	}
	req = httptest.NewRequest("POST", "/cgi-bin/sendsms", strings.NewReader("header body"))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Kannel-To", "+4915112345678")
	w = httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != 202 {
		t.Fatalf("headers: %d %q", w.Code, w.Body)
	}
	page, _ = e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	if page.Messages[0].Text != "header body" {
		t.Fatalf("%q", page.Messages[0].Text)
	}
	_ = r
	// Bad requests: 400 with a reason.
	for _, q := range []string{"text=x", "to=&text=x", "to=%2B4915112345678&text=", "to=%2B4915112345678&text=x&coding=1",
		"to=%2B4915112345678&text=x&coding=9", "to=12&text=x", "to=%2B4915112345678&text=x&udh=%05%00%03",
		"to=%2B4915112345678&text=x&dlr-url=http://h/x", "to=%2B4915112345678&text=x&dlr-mask=x", "to=%2B4915112345678&text=x&mclass=7",
		"to=%2B4915112345678&text=x&charset=EBCDIC", "to=%2B4915112345678&text=%FF&charset=UTF-8"} {
		r := get(q)
		if r.code != 400 || !strings.HasSuffix(string(r.body), "rejected") {
			t.Errorf("%s: %d %q", q, r.code, r.body)
		}
	}
	// A store that cannot take the message: Kannel's 503 text.
	e.h.b.Store = failingStore{e.store, fmt.Errorf("disk full: %w", smsgw.ErrUnavailable)}
	r = get("to=%2B4915112345678&text=x")
	if r.code != 503 || string(r.body) != "Temporal failure, try again later" {
		t.Fatalf("%d %q", r.code, r.body)
	}
}

// TestKannelDLRCallback: the dlr-url is called with Kannel's escapes when
// the daemon publishes the delivery report event.
func TestKannelDLRCallback(t *testing.T) {
	e := newEnv(t, Options{Callbacks: loopbackCallbacks})
	calls := make(chan *url.URL, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
		calls <- r.URL
	}))
	defer cb.Close()
	dlr := cb.URL + "/dlr?type=%d&id=%I&to=%p&reply=%A&ts=%T&smsc=%i&mr=%F&lit=%%"
	r := e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=otp+42&dlr-mask=3&dlr-url="+url.QueryEscape(dlr), nil)
	e.want(r, 202)
	page, _ := e.store.Messages(t.Context(), MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	e.markSent(id, 7)
	// sms:sent is not in mask 3 (only 1 and 2): no call for it.
	e.h.Publish(smsgw.Event{ID: "ev1", Event: "sms:sent", DeviceID: "m1", Payload: json.RawMessage(`{"messageId":"` + id + `"}`)})
	e.report(id, 7, true)
	at := time.Unix(1767225600, 0).UTC()
	p, _ := json.Marshal(EventPayload{MessageID: id, PhoneNumber: "+4915112345678", DeliveredAt: at.Format(time.RFC3339)})
	e.h.Publish(smsgw.Event{ID: "ev2", Event: "sms:delivered", DeviceID: "m1", Payload: p})
	var u *url.URL
	select {
	case u = <-calls:
	case <-time.After(10 * time.Second):
		t.Fatal("no dlr-url callback")
	}
	if want := "type=1&id=" + id + "&to=%2B4915112345678&reply=Delivered&ts=1767225600&smsc=m1&mr=7&lit=%"; u.RawQuery != want {
		t.Fatalf("callback query\n got %s\nwant %s", u.RawQuery, want)
	}
	if err := e.h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-calls:
		t.Fatalf("unexpected second callback %s", u)
	default:
	}
}

func TestSplitKannelTo(t *testing.T) {
	got := strings.Join(splitKannelTo(" +491 +492+493  494 "), ",")
	if got != "+491,+492,493,494" {
		t.Fatal(got)
	}
}

// failingStore injects a Submit failure into a real store.
type failingStore struct {
	Store
	err error
}

func (f failingStore) Submit(context.Context, SubmitRequest) (SubmitResult, error) {
	return SubmitResult{}, f.err
}
