package httpd_test

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

// schemaCheck validates a JSON value against the subset of JSON Schema
// 2020-12 that openapi.json uses: type (one or a list), properties,
// required, additionalProperties (false or a schema), items, enum,
// minimum/maximum, minLength/maxLength, minItems/maxItems, pattern, format
// date-time, oneOf, anyOf, allOf and local $ref. Annotations (description,
// default, examples, deprecated, contentEncoding) are ignored. A keyword
// outside the subset fails the check, so the document cannot grow a
// constraint this test silently skips. A library would do the same, but it
// would add a module to go.mod for one test over a dozen keywords.
type schemaCheck struct {
	doc  map[string]any
	errs []string
}

var knownKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true, "items": true, "enum": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "minItems": true, "maxItems": true,
	"pattern": true, "format": true, "oneOf": true, "anyOf": true, "allOf": true, "$ref": true,
	"description": true, "default": true, "examples": true, "deprecated": true, "contentEncoding": true, "title": true,
}

func (c *schemaCheck) fail(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

func (c *schemaCheck) resolve(ref string) map[string]any {
	var cur any = c.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(map[string]any)
		cur = m[tok]
	}
	m, _ := cur.(map[string]any)
	return m
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// valid reports whether v matches s, without recording why not.
func (c *schemaCheck) valid(s map[string]any, v any) bool {
	sub := &schemaCheck{doc: c.doc}
	sub.check(s, v, "")
	return len(sub.errs) == 0
}

func (c *schemaCheck) check(s map[string]any, v any, path string) {
	if s == nil {
		return
	}
	for k := range s {
		if !knownKeywords[k] {
			c.fail(path, "schema keyword %q is outside what this check knows", k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		r := c.resolve(ref)
		if r == nil {
			c.fail(path, "unresolved $ref %s", ref)
			return
		}
		c.check(r, v, path)
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch x := t.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, e := range x {
				types = append(types, e.(string))
			}
		}
		got := jsonType(v)
		match := false
		for _, want := range types {
			if want == got || (want == "number" && got == "integer") {
				match = true
			}
		}
		if !match {
			c.fail(path, "is %s, want %v", got, types)
			return
		}
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if fmt.Sprint(x) == fmt.Sprint(v) && jsonType(x) == jsonType(v) {
				found = true
			}
		}
		if !found {
			c.fail(path, "%v is not one of %v", v, e)
		}
	}
	if n, ok := v.(float64); ok {
		if m, ok := s["minimum"].(float64); ok && n < m {
			c.fail(path, "%v below minimum %v", n, m)
		}
		if m, ok := s["maximum"].(float64); ok && n > m {
			c.fail(path, "%v above maximum %v", n, m)
		}
	}
	if str, ok := v.(string); ok {
		n := float64(len([]rune(str)))
		if m, ok := s["minLength"].(float64); ok && n < m {
			c.fail(path, "shorter than %v", m)
		}
		if m, ok := s["maxLength"].(float64); ok && n > m {
			c.fail(path, "longer than %v", m)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			c.fail(path, "%q does not match %s", str, p)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				c.fail(path, "%q is not an RFC 3339 date-time", str)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if m, ok := s["minItems"].(float64); ok && float64(len(arr)) < m {
			c.fail(path, "fewer than %v items", m)
		}
		if m, ok := s["maxItems"].(float64); ok && float64(len(arr)) > m {
			c.fail(path, "more than %v items", m)
		}
		if it, ok := s["items"].(map[string]any); ok {
			for i, x := range arr {
				c.check(it, x, path+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				c.fail(path, "required field %q missing", r)
			}
		}
		for k, x := range obj {
			if ps, ok := props[k].(map[string]any); ok {
				c.check(ps, x, path+"."+k)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					c.fail(path, "field %q is not in the document", k)
				}
			case map[string]any:
				c.check(ap, x, path+"."+k)
			}
		}
	}
	for _, sub := range asList(s["allOf"]) {
		c.check(sub.(map[string]any), v, path)
	}
	if one := asList(s["oneOf"]); len(one) > 0 {
		n := 0
		for _, sub := range one {
			if c.valid(sub.(map[string]any), v) {
				n++
			}
		}
		if n != 1 {
			c.fail(path, "matches %d of the oneOf schemas, want exactly 1", n)
		}
	}
	if anyOf := asList(s["anyOf"]); len(anyOf) > 0 {
		n := 0
		for _, sub := range anyOf {
			if c.valid(sub.(map[string]any), v) {
				n++
			}
		}
		if n == 0 {
			c.fail(path, "matches none of the anyOf schemas")
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// The schema checker itself catches what it must: a field the document
// does not have, a missing required field, a wrong type, an enum miss.
func TestSchemaCheckCatchesDrift(t *testing.T) {
	doc := map[string]any{"components": map[string]any{"schemas": map[string]any{
		"M": map[string]any{"type": "object", "additionalProperties": false, "required": []any{"id"},
			"properties": map[string]any{"id": map[string]any{"type": "string"}, "n": map[string]any{"type": "integer", "minimum": 1.0},
				"s": map[string]any{"type": "string", "enum": []any{"a", "b"}}, "at": map[string]any{"type": "string", "format": "date-time"}}}}}}
	ref := map[string]any{"$ref": "#/components/schemas/M"}
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"id":"1","n":2,"s":"a","at":"2026-01-01T00:00:00Z"}`, true},
		{`{"id":"1","extra":true}`, false},
		{`{"n":2}`, false},
		{`{"id":1}`, false},
		{`{"id":"1","n":0}`, false},
		{`{"id":"1","n":1.5}`, false},
		{`{"id":"1","s":"c"}`, false},
		{`{"id":"1","at":"yesterday"}`, false},
	} {
		var v any
		json.Unmarshal([]byte(c.body), &v)
		sc := &schemaCheck{doc: doc}
		sc.check(ref, v, "$")
		if (len(sc.errs) == 0) != c.ok {
			t.Errorf("%s: errors %v, want ok=%v", c.body, sc.errs, c.ok)
		}
	}
}

// liveCheck validates answers of the running stack against openapi.json.
type liveCheck struct {
	t       *testing.T
	e       *httpdtest.Env
	doc     map[string]any
	router  *mux.Router
	checked map[string]map[int]bool // "METHOD path" -> statuses validated
}

func (l *liveCheck) do(method, target string, body any, hdr ...string) httpdtest.Resp {
	l.t.Helper()
	r := l.e.Do(method, target, body, hdr...)
	l.validate(method, target, r)
	return r
}

func (l *liveCheck) validate(method, target string, r httpdtest.Resp) {
	l.t.Helper()
	req := httptest.NewRequest(method, target, nil)
	var m mux.RouteMatch
	if !l.router.Match(req, &m) || m.Route == nil {
		l.t.Errorf("%s %s: no route", method, target)
		return
	}
	tpl, _ := m.Route.GetPathTemplate()
	key := method + " " + tpl
	paths, _ := l.doc["paths"].(map[string]any)
	pathItem, _ := paths[tpl].(map[string]any)
	op, _ := pathItem[strings.ToLower(method)].(map[string]any)
	if op == nil {
		l.t.Errorf("%s: not in openapi.json", key)
		return
	}
	responses, _ := op["responses"].(map[string]any)
	resp, _ := responses[strconv.Itoa(r.Code)].(map[string]any)
	if resp == nil {
		resp, _ = responses["default"].(map[string]any)
	}
	if resp == nil {
		l.t.Errorf("%s (%s): status %d is not documented: %.300s", key, target, r.Code, r.Body)
		return
	}
	if l.checked[key] == nil {
		l.checked[key] = map[int]bool{}
	}
	l.checked[key][r.Code] = true
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(strings.TrimSpace(string(r.Body))) > 0 {
			l.t.Errorf("%s %d: documented without a body, answered %.200s", key, r.Code, r.Body)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	media, _ := content[mt].(map[string]any)
	if media == nil {
		l.t.Errorf("%s %d: content type %q not documented (have %v)", key, r.Code, mt, keys(content))
		return
	}
	schema, _ := media["schema"].(map[string]any)
	if mt != "application/json" {
		return // text: Kannel's sentences, metrics
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		l.t.Errorf("%s %d: not JSON: %v", key, r.Code, err)
		return
	}
	sc := &schemaCheck{doc: l.doc}
	sc.check(schema, v, "$")
	for _, e := range sc.errs {
		l.t.Errorf("%s %d (%s): %s", key, r.Code, target, e)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPILiveAnswers drives every v1, SMSGate and Kannel route of the
// stack, successes and errors, and validates each answer against the
// response the document gives for its status: a field added to or dropped
// from an answer without the document following fails here.
func TestOpenAPILiveAnswers(t *testing.T) {
	e := newEnv(t, api.Options{})
	l := &liveCheck{t: t, e: e, router: e.Handler.(*httpd.Front).Router, checked: map[string]map[int]bool{}}
	r := e.Do("GET", "/openapi.json", nil)
	r.JSON(t, &l.doc)
	l.validate("GET", "/openapi.json", r)

	// v1 messages.
	r = l.do("POST", "/v1/messages", `{"to":["+4915112345678","+4915112345679"],"text":"hello","metadata":{"k":"v"},"ttl":3600}`)
	var sent api.SendResponse
	r.JSON(t, &sent)
	id := sent.Messages[0].ID
	l.do("POST", "/v1/messages", `{"to":"+4915112345678","data":"AAEC","port":2948,"class":1,"pid":65,"udh":"0470020102"}`)
	l.do("POST", "/v1/messages", `{"to":"+4915112345678"}`)
	l.do("POST", "/v1/messages", `{"to":"+4915112345678","text":"x","modem":"nope"}`)
	l.do("GET", "/v1/messages", nil)
	l.do("GET", "/v1/messages?state=bogus", nil)
	e.MarkSent(id, 7)
	e.Report(id, 7, true)
	l.do("GET", "/v1/messages/"+id, nil)
	l.do("GET", "/v1/messages/999999", nil)
	l.do("DELETE", "/v1/messages/"+sent.Messages[1].ID, nil)
	l.do("DELETE", "/v1/messages/"+id, nil)
	e.MarkFailed(mustSend(t, e))
	failed := lastID(t, e)
	l.do("POST", "/v1/messages/"+failed+"/retry", nil)
	l.do("POST", "/v1/messages/"+id+"/retry", nil)

	// Inbox.
	in := e.AddInbound("m1", "+4915112345678", "hi there", time.Now())
	l.do("GET", "/v1/inbox", nil)
	l.do("GET", "/v1/inbox?limit=0", nil)
	l.do("GET", "/v1/inbox/"+in, nil)
	l.do("GET", "/v1/inbox/999999", nil)
	l.do("DELETE", "/v1/inbox/"+in, nil)
	l.do("DELETE", "/v1/inbox/"+in, nil)

	// Modems and USSD.
	l.do("GET", "/v1/modems", nil)
	l.do("GET", "/v1/modems/m1", nil)
	l.do("GET", "/v1/modems/nope", nil)
	l.do("POST", "/v1/modems/m1/ussd", `{"code":"*100#"}`)
	l.do("POST", "/v1/modems/m1/ussd", `{"code":"*999#"}`)
	l.do("POST", "/v1/modems/m1/ussd", `{"code":""}`)
	l.do("POST", "/v1/modems/m1/reset", nil)
	l.do("POST", "/v1/modems/m2/reset", nil)
	l.do("POST", "/v1/modems/nope/reset", nil)

	// The event stream: only its refusal can be read as a whole answer.
	l.do("GET", "/v1/events?event=nope", nil)

	// Rules.
	l.do("GET", "/v1/rules", nil)
	r = l.do("POST", "/v1/rules", map[string]any{"name": "hours", "match": map[string]any{"type": "first_word", "value": "HOURS"},
		"actions": []any{map[string]any{"type": "reply", "text": "Open 9-17"}}})
	var rule struct {
		ID string `json:"id"`
	}
	r.JSON(t, &rule)
	l.do("POST", "/v1/rules", `{"name":""}`)
	l.do("POST", "/v1/rules/test", map[string]any{"from": "+15550100001", "text": "HOURS?", "modem": "m1"})
	l.do("GET", "/v1/rules/"+rule.ID, nil)
	l.do("GET", "/v1/rules/nope", nil)
	l.do("PUT", "/v1/rules/"+rule.ID, map[string]any{"name": "hours", "match": map[string]any{"type": "first_word", "value": "OPEN"},
		"actions": []any{map[string]any{"type": "reply", "text": "Open 9-17"}}})
	l.do("DELETE", "/v1/rules/"+rule.ID, nil)
	l.do("DELETE", "/v1/rules/"+rule.ID, nil)

	// Conversations.
	e.AddInbound("m1", "+4915112345670", "question", time.Now())
	l.do("GET", "/v1/conversations", nil)
	l.do("GET", "/v1/conversations/+4915112345670", nil)
	l.do("GET", "/v1/conversations/abc", nil)
	l.do("POST", "/v1/conversations/+4915112345670", map[string]any{"text": "answer"})
	l.do("POST", "/v1/conversations/+4915112345670", map[string]any{"text": ""})

	// Consent.
	l.do("POST", "/v1/optouts", map[string]any{"number": "+4915112345671", "evidence": map[string]string{"ip": "192.0.2.4"}})
	l.do("GET", "/v1/optouts", nil)
	l.do("DELETE", "/v1/optouts/+4915112345671", nil)
	l.do("DELETE", "/v1/optouts/+4915112345671", nil)
	l.do("POST", "/v1/consent", map[string]any{"number": "+4915100000077", "action": "opt_in", "source": "import"})
	l.do("POST", "/v1/consent", map[string]any{"number": "+4915100000088", "action": "opt_in", "double_opt_in": true})
	l.do("POST", "/v1/consent", map[string]any{"number": "x", "action": "opt_in"})
	l.do("GET", "/v1/consent?format=json", nil)
	l.do("GET", "/v1/consent?since=never", nil)

	// Contacts and groups.
	r = l.do("POST", "/v1/contacts", map[string]any{"number": "+4915112345672", "name": "Anna", "fields": map[string]string{"city": "Bonn"}, "groups": []string{"vip"}})
	var ct struct {
		ID string `json:"id"`
	}
	r.JSON(t, &ct)
	l.do("POST", "/v1/contacts", map[string]any{"number": "+4915112345672"})
	l.do("POST", "/v1/contacts", map[string]any{"number": "x"})
	l.do("GET", "/v1/contacts?group=vip", nil)
	l.do("GET", "/v1/contacts?group=nope", nil)
	l.do("GET", "/v1/contacts/"+ct.ID, nil)
	l.do("PATCH", "/v1/contacts/"+ct.ID, map[string]any{"name": "Anna B.", "fields": map[string]any{"city": nil}})
	l.do("PATCH", "/v1/contacts/"+ct.ID, map[string]any{"time_zone": "Nowhere"})
	l.do("POST", "/v1/contacts/import?group=news", "number,name\n+4915112345673,Bob\nbad,x\n", "Content-Type", "text/csv")
	l.do("POST", "/v1/contacts/import", "name\nx\n", "Content-Type", "text/csv")
	l.do("GET", "/v1/contacts/export", nil)
	l.do("GET", "/v1/contacts/export?group=nope", nil)
	l.do("GET", "/v1/groups", nil)
	r = l.do("POST", "/v1/groups", map[string]any{"name": "staff", "description": "ours"})
	r.JSON(t, &ct)
	l.do("POST", "/v1/groups", map[string]any{"name": "STAFF"})
	l.do("GET", "/v1/groups/staff", nil)
	l.do("PATCH", "/v1/groups/"+ct.ID, map[string]any{"name": "team"})
	l.do("PATCH", "/v1/groups/"+ct.ID, map[string]any{"name": ""})
	l.do("DELETE", "/v1/groups/"+ct.ID, nil)
	l.do("DELETE", "/v1/groups/"+ct.ID, nil)
	l.do("DELETE", "/v1/contacts/1", nil)
	l.do("DELETE", "/v1/contacts/1", nil)

	// Prices and quotes.
	l.do("GET", "/v1/prices", nil)
	l.do("GET", "/v1/prices?format=xml", nil)
	l.do("PUT", "/v1/prices", map[string]any{"prices": []map[string]string{{"prefix": "", "price_per_part": "0.10", "currency": "EUR"}, {"prefix": "49", "price_per_part": "0.075", "currency": "EUR"}}})
	l.do("PUT", "/v1/prices", "prefix,price_per_part,currency\n49,x,EUR\n", "Content-Type", "text/csv")
	l.do("POST", "/v1/quote", map[string]any{"to": []string{"+4915112345678", "nope"}, "text": "Hi {{name|there}} “x”", "smart_encoding": true})
	l.do("POST", "/v1/quote", map[string]any{"to": "+4915112345678", "text": "{{nope}}"})
	l.do("GET", "/v1/spend?by=country&since=2026-01-01T00:00:00Z", nil)
	l.do("GET", "/v1/spend?by=week", nil)
	l.do("PUT", "/v1/tariffs/m1", map[string]any{"free_parts_per_month": 100, "budget_day": "2.00", "prices": []map[string]string{{"prefix": "49", "price_per_part": "0.03", "currency": "EUR"}}})
	l.do("PUT", "/v1/tariffs/m1", map[string]any{"budget_month": "-1"})
	l.do("GET", "/v1/tariffs", nil)
	l.do("GET", "/v1/tariffs/m1", nil)
	l.do("GET", "/v1/tariffs/m2", nil)
	l.do("POST", "/v1/quote", map[string]any{"to": "+4915112345678", "text": "hi", "modem": "m1"})
	l.do("DELETE", "/v1/tariffs/m1", nil)
	l.do("DELETE", "/v1/tariffs/m1", nil)

	// Campaigns (no feeder here: a launched campaign stays as launched).
	r = l.do("POST", "/v1/campaigns", map[string]any{"name": "spring", "template": "Hi {{name|there}}",
		"audience": map[string]any{"groups": []string{"vip"}, "numbers": []string{"+4915112345679", "nope"}}, "window": map[string]string{"from": "09:00", "to": "20:00"}})
	var cp struct {
		ID string `json:"id"`
	}
	r.JSON(t, &cp)
	l.do("POST", "/v1/campaigns", map[string]any{"name": "x", "template": "hi", "audience": map[string]any{"groups": []string{"nope"}}})
	l.do("GET", "/v1/campaigns", nil)
	l.do("GET", "/v1/campaigns?state=nope", nil)
	l.do("GET", "/v1/campaigns/"+cp.ID, nil)
	l.do("GET", "/v1/campaigns/999", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/quote", nil)
	l.do("POST", "/v1/campaigns/999/quote", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/resume", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/launch", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/launch", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/pause", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/resume", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/cancel", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/cancel", nil)
	l.do("POST", "/v1/campaigns/"+cp.ID+"/clone", nil)
	l.do("POST", "/v1/campaigns/999/clone", nil)
	l.do("GET", "/v1/campaigns/"+cp.ID+"/recipients", nil)
	l.do("PUT", "/v1/campaigns/"+cp.ID+"/budget", map[string]any{"budget": "2.50"})
	l.do("PUT", "/v1/campaigns/"+cp.ID+"/budget", map[string]any{"budget": nil})
	l.do("PUT", "/v1/campaigns/"+cp.ID+"/budget", map[string]any{"budget": "-1"})
	l.do("PUT", "/v1/campaigns/999/budget", map[string]any{"budget": "1"})
	l.do("GET", "/v1/campaigns/"+cp.ID+"/recipients?format=xml", nil)

	// Health, metrics.
	l.do("GET", "/healthz", nil)
	l.do("GET", "/readyz", nil)
	l.do("GET", "/metrics", nil)

	// SMSGate, under both prefixes.
	for _, p := range []string{"", "/3rdparty/v1"} {
		r = l.do("POST", p+"/messages", `{"textMessage":{"text":"hi"},"phoneNumbers":["+4915112345678"]}`)
		var st struct {
			ID string `json:"id"`
		}
		r.JSON(t, &st)
		l.do("POST", p+"/message", `{"dataMessage":{"data":"AAEC","port":53739},"phoneNumbers":["+4915112345678"]}`)
		l.do("POST", p+"/message", `{"phoneNumbers":["+4915112345678"]}`)
		l.do("GET", p+"/messages/"+st.ID, nil)
		l.do("GET", p+"/message/"+st.ID, nil)
		l.do("GET", p+"/message/nope", nil)
		l.do("GET", p+"/messages?includeContent=true", nil)
		l.do("GET", p+"/messages?state=Nope", nil)
		l.do("DELETE", p+"/messages/"+st.ID, nil)
		l.do("DELETE", p+"/message/nope", nil)
		l.do("GET", p+"/inbox", nil)
		l.do("GET", p+"/inbox?deviceId=nope", nil)
		r = l.do("POST", p+"/webhooks", `{"url":"https://example.com/hook","event":"sms:data-received"}`)
		var wh struct {
			ID string `json:"id"`
		}
		r.JSON(t, &wh)
		l.do("POST", p+"/webhooks", `{"url":"ftp://x","event":"sms:received"}`)
		l.do("GET", p+"/webhooks", nil)
		l.do("DELETE", p+"/webhooks/"+wh.ID, nil)
		l.do("DELETE", p+"/webhooks/"+wh.ID, nil)
		l.do("GET", p+"/devices", nil)
		l.do("GET", p+"/device", nil)
		l.do("GET", p+"/health", nil)
	}
	// A message of one batch cancelled, to show the Cancelled state.
	r = l.do("POST", "/messages", `{"id":"live-c","textMessage":{"text":"later"},"phoneNumbers":["+4915112345678"]}`)
	l.do("DELETE", "/messages/live-c", nil)
	l.do("GET", "/messages/live-c", nil)
	l.do("DELETE", "/messages/live-c", nil)

	// Kannel.
	l.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=hi", nil)
	l.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=hi&smsc=nowhere", nil)
	l.do("GET", "/cgi-bin/sendsms?text=hi", nil)
	l.do("POST", "/cgi-bin/sendsms", nil, "X-Kannel-To", "+4915112345678", "Content-Type", "text/plain")

	// Every documented operation got at least one validated answer.
	paths, _ := l.doc["paths"].(map[string]any)
	var missing []string
	for p, item := range paths {
		for m := range item.(map[string]any) {
			key := strings.ToUpper(m) + " " + p
			if len(l.checked[key]) == 0 && key != "GET /v1/events" {
				missing = append(missing, key)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no live answer validated for %v", missing)
	}
}

func mustSend(t *testing.T, e *httpdtest.Env) string {
	t.Helper()
	r := e.Do("POST", "/v1/messages", `{"to":"+4915112345677","text":"to fail"}`)
	var s api.SendResponse
	r.JSON(t, &s)
	if len(s.Messages) == 0 {
		t.Fatalf("send: %s", r.Body)
	}
	return s.Messages[0].ID
}

func lastID(t *testing.T, e *httpdtest.Env) string {
	t.Helper()
	page, err := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1, States: nil})
	if err != nil || len(page.Messages) == 0 {
		t.Fatalf("%v", err)
	}
	return page.Messages[0].ID
}

// The document's servers name the listener it was fetched from, not the
// default address: a gateway on another port (here a random one) is
// described as itself.
func TestOpenAPIServersAreTheListener(t *testing.T) {
	e := newEnv(t, api.Options{})
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		OpenAPI string `json:"openapi"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || len(doc.Servers) != 1 || doc.Servers[0].URL != srv.URL || doc.OpenAPI != "3.1.0" || len(doc.Paths) < 40 {
		t.Fatalf("%d servers %+v (want %s), %d paths", res.StatusCode, doc.Servers, srv.URL, len(doc.Paths))
	}
}

// The Kannel route declares the credentials it takes (password or pass in
// the query or form, X-Kannel-Password, or the usual bearer and Basic), and
// every scheme it names exists.
func TestOpenAPIKannelCredentials(t *testing.T) {
	e := newEnv(t, api.Options{})
	var doc struct {
		Paths      map[string]map[string]struct{ Security []map[string][]string } `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type string `json:"type"`
				In   string `json:"in"`
				Name string `json:"name"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	r := e.Do("GET", "/openapi.json", nil)
	r.JSON(t, &doc)
	for _, m := range []string{"get", "post"} {
		sec := doc.Paths["/cgi-bin/sendsms"][m].Security
		names := map[string]bool{}
		for _, alt := range sec {
			for n := range alt {
				if _, ok := doc.Components.SecuritySchemes[n]; !ok {
					t.Errorf("%s: scheme %q not defined", m, n)
				}
				names[doc.Components.SecuritySchemes[n].In+":"+doc.Components.SecuritySchemes[n].Name] = true
			}
		}
		if !names["query:password"] || !names["query:pass"] || !names["header:X-Kannel-Password"] {
			t.Errorf("%s /cgi-bin/sendsms: security %v does not name Kannel's credentials", m, sec)
		}
	}
}
