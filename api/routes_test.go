package api

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"smsgw"
)

func TestInbox(t *testing.T) {
	e := newEnv(t, Options{})
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i, from := range []string{"+4915100000009", "BANK", "+4915100000009"} {
		ids = append(ids, e.addInbound("m1", from, "hi "+itoa(i), base.Add(time.Duration(i)*time.Minute)))
	}
	a, b, c := ids[0], ids[1], ids[2]
	r := e.do("GET", "/v1/inbox?limit=2", nil)
	e.want(r, 200)
	var l InboxList
	r.json(t, &l)
	if len(l.Messages) != 2 || l.Messages[0].ID != c || l.Messages[0].Text != "hi 2" || l.NextCursor == "" {
		t.Fatalf("%+v", l)
	}
	r = e.do("GET", "/v1/inbox?limit=2&cursor="+l.NextCursor, nil)
	e.want(r, 200)
	l = InboxList{}
	r.json(t, &l)
	if len(l.Messages) != 1 || l.Messages[0].ID != a || l.NextCursor != "" {
		t.Fatalf("page 2 %+v", l)
	}
	r = e.do("GET", "/v1/inbox?from=BANK", nil)
	l = InboxList{}
	r.json(t, &l)
	if len(l.Messages) != 1 || l.Messages[0].ID != b {
		t.Fatalf("from filter %+v", l)
	}
	r = e.do("GET", "/v1/inbox?modem=m2", nil)
	l = InboxList{}
	r.json(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("modem filter %+v", l)
	}
	r = e.do("GET", "/v1/inbox?since="+time.Now().Add(time.Hour).Format(time.RFC3339), nil)
	l = InboxList{}
	r.json(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("since filter %+v", l)
	}
	r = e.do("GET", "/v1/inbox?until="+time.Now().Add(-time.Hour).Format(time.RFC3339), nil)
	l = InboxList{}
	r.json(t, &l)
	if len(l.Messages) != 0 {
		t.Fatalf("until filter %+v", l)
	}
	e.want(e.do("GET", "/v1/inbox?since=soon", nil), 400)
	e.want(e.do("GET", "/v1/inbox?limit=5000", nil), 400)
	r = e.do("GET", "/v1/inbox/"+b, nil)
	e.want(r, 200)
	var m Inbound
	r.json(t, &m)
	if m.From != "BANK" || m.Text != "hi 1" || m.Modem != "m1" || m.Parts != 1 || m.Incomplete {
		t.Fatalf("%+v", m)
	}
	e.want(e.do("GET", "/v1/inbox/zz", nil), 404)
	e.want(e.do("GET", "/v1/inbox/999", nil), 404)
	e.want(e.do("DELETE", "/v1/inbox/"+b, nil), 204)
	e.want(e.do("DELETE", "/v1/inbox/"+b, nil), 404)
	e.want(e.do("GET", "/v1/inbox/"+b, nil), 404)
}

func TestModems(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/v1/modems", nil)
	e.want(r, 200)
	var l ModemList
	r.json(t, &l)
	if len(l.Modems) != 2 || l.Modems[0].SignalBars != 4 || l.Modems[0].Number != "+4915100000001" || l.Modems[1].SignalBars != 0 {
		t.Fatalf("%+v", l)
	}
	r = e.do("GET", "/v1/modems/m2", nil)
	e.want(r, 200)
	e.want(e.do("GET", "/v1/modems/nope", nil), 404)

	r = e.do("POST", "/v1/modems/m1/ussd", `{"code":"*100#"}`)
	e.want(r, 200)
	var u USSDResponse
	r.json(t, &u)
	if u.Reply != "Balance: 4.20 EUR" || u.Modem != "m1" {
		t.Fatalf("%+v", u)
	}
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"code":"*100#; AT+CFUN=0"}`, 400, CodeInvalidField},
		{`{}`, 400, CodeMissingField},
		{`{"code":"*100#","x":1}`, 400, CodeUnknownField},
	} {
		r := e.do("POST", "/v1/modems/m1/ussd", c.body)
		e.want(r, c.status)
		if code, _ := r.errCode(t); code != c.code {
			t.Fatalf("%s: %s", c.body, code)
		}
	}
	e.want(e.do("POST", "/v1/modems/nope/ussd", `{"code":"*100#"}`), 404)

	// Without the gateway the modem routes say so.
	h, err := New(Options{}, Backend{Store: e.store})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, localRequest("GET", "/v1/modems"))
	if w.Code != 503 {
		t.Fatalf("no gateway: %d", w.Code)
	}
}

func TestSignalBars(t *testing.T) {
	for dbm, want := range map[int]int{-51: 4, -73: 4, -74: 3, -83: 3, -90: 2, -100: 1, -109: 1, -110: 0, -113: 0} {
		if got := SignalBars(dbm); got != want {
			t.Errorf("SignalBars(%d) = %d, want %d", dbm, got, want)
		}
	}
}

func TestHealthReady(t *testing.T) {
	e := newEnv(t, Options{Version: "1.2.3"})
	r := e.do("GET", "/healthz", nil)
	e.want(r, 200)
	var hl Health
	r.json(t, &hl)
	if hl.Status != "ok" || hl.Version != "1.2.3" {
		t.Fatalf("%+v", hl)
	}
	r = e.do("GET", "/readyz", nil)
	e.want(r, 200)
	// No registered modem: not ready.
	e.modems.set(smsgw.ModemStatus{ID: "m1", State: "offline", Registration: "searching"})
	r = e.do("GET", "/readyz", nil)
	e.want(r, 503)
	r.json(t, &hl)
	if hl.Status != "not_ready" || !strings.HasPrefix(hl.Checks["modems"], "fail") {
		t.Fatalf("%+v", hl)
	}
	// Database down: not ready either.
	e.modems.set(smsgw.ModemStatus{ID: "m1", State: "ready", Registration: "roaming"})
	e.want(e.do("GET", "/readyz", nil), 200)
	e.q.Close(t.Context())
	e.want(e.do("GET", "/readyz", nil), 503)
	e.want(e.do("GET", "/healthz", nil), 200)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, Options{})
	e.want(e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"x"}`), 202)
	e.want(e.do("POST", "/v1/messages", `{"to":"+4915112345678","text":""}`), 400)
	r := e.do("GET", "/metrics", nil)
	e.want(r, 200)
	body := string(r.body)
	for _, want := range []string{
		`smsgw_queue_messages{state="queued"} 1`,
		`smsgw_modem_signal_dbm{modem="m1"} -71`,
		`smsgw_modem_registered{modem="m1",registration="home"} 1`,
		`smsgw_modem_up{modem="m2"} 0`,
		`smsgw_modem_send_failures_total{code="38",modem="m1"} 1`,
		`smsgw_modem_messages_sent_total{modem="m1"} 3`,
		`smsgw_http_requests_total{code="202",method="POST",route="/v1/messages"} 1`,
		`smsgw_http_requests_total{code="400",method="POST",route="/v1/messages"} 1`,
		`smsgw_store_up 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, leak := range []string{"4915112345678", "4915100000001"} {
		if strings.Contains(body, leak) {
			t.Errorf("a phone number is in the metrics")
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "# TYPE ") && !strings.HasPrefix(line, "# TYPE smsgw_") {
			t.Errorf("metric without the smsgw_ prefix: %s", line)
		}
	}
}

func TestEventsStream(t *testing.T) {
	e := newEnv(t, Options{})
	srv := httptest.NewServer(e.h)
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
	e.h.Publish(smsgw.Event{ID: "e1", Event: "sms:sent", DeviceID: "m1", Payload: json.RawMessage(`{"messageId":"1"}`)})
	e.h.Publish(smsgw.Event{ID: "e2", Event: "sms:delivered", DeviceID: "m1", Payload: json.RawMessage(`{"messageId":"1","phoneNumber":"+4915112345678"}`)})
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
	e.want(e.do("GET", "/v1/events?event=sms:bogus", nil), 400)
	// Close ends the stream.
	e.h.Close(t.Context())
	if _, err := rd.ReadString('\n'); err == nil {
		for {
			if _, err := rd.ReadString('\n'); err != nil {
				break
			}
		}
	}
}

// TestOpenAPIMatchesRouter: every route the router serves is in the
// document with the same method, and the document has nothing else.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, Options{})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := e.do("GET", "/openapi.json", nil)
	e.want(r, 200)
	r.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
			var op struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.OperationID == "" || len(op.Responses) == 0 {
				t.Errorf("%s %s: operationId and responses required (%v)", m, p, err)
			}
		}
	}
	served := map[string]bool{}
	err := e.h.mux.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		p, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		ms, err := route.GetMethods()
		if err != nil {
			return err
		}
		for _, m := range ms {
			served[m+" "+p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("router and openapi.json disagree:\nnot documented: %v\nnot served: %v", missing, extra)
	}
	if len(served) < 30 {
		t.Fatalf("only %d routes walked", len(served))
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/v2/nothing", nil)
	e.want(r, 404)
	r.errCode(t)
	r = e.do("PUT", "/v1/messages", `{}`)
	e.want(r, 405)
	r.errCode(t)
}

// TestOpenAPIRefsAndParams: every $ref resolves inside the document and
// every {param} of a path is declared as a path parameter.
func TestOpenAPIRefsAndParams(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	resolve := func(ref string) bool {
		var cur any = doc
		for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = m[tok]; !ok {
				return false
			}
		}
		return true
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["$ref"].(string); ok && !resolve(r) {
				t.Errorf("unresolved $ref %s", r)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	for path, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			declared := map[string]bool{}
			params, _ := op.(map[string]any)["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
			for _, seg := range strings.Split(path, "/") {
				if strings.HasPrefix(seg, "{") && !declared[strings.Trim(seg, "{}")] {
					t.Errorf("%s %s: path parameter %s not declared", method, path, seg)
				}
			}
		}
	}
}
