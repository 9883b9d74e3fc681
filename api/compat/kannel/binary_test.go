package kannel_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"smsgw"
	"smsgw/api"
	"smsgw/httpd/httpdtest"
)

// Kannel's 8-bit sends: coding=1 takes the text's octets as data, udh the
// header's octets (UDHL first), mclass the message class and pid TP-PID;
// smsc may name a modem's tag.
func TestKannelBinary(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "49"})
	e.Rebuild(func(b *api.Backend) {
		b.Modems = httpdtest.NewModems(nil,
			smsgw.ModemStatus{ID: "m1", State: "ready", Registration: "home", Tags: []string{"office"}},
			smsgw.ModemStatus{ID: "m2", State: "offline"})
	})
	get := func(q string) httpdtest.Resp { return e.Do("GET", "/cgi-bin/sendsms?"+q, nil) }
	last := func() api.Message {
		t.Helper()
		page, err := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
		if err != nil || len(page.Messages) != 1 {
			t.Fatalf("%v %+v", err, page)
		}
		m, err := e.Store.Message(t.Context(), page.Messages[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// A WAP push style message: octets 00 and FF survive the URL.
	r := get("to=%2B4915112345678&coding=1&text=%00%01%FF%FE&udh=%06%05%04%0B%84%23%F0&mclass=1&pid=65&smsc=office")
	e.Want(r, http.StatusAccepted)
	if string(r.Body) != "0: Accepted for delivery" {
		t.Fatalf("%q", r.Body)
	}
	m := last()
	if m.Data != base64.StdEncoding.EncodeToString([]byte{0, 1, 0xFF, 0xFE}) || m.UDH != "0605040B8423F0" || m.Coding != "8bit" ||
		m.Class == nil || *m.Class != 1 || m.PID != 65 || len(m.Tags) != 1 || m.Tags[0] != "office" || m.Text != "" {
		t.Fatalf("stored %+v", m)
	}
	// A header on a text, and class 0 through mclass.
	e.Want(get("to=%2B4915112345678&text=hi&udh=%05%00%03%07%02%01&mclass=0"), http.StatusAccepted)
	if m := last(); m.Text != "hi" || m.UDH != "050003070201" || m.Class == nil || *m.Class != 0 || !m.Flash {
		t.Fatalf("text with udh %+v", m)
	}
	// POST with the data as the body and the rest in headers.
	req := httpdtest.LocalRequest("POST", "/cgi-bin/sendsms")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Kannel-To", "+4915112345678")
	req.Header.Set("X-Kannel-Coding", "1")
	req.Body = nopCloser{strings.NewReader("\x00\x80bin")}
	r = e.Serve(req)
	e.Want(r, http.StatusAccepted)
	if m := last(); m.Data != base64.StdEncoding.EncodeToString([]byte("\x00\x80bin")) {
		t.Fatalf("POST data %+v", m)
	}
	for _, q := range []string{
		"to=%2B4915112345678&coding=1&text=",                   // no data
		"to=%2B4915112345678&coding=1&text=x&udh=%05%00%03",    // UDHL says 5, 2 follow
		"to=%2B4915112345678&coding=1&text=x&udh=%03%00%05%01", // element overruns
		"to=%2B4915112345678&coding=1&text=x&pid=x",
		"to=%2B4915112345678&text=x&mclass=2&flash=1",
		"to=%2B4915112345678&coding=1&text=" + strings.Repeat("%AA", 134*10+1), // more than max_parts
	} {
		r := get(q)
		if r.Code != 400 || !strings.HasSuffix(string(r.Body), "rejected") {
			t.Errorf("%.80s: %d %q", q, r.Code, r.Body)
		}
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
