package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"smsgw/api"
	"smsgw/httpd/httpdtest"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw"
)

func TestInbox(t *testing.T) {
	e := newEnv(t, api.Options{})
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i, from := range []string{"+4915100000009", "BANK", "+4915100000009"} {
		ids = append(ids, e.AddInbound("m1", from, "hi "+strconv.Itoa(i), base.Add(time.Duration(i)*time.Minute)))
	}
	a, b, c := ids[0], ids[1], ids[2]
	r := e.Do("GET", "/v1/inbox?limit=2", nil)
	e.Want(r, 200)
	var l api.InboxList
	r.JSON(t, &l)
	if len(l.Messages) != 2 || l.Messages[0].ID != c || l.Messages[0].Text != "hi 2" || l.NextCursor == "" {
		t.Fatalf("%+v", l)
	}
	r = e.Do("GET", "/v1/inbox?limit=2&cursor="+l.NextCursor, nil)
	e.Want(r, 200)
	l = api.InboxList{}
	r.JSON(t, &l)
	if len(l.Messages) != 1 || l.Messages[0].ID != a || l.NextCursor != "" {
		t.Fatalf("page 2 %+v", l)
	}
	r = e.Do("GET", "/v1/inbox?from=BANK", nil)
	l = api.InboxList{}
	r.JSON(t, &l)
	if len(l.Messages) != 1 || l.Messages[0].ID != b {
		t.Fatalf("from filter %+v", l)
	}
	r = e.Do("GET", "/v1/inbox?modem=m2", nil)
	l = api.InboxList{}
	r.JSON(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("modem filter %+v", l)
	}
	r = e.Do("GET", "/v1/inbox?since="+time.Now().Add(time.Hour).Format(time.RFC3339), nil)
	l = api.InboxList{}
	r.JSON(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("since filter %+v", l)
	}
	r = e.Do("GET", "/v1/inbox?until="+time.Now().Add(-time.Hour).Format(time.RFC3339), nil)
	l = api.InboxList{}
	r.JSON(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("until filter %+v", l)
	}
	e.Want(e.Do("GET", "/v1/inbox?since=soon", nil), 400)
	e.Want(e.Do("GET", "/v1/inbox?limit=5000", nil), 400)
	r = e.Do("GET", "/v1/inbox/"+b, nil)
	e.Want(r, 200)
	var m api.Inbound
	r.JSON(t, &m)
	if m.From != "BANK" || m.Text != "hi 1" || m.Modem != "m1" || m.Parts != 1 || m.Incomplete {
		t.Fatalf("%+v", m)
	}
	e.Want(e.Do("GET", "/v1/inbox/zz", nil), 404)
	e.Want(e.Do("GET", "/v1/inbox/999", nil), 404)
	e.Want(e.Do("DELETE", "/v1/inbox/"+b, nil), 204)
	e.Want(e.Do("DELETE", "/v1/inbox/"+b, nil), 404)
	e.Want(e.Do("GET", "/v1/inbox/"+b, nil), 404)
}

func TestModems(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.Do("GET", "/v1/modems", nil)
	e.Want(r, 200)
	var l api.ModemList
	r.JSON(t, &l)
	if len(l.Modems) != 2 || l.Modems[0].SignalBars != 4 || l.Modems[0].Number != "+4915100000001" || l.Modems[1].SignalBars != 0 {
		t.Fatalf("%+v", l)
	}
	r = e.Do("GET", "/v1/modems/m2", nil)
	e.Want(r, 200)
	e.Want(e.Do("GET", "/v1/modems/nope", nil), 404)

	r = e.Do("POST", "/v1/modems/m1/ussd", `{"code":"*100#"}`)
	e.Want(r, 200)
	var u api.USSDResponse
	r.JSON(t, &u)
	if u.Reply != "Balance: 4.20 EUR" || u.Modem != "m1" {
		t.Fatalf("%+v", u)
	}
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"code":"*100#; AT+CFUN=0"}`, 400, api.CodeInvalidField},
		{`{}`, 400, api.CodeMissingField},
		{`{"code":"*100#","x":1}`, 400, api.CodeUnknownField},
	} {
		r := e.Do("POST", "/v1/modems/m1/ussd", c.body)
		e.Want(r, c.status)
		if code, _ := r.ErrCode(t); code != c.code {
			t.Fatalf("%s: %s", c.body, code)
		}
	}
	e.Want(e.Do("POST", "/v1/modems/nope/ussd", `{"code":"*100#"}`), 404)

	// Without the gateway the modem routes say so.
	e.Rebuild(func(b *api.Backend) { b.Modems = nil })
	if r := e.Serve(httpdtest.LocalRequest("GET", "/v1/modems")); r.Code != 503 {
		t.Fatalf("no gateway: %d", r.Code)
	}
}

func TestSignalBars(t *testing.T) {
	for dbm, want := range map[int]int{-51: 4, -73: 4, -74: 3, -83: 3, -90: 2, -100: 1, -109: 1, -110: 0, -113: 0} {
		if got := api.SignalBars(dbm); got != want {
			t.Errorf("SignalBars(%d) = %d, want %d", dbm, got, want)
		}
	}
}

func TestEventsStream(t *testing.T) {
	e := newEnv(t, api.Options{})
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/events?event=sms:delivered,sms:received")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	line, _ := rd.ReadString('\n') // the opening comment: subscribed
	if !strings.HasPrefix(line, ":") {
		t.Fatalf("first line %q", line)
	}
	e.Stack.Publish(smsgw.Event{ID: "e1", Event: "sms:sent", DeviceID: "m1", Payload: json.RawMessage(`{"messageId":"1"}`)})
	e.Stack.Publish(smsgw.Event{ID: "e2", Event: "sms:delivered", DeviceID: "m1", Payload: json.RawMessage(`{"messageId":"1","phoneNumber":"+4915112345678"}`)})
	var got []string
	for len(got) < 3 {
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, ":") {
			got = append(got, l)
		}
	}
	if got[0] != "id: e2" || got[1] != "event: sms:delivered" || !strings.HasPrefix(got[2], `data: {"id":"e2"`) {
		t.Fatalf("filtered stream %q", got)
	}
	var ev smsgw.Event
	if err := json.Unmarshal([]byte(strings.TrimPrefix(got[2], "data: ")), &ev); err != nil || ev.DeviceID != "m1" {
		t.Fatalf("data %v %+v", err, ev)
	}
	e.Want(e.Do("GET", "/v1/events?event=sms:bogus", nil), 400)
	// Close ends the stream.
	e.API.Close(t.Context())
	if _, err := rd.ReadString('\n'); err == nil {
		for {
			if _, err := rd.ReadString('\n'); err != nil {
				break
			}
		}
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.Do("GET", "/v2/nothing", nil)
	e.Want(r, 404)
	r.ErrCode(t)
	r = e.Do("PUT", "/v1/messages", `{}`)
	e.Want(r, 405)
	r.ErrCode(t)
}
