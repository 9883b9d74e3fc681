package kannel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"smsgw"
	"smsgw/api"
	"smsgw/hooks"
	"smsgw/httpd/httpdtest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestKannelSendsms(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "49"})
	get := func(q string) httpdtest.Resp { return e.Do("GET", "/cgi-bin/sendsms?"+q, nil) }
	// From the Kannel user guide: GET with username/password/to/text.
	r := get("username=tester&password=foobar&to=%2B4915112345678&text=Hello+world")
	e.Want(r, 202)
	if string(r.Body) != "0: Accepted for delivery" {
		t.Fatalf("%q", r.Body)
	}
	// Several receivers, separated by spaces (a '+' in a URL is a space).
	r = get("to=%2B4915112345670+%2B4915112345671+015112345672&text=multi")
	e.Want(r, 202)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 10})
	var tos []string
	for _, m := range page.Messages[:3] {
		tos = append(tos, m.To)
	}
	if strings.Join(tos, " ") != "+4915112345672 +4915112345671 +4915112345670" {
		t.Fatalf("%v", tos)
	}
	// An unescaped '+' arrives as a space: the number is still international.
	r = get("to=+447700900123&text=uk")
	e.Want(r, 202)
	page, _ = e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	if page.Messages[0].To != "+447700900123" {
		t.Fatalf("%s", page.Messages[0].To)
	}
	// UCS-2 text in UTF-16BE, class 0, deferred: queued for later.
	r = get("to=%2B4915112345678&text=%00H%00i%26%3A&coding=2&charset=UTF-16BE&mclass=0&deferred=10&validity=60&smsc=m1&priority=2")
	e.Want(r, 202)
	if string(r.Body) != "3: Queued for later delivery" {
		t.Fatalf("%q", r.Body)
	}
	page, _ = e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	if m := page.Messages[0]; m.Text != "Hi☺" || !m.Flash || m.Modem != "m1" || m.Coding != "ucs2" || m.Priority != 2 {
		t.Fatalf("%+v", m)
	}
	// smsc that is neither a modem id nor a modem's tag: Kannel's answer
	// to a message no SMSC takes, and nothing is stored.
	before, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	r = get("to=%2B4915112345678&text=x&smsc=office")
	if r.Code != 403 || string(r.Body) != "Not routable. Do not try again." || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("unknown smsc: %d %q", r.Code, r.Body)
	}
	if page, _ = e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1}); page.Messages[0].ID != before.Messages[0].ID {
		t.Fatalf("unknown smsc stored %+v", page.Messages[0])
	}
	// ISO-8859-1.
	e.Want(get("to=%2B4915112345678&text=%E9t%E9&charset=ISO-8859-1"), 202)
	page, _ = e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	if page.Messages[0].Text != "été" {
		t.Fatalf("%q", page.Messages[0].Text)
	}
	// POST form, and POST with X-Kannel headers and a text body.
	form := url.Values{"to": {"+4915112345678"}, "text": {"form body"}}
	r = e.Do("POST", "/cgi-bin/sendsms", nil)
	req := httptest.NewRequest("POST", "/cgi-bin/sendsms", strings.NewReader(form.Encode()))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, req)
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
	e.Handler.ServeHTTP(w, req)
	page, _ = e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	if w.Code != 202 || page.Messages[0].Text != "multipart body" {
		t.Fatalf("multipart: %d %q", w.Code, w.Body)
	}
	req = httptest.NewRequest("POST", "/cgi-bin/sendsms", strings.NewReader("header body"))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Kannel-To", "+4915112345678")
	w = httptest.NewRecorder()
	e.Handler.ServeHTTP(w, req)
	if w.Code != 202 {
		t.Fatalf("headers: %d %q", w.Code, w.Body)
	}
	page, _ = e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	if page.Messages[0].Text != "header body" {
		t.Fatalf("%q", page.Messages[0].Text)
	}
	_ = r
	// Bad requests: 400 with a reason.
	for _, q := range []string{"text=x", "to=&text=x", "to=%2B4915112345678&text=", "to=%2B4915112345678&text=&coding=1", "to=%2B4915112345678&text=x&coding=1&pid=256",
		"to=%2B4915112345678&text=x&coding=9", "to=12&text=x", "to=%2B4915112345678&text=x&udh=%05%00%03",
		"to=%2B4915112345678&text=x&dlr-url=http://h/x", "to=%2B4915112345678&text=x&dlr-mask=x", "to=%2B4915112345678&text=x&mclass=7",
		"to=%2B4915112345678&text=x&charset=EBCDIC", "to=%2B4915112345678&text=%FF&charset=UTF-8"} {
		r := get(q)
		if r.Code != 400 || !strings.HasSuffix(string(r.Body), "rejected") {
			t.Errorf("%s: %d %q", q, r.Code, r.Body)
		}
	}
	// A store that cannot take the message: Kannel's 503 text.
	e.Rebuild(func(b *api.Backend) {
		b.Store = failingStore{e.Store, fmt.Errorf("disk full: %w", smsgw.ErrUnavailable)}
	})
	r = get("to=%2B4915112345678&text=x")
	if r.Code != 503 || string(r.Body) != "Temporal failure, try again later" {
		t.Fatalf("%d %q", r.Code, r.Body)
	}
}

// TestKannelDLRCallback: the dlr-url is called with Kannel's escapes when
// the delivery report event reaches the daemon's dlr-url consumer.
func TestKannelDLRCallback(t *testing.T) {
	e := newEnv(t, api.Options{Callbacks: httpdtest.LoopbackCallbacks})
	dlrs := newDLR(t, e)
	calls := make(chan *url.URL, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
		calls <- r.URL
	}))
	defer cb.Close()
	dlr := cb.URL + "/dlr?type=%d&id=%I&to=%p&reply=%A&ts=%T&smsc=%i&mr=%F&lit=%%"
	r := e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=otp+42&dlr-mask=3&dlr-url="+url.QueryEscape(dlr), nil)
	e.Want(r, 202)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	e.MarkSent(id, 7)
	// sms:sent is not in mask 3 (only 1 and 2): no call for it.
	if err := dlrs.Deliver(t.Context(), smsgw.Event{ID: "ev1", Event: "sms:sent", DeviceID: "m1", Payload: json.RawMessage(`{"messageId":"` + id + `"}`)}); !errors.Is(err, hooks.ErrNoDLR) {
		t.Fatalf("sms:sent outside the mask: %v, want ErrNoDLR", err)
	}
	e.Report(id, 7, true)
	at := time.Unix(1767225600, 0).UTC()
	p, _ := json.Marshal(api.EventPayload{MessageID: id, PhoneNumber: "+4915112345678", DeliveredAt: at.Format(time.RFC3339)})
	if err := dlrs.Deliver(t.Context(), smsgw.Event{ID: "ev2", Event: "sms:delivered", DeviceID: "m1", Payload: p}); err != nil {
		t.Fatal(err)
	}
	var u *url.URL
	select {
	case u = <-calls:
	case <-time.After(10 * time.Second):
		t.Fatal("no dlr-url callback")
	}
	if want := "type=1&id=" + id + "&to=%2B4915112345678&reply=Delivered&ts=1767225600&smsc=m1&mr=7&lit=%"; u.RawQuery != want {
		t.Fatalf("callback query\n got %s\nwant %s", u.RawQuery, want)
	}
	select {
	case u := <-calls:
		t.Fatalf("unexpected second callback %s", u)
	default:
	}
}

// failingStore injects a Submit failure into a real store.
type failingStore struct {
	api.Store
	err error
}

func (f failingStore) Submit(context.Context, api.SubmitRequest) (api.SubmitResult, error) {
	return api.SubmitResult{}, f.err
}

// TestKannelCharsets: windows-1252 is not Latin-1 (0x80 is the euro sign),
// the other ISO 8859 and Windows tables and UTF-16 with a byte-order mark
// decode as such, and an unknown charset is refused by name.
func TestKannelCharsets(t *testing.T) {
	e := newEnv(t, api.Options{})
	last := func() string {
		t.Helper()
		p, err := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
		if err != nil || len(p.Messages) == 0 {
			t.Fatalf("no message: %v", err)
		}
		return p.Messages[0].Text
	}
	for _, c := range []struct{ query, want string }{
		{"text=%80%20%93bon%94&charset=windows-1252", "€ “bon”"},
		{"text=%80&charset=CP1252", "€"},
		{"text=%E9t%E9%80&charset=ISO-8859-1", "été\u0080"},
		{"text=%A4&charset=ISO_8859-15", "€"},
		{"text=%A4&charset=latin9", "€"},
		{"text=%C1%E7%E2%EF&charset=ISO-8859-7", "Αηβο"},
		{"text=%F0%D2%C9%D7%C5%D4&charset=KOI8-R", "Привет"},
		{"text=%B9&charset=windows-1250", "ą"},
		{"text=%FF%FEH%00i%00%AC%20&charset=UTF-16", "Hi€"},
		{"text=%FE%FF%00H%00i&charset=UTF-16", "Hi"},
		{"text=%00H%00i&charset=UTF-16", "Hi"},
		{"text=H%00i%00&charset=UTF-16LE", "Hi"},
		{"text=%D8%3D%DE%00&charset=UTF-16BE", "😀"},
		{"text=%C3%A9&charset=utf8", "é"},
	} {
		r := e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&"+c.query, nil)
		if r.Code != 202 {
			t.Errorf("%s: %d %s", c.query, r.Code, r.Body)
			continue
		}
		if got := last(); got != c.want {
			t.Errorf("%s: stored %q, want %q", c.query, got, c.want)
		}
	}
	for _, c := range []struct{ query, says string }{
		{"text=x&charset=EBCDIC-FR", `unsupported charset "EBCDIC-FR"`},
		{"text=x&charset=x-user-defined", `unsupported charset`},
		{"text=%81&charset=windows-1252", "0x81"},
		{"text=%00H%00&charset=UTF-16", "odd number"},
		{"text=%D8%3D%00H&charset=UTF-16BE", "surrogate"},
		{"text=%FF&charset=UTF-8", "not valid UTF-8"},
	} {
		r := e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&"+c.query, nil)
		if r.Code != 400 || !strings.Contains(string(r.Body), c.says) || !strings.HasSuffix(string(r.Body), ", rejected") {
			t.Errorf("%s: %d %s", c.query, r.Code, r.Body)
		}
	}
}

// TestKannelDLRRejected: a message that failed before it was sent reports
// type 16 (rejected by the SMSC), and only when the mask asks for it.
func TestKannelDLRRejected(t *testing.T) {
	e := newEnv(t, api.Options{Callbacks: httpdtest.LoopbackCallbacks})
	dlrs := newDLR(t, e)
	calls := make(chan string, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- r.URL.RawQuery
	}))
	defer cb.Close()
	r := e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=16&dlr-url="+url.QueryEscape(cb.URL+"/?t=%d&a=%A&k=%k&c=%c"), nil)
	e.Want(r, 202)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	e.MarkFailed(id)
	p, _ := json.Marshal(api.EventPayload{MessageID: id, Reason: "barred"})
	if err := dlrs.Deliver(t.Context(), smsgw.Event{ID: "f1", Event: "sms:failed", DeviceID: "m1", Payload: p}); err != nil {
		t.Fatal(err)
	}
	select {
	case q := <-calls:
		if q != "t=16&a=NACK%2F+barred&k=x&c=0" {
			t.Fatalf("callback %q", q)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
	}
	// An event for a message without dlr-url, or garbage, calls nothing.
	other := e.SendOne("+4915112345678", "plain")
	p, _ = json.Marshal(api.EventPayload{MessageID: other})
	for _, ev := range []smsgw.Event{
		{ID: "f2", Event: "sms:delivered", Payload: p},
		{ID: "f3", Event: "sms:delivered", Payload: json.RawMessage(`not json`)},
		{ID: "f4", Event: "sms:received", Payload: p},
	} {
		if err := dlrs.Deliver(t.Context(), ev); !errors.Is(err, hooks.ErrNoDLR) {
			t.Fatalf("%s: %v, want ErrNoDLR", ev.ID, err)
		}
	}
	select {
	case q := <-calls:
		t.Fatalf("unexpected callback %q", q)
	default:
	}
}

// TestKannelDLRExternal: the daemon's durable consumer makes the callback
// and reports failures for the outbox to retry.
func TestKannelDLRExternal(t *testing.T) {
	e := newEnv(t, api.Options{Callbacks: httpdtest.LoopbackCallbacks})
	dlrs := newDLR(t, e)
	status := make(chan int, 2)
	status <- 503
	status <- 200
	calls := make(chan string, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(<-status)
		calls <- r.URL.RawQuery
	}))
	defer cb.Close()
	e.Want(e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=1&dlr-url="+url.QueryEscape(cb.URL+"/?t=%d"), nil), 202)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	e.MarkSent(id, 3)
	e.Report(id, 3, true)
	p, _ := json.Marshal(api.EventPayload{MessageID: id})
	ev := smsgw.Event{ID: "d1", Event: "sms:delivered", Payload: p}
	if err := dlrs.Deliver(t.Context(), ev); err == nil {
		t.Fatal("a 503 from the receiver should ask for a retry")
	}
	if err := dlrs.Deliver(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || <-calls != "t=1" {
		t.Fatalf("%d calls", len(calls))
	}
	// Not a report, or a message sent without a dlr-url: nothing to do,
	// and said so, so that the outbox counts it as skipped.
	if err := dlrs.Deliver(t.Context(), smsgw.Event{Event: "sms:received", Payload: p}); !errors.Is(err, hooks.ErrNoDLR) {
		t.Fatalf("a received message: %v, want ErrNoDLR", err)
	}
	e.Want(e.Do("POST", "/v1/messages", map[string]any{"to": []string{"+4915112345678"}, "text": "no callback"}), 202)
	page, _ = e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	plain, _ := json.Marshal(api.EventPayload{MessageID: page.Messages[0].ID})
	if err := dlrs.Deliver(t.Context(), smsgw.Event{Event: "sms:delivered", Payload: plain}); !errors.Is(err, hooks.ErrNoDLR) {
		t.Fatalf("a message without a dlr-url: %v, want ErrNoDLR", err)
	}
}

// TestDLRRedirectNotFollowed: a callback receiver that answers with a
// redirect does not get the daemon to call where it points.
func TestDLRRedirectNotFollowed(t *testing.T) {
	var inner atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	defer target.Close()
	called := make(chan struct{}, 4)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusFound)
		called <- struct{}{}
	}))
	defer redir.Close()
	e := newEnv(t, api.Options{Callbacks: httpdtest.LoopbackCallbacks})
	dlrs := newDLR(t, e)
	e.Want(e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=1&dlr-url="+url.QueryEscape(redir.URL+"/?t=%d"), nil, "User-Agent", "curl/8"), http.StatusAccepted)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	p, _ := json.Marshal(api.EventPayload{MessageID: id, DeliveredAt: time.Now().Format(time.RFC3339)})
	if err := dlrs.Deliver(t.Context(), smsgw.Event{ID: "e1", Event: "sms:delivered", Payload: p}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
	default:
		t.Fatal("the dlr-url was not called")
	}
	if inner.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestDLRErrorHasNoSecrets: a failing callback's error (stored with the
// delivery and logged) carries neither the query nor the user info.
func TestDLRErrorHasNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	base := srv.URL
	srv.Close() // nothing listens there any more: the dial fails
	e := newEnv(t, api.Options{Callbacks: httpdtest.LoopbackCallbacks})
	dlrs := newDLR(t, e)
	dlr := strings.Replace(base, "http://", "http://user:pw@", 1) + "/dlr?token=s3cret&t=%d"
	e.Want(e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=1&dlr-url="+url.QueryEscape(dlr), nil), http.StatusAccepted)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	p, _ := json.Marshal(api.EventPayload{MessageID: page.Messages[0].ID})
	err := dlrs.Deliver(t.Context(), smsgw.Event{ID: "e1", Event: "sms:delivered", Payload: p})
	if err == nil {
		t.Fatal("a refused connection reported success")
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw") {
		t.Fatalf("secret in %q", err)
	}
}
