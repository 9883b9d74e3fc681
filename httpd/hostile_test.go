package httpd_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostile is one malformed or hostile request, written on the wire byte
// for byte (so that paths, escapes and bodies reach the server exactly as
// an attacker would send them).
type hostile struct {
	method string
	target string // request-target, sent as is
	body   []byte
	ct     string   // Content-Type; empty: none
	hdr    []string // extra header lines "Name: value"
	// stream: a 2xx answer is an event stream that stays open; the headers
	// are enough.
	stream bool
	// protocol: net/http itself refuses the request line (a malformed
	// escape in the path) before any handler runs; a 4xx is all that can
	// be asked.
	protocol bool
}

func (h hostile) String() string {
	b := string(h.body)
	if len(b) > 60 {
		b = b[:60] + fmt.Sprintf("...(%d bytes)", len(h.body))
	}
	t := h.target
	if len(t) > 100 {
		t = t[:100] + fmt.Sprintf("...(%d bytes)", len(h.target))
	}
	return fmt.Sprintf("%s %s %q %v", h.method, t, b, h.hdr)
}

// hostileCorpus builds the requests: broken, huge and deeply nested JSON,
// wrong types, invalid UTF-8, NUL bytes, absurd numbers, bad ids, path
// traversal, header abuse, wrong methods and bad query parameters, across
// every route of v1, the health and metrics routes, SMSGate (both
// prefixes) and Kannel.
func hostileCorpus() []hostile {
	var c []hostile
	jsonPost := func(target string, bodies ...string) {
		for _, b := range bodies {
			c = append(c, hostile{method: "POST", target: target, body: []byte(b), ct: "application/json"})
		}
	}
	get := func(targets ...string) {
		for _, t := range targets {
			c = append(c, hostile{method: "GET", target: t})
		}
	}
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	const num = "+4915112345678"
	many := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf(`"+49151%08d"`, i)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	huge := strings.Repeat("x", 1<<20+100<<10)

	// Broken JSON, and JSON that is not an object.
	broken := []string{"", " ", "{", "}", "[]", "null", "true", "42", `"text"`, `{"to":`, `{"to":"` + num + `"`,
		`{"to":"` + num + `","text":"hi"} trailing`, `{"to":"` + num + `","text":"hi"}{"again":1}`,
		`{'to':'` + num + `'}`, `{"to":"` + num + `","text":"hi",}`, "\x00", "\xff\xfe{}", `{"to":"` + num + "\x00" + `","text":"hi"}`,
		`{"to":"` + num + `","text":"a` + "\x01\x02" + `"}`, `{"to":"` + num + `","text":"\u"}`, `{"to":"` + num + `","text":"\ud800"}`,
		`{"to":"` + num + `","text":"` + "\xff\xfe\xc3\x28" + `"}`, `{"to":"` + num + `","text":"hi\u0000there"}`,
		`{"__proto__":{"x":1}}`, `{"to":"` + num + `","text":"hi","text":"twice"}`,
		deep("[", "]", 20000), `{"to":"` + num + `","text":"hi","metadata":` + deep(`{"a":`, "}", 20000)[:20000*5] + `"x"` + strings.Repeat("}", 20000) + `}`,
		`{"to":` + deep("[", "]", 5000) + `}`,
	}
	jsonPost("/v1/messages", broken...)
	jsonPost("/message", broken[:12]...)
	jsonPost("/3rdparty/v1/messages", broken[12:]...)
	jsonPost("/v1/modems/m1/ussd", broken[:10]...)
	jsonPost("/webhooks", broken[5:15]...)

	// Wrong types and absurd values on the v1 send.
	v1 := func(fields string) string { return `{"to":"` + num + `","text":"hi",` + fields + `}` }
	jsonPost("/v1/messages",
		`{"to":123,"text":"hi"}`, `{"to":{},"text":"hi"}`, `{"to":[1,2],"text":"hi"}`, `{"to":[null],"text":"hi"}`,
		`{"to":"","text":"hi"}`, `{"to":[],"text":"hi"}`, `{"to":"abc","text":"hi"}`, `{"to":"+","text":"hi"}`,
		`{"to":"+0000","text":"hi"}`, `{"to":"+123456789012345678901234567890","text":"hi"}`, `{"to":"0151 1234567","text":"hi"}`,
		`{"to":"`+num+`\u0000","text":"hi"}`, `{"to":"../../etc/passwd","text":"hi"}`, `{"to":`+many(1001)+`,"text":"hi"}`,
		`{"to":"`+num+`","text":5}`, `{"to":"`+num+`","text":[]}`, `{"to":"`+num+`","text":null}`, `{"to":"`+num+`"}`,
		`{"to":"`+num+`","text":"   "}`, `{"to":"`+num+`","text":"`+strings.Repeat("€", 5001)+`"}`,
		`{"to":"`+num+`","text":"`+strings.Repeat("x", 1601)+`"}`,
		v1(`"priority":"high"`), v1(`"priority":1e309`), v1(`"priority":99999999999999999999`), v1(`"priority":-1e20`),
		v1(`"priority":1.5`), v1(`"priority":128`), v1(`"priority":-129`),
		v1(`"ttl":"60"`), v1(`"ttl":-1`), v1(`"ttl":0`), v1(`"ttl":4`), v1(`"ttl":31536001`), v1(`"ttl":9223372036854775807`),
		v1(`"ttl":9223372036854775808`), v1(`"ttl":-9223372036854775808`), v1(`"ttl":1e100`), v1(`"ttl":NaN`), v1(`"ttl":60,"expires_at":"2099-01-01T00:00:00Z"`),
		v1(`"flash":"yes"`), v1(`"delivery_report":1`), v1(`"tags":"a"`), v1(`"tags":[""]`), v1(`"tags":["`+strings.Repeat("t", 65)+`"]`),
		v1(`"tags":[1]`), v1(`"metadata":[]`), v1(`"metadata":{"a":1}`), v1(`"metadata":{"a":"`+strings.Repeat("m", 5000)+`"}`),
		v1(`"send_at":"tomorrow"`), v1(`"send_at":"2026-13-45T99:00:00Z"`), v1(`"send_at":1700000000`),
		v1(`"send_at":"99999-01-01T00:00:00Z"`), v1(`"expires_at":"2001-01-01T00:00:00Z"`),
		v1(`"send_at":"2099-01-02T00:00:00Z","expires_at":"2099-01-01T00:00:00Z"`),
		v1(`"modem":""`), v1(`"modem":"`+strings.Repeat("m", 200)+`"`), v1(`"modem":"nope"`), v1(`"modem":"../../etc/passwd"`),
		v1(`"modem":"m1\u0000"`), v1(`"modem":5`), v1(`"encoding":"ebcdic"`), v1(`"encoding":7`), v1(`"unknown":true`),
		v1(`"TO":"`+num+`"`),
	)

	// Headers: content types, idempotency keys, authorization, size.
	ok := `{"to":"` + num + `","text":"hi"}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
		"application/json;;;", "application/json; charset=\"", "application/xml", "*/*", "application/json\t; x=y"} {
		c = append(c, hostile{method: "POST", target: "/v1/messages", body: []byte(ok), ct: ct})
	}
	for _, h := range []string{
		"Idempotency-Key: " + strings.Repeat("k", 300), "Idempotency-Key: ключ", "Authorization: Bearer",
		"Authorization: Basic !!!notbase64", "Authorization: Basic " + strings.Repeat("QUFB", 2000),
		"Authorization: " + strings.Repeat("x", 6000), "X-Forwarded-For: 127.0.0.1, ::1, evil", "Expect: 100-continue",
		"Accept: */*; q=foo", "Content-Encoding: gzip", "Origin: null", "X-Kannel-To: " + num,
	} {
		c = append(c, hostile{method: "POST", target: "/v1/messages", body: []byte(ok), ct: "application/json", hdr: []string{h}})
	}
	c = append(c, hostile{method: "POST", target: "/v1/messages", body: []byte(`{"to":"` + num + `","text":"` + huge + `"}`), ct: "application/json"})

	// Wrong methods on every route, unknown routes and path tricks.
	for _, m := range []string{"PUT", "PATCH", "TRACE", "OPTIONS", "FOO", "HEAD", "DELETE"} {
		for _, t := range []string{"/v1/messages", "/v1/inbox", "/v1/modems", "/v1/modems/m1/ussd", "/healthz", "/metrics",
			"/openapi.json", "/message", "/3rdparty/v1/devices", "/cgi-bin/sendsms"} {
			if m == "HEAD" && t != "/v1/modems/m1/ussd" && t != "/message" {
				continue // HEAD of a GET route is answered without a body
			}
			if m == "DELETE" && t != "/v1/messages" && t != "/healthz" {
				continue
			}
			c = append(c, hostile{method: m, target: t})
		}
	}
	c = append(c,
		hostile{method: "GET", target: "/v1/messages/1/retry"}, hostile{method: "POST", target: "/v1/events"},
		hostile{method: "POST", target: "/v1/inbox/1"}, hostile{method: "GET", target: "/v1/modems/m1/ussd"},
		hostile{method: "GET", target: "/v1/modems/m1/reset"}, hostile{method: "POST", target: "/v1/modems/nope/reset"},
		hostile{method: "POST", target: "/v1/modems/m2/reset"}, hostile{method: "POST", target: "/v1/modems/%2e%2e/reset"},
		hostile{method: "POST", target: "/v1/modems/m1%00/reset"}, hostile{method: "POST", target: "/v1/modems/" + strings.Repeat("m", 5000) + "/reset"},
		hostile{method: "POST", target: "/v1/modems/m1/reset", body: []byte(broken[3]), ct: "application/json"},
	)
	c = append(c, hostile{method: "GET", target: "/v1/messages/%zz", protocol: true},
		hostile{method: "DELETE", target: "/v1/inbox/%", protocol: true})
	get("/", "/v2/messages", "/v1", "/v1/", "/v1/messages/", "/v1/messages/1/2/3", "/cgi-bin/", "/cgi-bin/sendsms/x",
		"/../../etc/passwd", "/v1/../../etc/passwd", "/v1/messages/..%2f..%2fetc%2fpasswd", "/v1/messages/%2e%2e",
		"/v1/messages/%00", "/v1/inbox/%c0%ae%c0%ae", "/3rdparty/v1/../../v1/inbox", "//v1//messages",
		"/V1/MESSAGES", "/v1/messages;jsessionid=1", "/"+strings.Repeat("a/", 2000), "/v1/messages/"+strings.Repeat("9", 5000))

	// Bad ids on every id route.
	ids := []string{"0", "-1", "abc", "99999999999999999999", "9223372036854775807", "1.0", "%201", "+1", "0x10",
		"1;DROP%20TABLE%20messages", "%00", "%E2%82%AC", "q1", "q1-2", "%ff"}
	for _, id := range ids {
		c = append(c,
			hostile{method: "GET", target: "/v1/messages/" + id},
			hostile{method: "DELETE", target: "/v1/messages/" + id},
			hostile{method: "POST", target: "/v1/messages/" + id + "/retry"},
			hostile{method: "GET", target: "/v1/inbox/" + id},
			hostile{method: "DELETE", target: "/v1/inbox/" + id},
			hostile{method: "GET", target: "/v1/modems/" + id},
			hostile{method: "GET", target: "/message/" + id},
			hostile{method: "GET", target: "/3rdparty/v1/messages/" + id},
			hostile{method: "DELETE", target: "/webhooks/" + id},
		)
	}

	// Bad query parameters on the listings, events, health and metrics.
	for _, q := range []string{"limit=0", "limit=-1", "limit=1001", "limit=abc", "limit=1e3", "limit=99999999999999999999",
		"state=bogus", "state=,,,", "state=queued,bogus", "since=yesterday", "since=-5", "since=99999999999999999999",
		"until=2026-02-30T00:00:00Z", "cursor=abc", "cursor=-1", "cursor=99999999999999999999", "to=abc", "to=%00",
		"to=" + strings.Repeat("1", 5000), "limit=5&limit=x", "%zz=1", "since=%00", "cursor=%ff%fe"} {
		get("/v1/messages?" + q)
	}
	for _, q := range []string{"limit=0", "limit=x", "since=x", "until=-1", "cursor=x", "from=abc", "modem=%00", "from=%ff"} {
		get("/v1/inbox?" + q)
	}
	for _, q := range []string{"event=bogus", "event=sms:received,bogus", "event=%00", "event=" + strings.Repeat("x", 3000)} {
		get("/v1/events?" + q)
	}
	c = append(c, hostile{method: "GET", target: "/v1/events?event=sms:sent", stream: true},
		hostile{method: "GET", target: "/v1/events?event=,,,", stream: true, hdr: []string{"Last-Event-ID: \xff\xfe"}})
	get("/healthz?verbose=%00", "/readyz?x="+strings.Repeat("y", 4000), "/metrics?format=%zz", "/openapi.json?x=../../")
	c = append(c, hostile{method: "GET", target: "/metrics", hdr: []string{"Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}})

	// USSD: codes a keypad cannot dial, wrong types, unknown modem.
	jsonPost("/v1/modems/m1/ussd", `{}`, `{"code":""}`, `{"code":5}`, `{"code":null}`, `{"code":"12a#"}`,
		`{"code":"ATD123;"}`, `{"code":"*100#\"\r\nAT+CMGD=1,4"}`, `{"code":"`+strings.Repeat("1", 161)+`"}`,
		`{"code":"*100#","extra":1}`, `{"code":"\u0000"}`)
	jsonPost("/v1/modems/nope/ussd", `{"code":"*100#"}`)
	jsonPost("/v1/modems/..%2fm1/ussd", `{"code":"*100#"}`)

	// SMSGate sends, on both prefixes.
	asg := func(fields string) string {
		return `{"textMessage":{"text":"hi"},"phoneNumbers":["` + num + `"]` + fields + `}`
	}
	for _, p := range []string{"/message", "/3rdparty/v1/message"} {
		jsonPost(p, `{"phoneNumbers":["`+num+`"]}`, `{"message":"a","textMessage":{"text":"b"},"phoneNumbers":["`+num+`"]}`,
			`{"dataMessage":{"data":"AAAA","port":0},"phoneNumbers":["`+num+`"]}`, `{"dataMessage":{"data":"%%","port":1},"phoneNumbers":["`+num+`"]}`, asg(`,"isEncrypted":true`),
			`{"message":"hi","phoneNumbers":`+many(101)+`}`, `{"message":"hi","phoneNumbers":[""]}`, `{"message":"hi","phoneNumbers":"`+num+`"}`,
			asg(`,"simNumber":0`), asg(`,"simNumber":256`), asg(`,"simNumber":-1`), asg(`,"simNumber":99999999999999`), asg(`,"simNumber":"1"`),
			asg(`,"simNumber":2,"deviceId":"m1"`), asg(`,"deviceId":"nope"`), asg(`,"id":"`+strings.Repeat("i", 37)+`"`), asg(`,"id":"q5"`),
			asg(`,"id":"12"`), asg(`,"ttl":-5`), asg(`,"ttl":1e30`), asg(`,"validUntil":"never"`), asg(`,"scheduleAt":"2001-01-01T00:00:00Z"`),
			asg(`,"priority":1000`), asg(`,"withDeliveryReport":"yes"`), asg(`,"ttl":60,"validUntil":"2099-01-01T00:00:00Z"`),
			`{"textMessage":{"text":5},"phoneNumbers":["`+num+`"]}`, `{"textMessage":"hi","phoneNumbers":["`+num+`"]}`)
	}
	for _, q := range []string{"limit=0", "limit=101", "offset=-1", "offset=x", "state=Bogus", "from=bad", "to=%00", "deviceId=%ff"} {
		get("/messages?"+q, "/3rdparty/v1/inbox?"+q)
	}
	get("/inbox?type=mms", "/3rdparty/v1/devices?x=%00", "/health?x=1")
	jsonPost("/webhooks", `{"url":"ftp://x/y","event":"sms:received"}`, `{"url":"http://","event":"sms:received"}`,
		`{"url":"http://a b/","event":"sms:received"}`, `{"url":"https://x/y","event":"sms:bogus"}`, `{"url":"https://x/y"}`,
		`{"url":"https://x/y","event":"sms:sent","id":"`+strings.Repeat("w", 40)+`"}`, `{"url":"https://x/y","event":"sms:sent","deviceId":"nope"}`,
		`{"url":5,"event":"sms:sent"}`, `{"url":"`+strings.Repeat("h", 5000)+`","event":"sms:sent"}`, `{"url":"javascript:alert(1)","event":"sms:sent"}`)

	// Every SMSGate route under both prefixes.
	for _, p := range []string{"", "/3rdparty/v1"} {
		get(p+"/messages?limit=abc&offset=%ff", p+"/messages/%00", p+"/message/..%2f..%2fetc", p+"/messages/"+strings.Repeat("z", 3000),
			p+"/webhooks?x=%ff", p+"/devices?limit=-1", p+"/health?x=%00")
		jsonPost(p+"/messages", `{"message":"hi","phoneNumbers":[1]}`, `{"message":`+deep("[", "]", 3000)+`}`)
		jsonPost(p+"/webhooks", `{"url":"ftp://x","event":"sms:sent"}`, `[]`, `{"url":"http://x/","event":"sms:sent","id":"\u0000"}`)
		c = append(c, hostile{method: "DELETE", target: p + "/webhooks/%00"},
			hostile{method: "DELETE", target: p + "/webhooks/" + strings.Repeat("w", 3000)},
			hostile{method: "POST", target: p + "/devices"},
			hostile{method: "DELETE", target: p + "/messages/%00"}, hostile{method: "DELETE", target: p + "/message/" + strings.Repeat("d", 3000)},
			hostile{method: "GET", target: p + "/device?x=%ff"})
	}
	get("/v1/modems?limit=x", "/v1/modems?"+strings.Repeat("a=b&", 2000))

	// Keyword rules and conversations.
	get("/v1/rules?x=%00", "/v1/rules/%00", "/v1/rules/cfg-", "/v1/rules/"+strings.Repeat("9", 40), "/v1/rules/-1",
		"/v1/conversations?limit=0", "/v1/conversations?cursor=%ff.%00", "/v1/conversations?cursor=9999999999999999999999.x",
		"/v1/conversations/%00", "/v1/conversations/"+strings.Repeat("1", 3000), "/v1/conversations/"+num+"?cursor=1.2.x")
	rule := func(match, actions string) string { return `{"match":` + match + `,"actions":` + actions + `}` }
	tag := `[{"type":"tag","tag":"t"}]`
	jsonPost("/v1/rules", broken[:12]...)
	jsonPost("/v1/rules", rule(`{"type":"regex","value":"(a"}`, tag), rule(`{"type":"regex","value":"a{99999}"}`, tag),
		rule(`{"type":"first_word","value":""}`, tag), rule(`{"type":5}`, tag), rule(`{"type":"any"}`, `{}`),
		rule(`{"type":"any"}`, `[]`), rule(`{"type":"any"}`, `[{"type":"reply","text":"{{nope}}"}]`),
		rule(`{"type":"any"}`, `[{"type":"exec","argv":[""]}]`), rule(`{"type":"any"}`, `[{"type":"webhook","url":"javascript:x"}]`),
		rule(`{"type":"any"}`, `[{"type":"forward","to":"../../etc"}]`), rule(`{"type":"any"}`, `[{"type":"group_remove","group":"x"}]`),
		rule(`{"type":"text","value":"`+strings.Repeat("v", 2000)+`"}`, tag), `{"match":{"type":"any"},"actions":`+tag+`,"then":"later"}`,
		`{"match":{"type":"any"},"actions":`+tag+`,"position":-5}`, `{"match":{"type":"any"},"actions":`+tag+`,"id":"1"}`)
	jsonPost("/v1/rules/test", `{}`, `{"from":"","text":"x"}`, `{"from":5,"text":"x"}`, `{"from":"+4915112345678","text":null}`,
		`{"from":"`+strings.Repeat("1", 5000)+`","text":"`+strings.Repeat("x", 5000)+`"}`)
	jsonPost("/v1/conversations/"+num, `{}`, `{"text":5}`, `{"text":""}`, `{"text":"x","encoding":"ebcdic"}`)
	jsonPost("/v1/conversations/abc", `{"text":"x"}`)
	c = append(c, hostile{method: "PUT", target: "/v1/rules/1", body: []byte(`{"match":{"type":"any"},"actions":[]}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/rules/cfg-1", body: []byte(rule(`{"type":"any"}`, tag)), ct: "application/json"},
		hostile{method: "DELETE", target: "/v1/rules/%00"}, hostile{method: "DELETE", target: "/v1/rules/99999999999999999999"})

	// Opt-outs and the consent ledger.
	get("/v1/optouts?limit=0", "/v1/optouts?limit=x", "/v1/optouts?cursor=%00", "/v1/consent?number=abc", "/v1/consent?since=x",
		"/v1/consent?until=%00", "/v1/consent?format=xml", "/v1/consent?cursor=-1", "/v1/consent?cursor=x&format=csv",
		"/v1/consent?limit=99999999999999999999", "/v1/consent?number="+strings.Repeat("1", 3000))
	jsonPost("/v1/optouts", broken[:12]...)
	jsonPost("/v1/optouts", `{}`, `{"number":5}`, `{"number":"abc"}`, `{"number":"`+num+`","action":"opt_in"}`,
		`{"number":"`+num+`","evidence":{"a":5}}`, `{"number":"`+num+`","evidence":`+deep("{\"a\":", "}", 3000)+`}`,
		`{"number":"`+num+`","disclosure":"`+strings.Repeat("d", 5000)+`"}`, `{"number":"`+num+`","source":"sms"}`)
	jsonPost("/v1/consent", broken[:12]...)
	jsonPost("/v1/consent", `{}`, `{"number":"`+num+`"}`, `{"number":"`+num+`","action":"help"}`, `{"number":"`+num+`","action":"maybe"}`,
		`{"number":"`+num+`","action":"opt_out","double_opt_in":true}`, `{"number":"+1","action":"opt_in","double_opt_in":true}`,
		`{"number":"`+num+`","action":"opt_in","evidence":[]}`, `{"number":"`+num+`","action":"opt_in","x":1}`)
	c = append(c, hostile{method: "DELETE", target: "/v1/optouts/%00"}, hostile{method: "DELETE", target: "/v1/optouts/abc"},
		hostile{method: "DELETE", target: "/v1/optouts/" + strings.Repeat("9", 3000)}, hostile{method: "DELETE", target: "/v1/optouts/" + num})
	// Contacts and groups.
	get("/v1/contacts?limit=0", "/v1/contacts?cursor=x", "/v1/contacts?cursor=01", "/v1/contacts?field=a%20b", "/v1/contacts?field==x",
		"/v1/contacts?number=abc", "/v1/contacts?group=nope", "/v1/contacts?name=%00", "/v1/contacts?name="+strings.Repeat("n", 500),
		"/v1/contacts/%00", "/v1/contacts/0", "/v1/contacts/"+strings.Repeat("9", 40), "/v1/contacts/export?group=nope",
		"/v1/contacts/export?field=%ff", "/v1/groups?x=%00", "/v1/groups/%00", "/v1/groups/"+strings.Repeat("g", 3000))
	jsonPost("/v1/contacts", broken[:12]...)
	jsonPost("/v1/contacts", `{}`, `{"number":5}`, `{"number":"abc"}`, `{"number":"112"}`, `{"number":"`+num+`","fields":{"a b":"x"}}`,
		`{"number":"`+num+`","fields":{"k":5}}`, `{"number":"`+num+`","time_zone":"Local"}`, `{"number":"`+num+`","time_zone":"../../etc/passwd"}`,
		`{"number":"`+num+`","groups":[""]}`, `{"number":"`+num+`","name":"`+strings.Repeat("x", 300)+`"}`, `{"number":"`+num+`","id":"1"}`)
	jsonPost("/v1/groups", broken[:12]...)
	jsonPost("/v1/groups", `{}`, `{"name":""}`, `{"name":5}`, `{"name":"a\u0000b"}`, `{"name":"`+strings.Repeat("g", 300)+`"}`)
	csvBody := func(target, body string) {
		c = append(c, hostile{method: "POST", target: target, body: []byte(body), ct: "text/csv"})
	}
	// Campaigns.
	get("/v1/campaigns?state=x", "/v1/campaigns?cursor=x", "/v1/campaigns?limit=0", "/v1/campaigns?x=1", "/v1/campaigns/%00",
		"/v1/campaigns/0", "/v1/campaigns/"+strings.Repeat("9", 40), "/v1/campaigns/1/recipients?format=xml",
		"/v1/campaigns/1/recipients?cursor=-1", "/v1/campaigns/abc/recipients?format=csv", "/v1/campaigns/1/recipients?limit=0")
	c = append(c, hostile{method: "PUT", target: "/v1/campaigns/1/budget", body: []byte(`{"budget":-1}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/campaigns/1/budget", body: []byte(`{"budget":"1e9"}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/campaigns/%00/budget", body: []byte(`{"budget":"1"}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/campaigns/1/budget", body: []byte(`[]`), ct: "application/json"})
	jsonPost("/v1/campaigns", broken[:12]...)
	jsonPost("/v1/campaigns", `{}`, `{"name":"x"}`, `{"name":"x","template":"hi"}`, `{"name":"x","template":"hi {{","audience":{"numbers":["1"]}}`,
		`{"name":"x","template":"hi","audience":{"groups":["nope"]}}`, `{"name":"x","template":"hi","audience":{"contacts":["%00"]}}`,
		`{"name":"x","template":"hi","audience":{"csv":"name
x
"}}`, `{"name":"x","template":"hi","audience":{"numbers":["1"]},"rate":-1}`,
		`{"name":"x","template":"hi","audience":{"numbers":["1"]},"window":{"from":"9","to":"x"}}`,
		`{"name":"x","template":"hi","audience":{"numbers":["1"]},"repeat":"hourly"}`,
		`{"name":"x","template":"hi","audience":{"numbers":["1"]},"send_at":"yesterday"}`,
		`{"name":"x","template":"hi","audience":{"numbers":["1"]},"category":"spam"}`,
		`{"name":"`+strings.Repeat("n", 300)+`","template":"hi","audience":{"numbers":["1"]}}`)
	for _, a := range []string{"quote", "launch", "pause", "resume", "cancel", "clone"} {
		c = append(c, hostile{method: "POST", target: "/v1/campaigns/%00/" + a}, hostile{method: "POST", target: "/v1/campaigns/0/" + a},
			hostile{method: "POST", target: "/v1/campaigns/" + strings.Repeat("9", 40) + "/" + a})
	}
	csvBody("/v1/contacts/import", "")
	csvBody("/v1/contacts/import", "name\nx\n")
	csvBody("/v1/contacts/import", "number,number\n1,2\n")
	csvBody("/v1/contacts/import", "number,bad key\n1,2\n")
	csvBody("/v1/contacts/import", "\"number\n\"x")
	csvBody("/v1/contacts/import?group=%00", "number\n"+num+"\n")
	csvBody("/v1/contacts/import", "number\n\xff\xfe\n\"a\"b\n,,,,\n")
	c = append(c, hostile{method: "POST", target: "/v1/contacts/import", body: []byte("number\n" + num), ct: "application/json"},
		hostile{method: "PATCH", target: "/v1/contacts/1", body: []byte(`{"fields":{"a b":"x"}}`), ct: "application/json"},
		hostile{method: "PATCH", target: "/v1/contacts/abc", body: []byte(`{}`), ct: "application/json"},
		hostile{method: "PATCH", target: "/v1/groups/abc", body: []byte(`{"name":""}`), ct: "application/json"},
		hostile{method: "PATCH", target: "/v1/groups/1", body: []byte(`[]`), ct: "application/json"},
		hostile{method: "DELETE", target: "/v1/contacts/%00"}, hostile{method: "DELETE", target: "/v1/contacts/99999999999999999999"},
		hostile{method: "DELETE", target: "/v1/groups/%00"}, hostile{method: "DELETE", target: "/v1/groups/nope"})

	// Prices and quotes.
	get("/v1/prices?format=xml", "/v1/prices?format=%00", "/v1/spend?by=week", "/v1/spend?by=%00", "/v1/spend?since=x",
		"/v1/spend?until=-1", "/v1/spend?since=99999999999999999999")
	c = append(c, hostile{method: "PUT", target: "/v1/prices", body: []byte(`{"prices":[{"prefix":"x","price_per_part":"1","currency":"EUR"}]}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte(`{"prices":[{"prefix":"1","price_per_part":1e400,"currency":"EUR"}]}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte(`{"prices":[{"prefix":"1","price_per_part":"0.0000001","currency":"EUR"}]}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte(`{"prices":[{"prefix":"1","price_per_part":"1","currency":"EUR"},{"prefix":"1","price_per_part":"1","currency":"EUR"}]}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte(`{}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte("prefix,price\n1,2\n"), ct: "text/csv"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte("prefix,price_per_part,currency\n1,x,EUR\n"), ct: "text/csv"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte("prefix,price_per_part,currency\n\"1,2\n"), ct: "text/csv"},
		hostile{method: "PUT", target: "/v1/prices", body: []byte("prefix,price_per_part,currency\n1,1,EUR"), ct: "text/plain"})
	get("/v1/tariffs?x=%00", "/v1/tariffs/%00", "/v1/tariffs/"+strings.Repeat("m", 300))
	c = append(c, hostile{method: "PUT", target: "/v1/tariffs/m1", body: []byte(`{"free_parts_per_month":-1}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/tariffs/m1", body: []byte(`{"budget_day":1e400}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/tariffs/m1", body: []byte(`{"prices":[{"prefix":"x","price_per_part":"1","currency":"EUR"}]}`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/tariffs/m1", body: []byte(`[]`), ct: "application/json"},
		hostile{method: "PUT", target: "/v1/tariffs/m1", body: []byte("x"), ct: "text/plain"},
		hostile{method: "PUT", target: "/v1/tariffs/" + strings.Repeat("m", 300), body: []byte(`{}`), ct: "application/json"},
		hostile{method: "DELETE", target: "/v1/tariffs/%00"}, hostile{method: "DELETE", target: "/v1/tariffs/nope"})
	jsonPost("/v1/quote", broken[:12]...)
	jsonPost("/v1/quote", `{}`, `{"text":"x"}`, `{"to":"`+num+`"}`, `{"to":"`+num+`","text":"{{"}`, `{"to":"`+num+`","text":"{{fields.}}"}`,
		`{"to":"`+num+`","text":"x","data":"AAEC"}`, `{"to":"`+num+`","text":"x","encoding":"ebcdic"}`, `{"to":"`+num+`","text":"x","category":"spam"}`,
		`{"groups":["nope"],"text":"x"}`, `{"contacts":["%00"],"text":"x"}`, `{"to":"`+num+`","text":"\ud800"}`, `{"to":"`+num+`","text":"`+strings.Repeat("{{name}}", 2000)+`"}`)

	// Kannel sendsms: every parameter wrong once, GET and POST.
	k := "/cgi-bin/sendsms?to=%2B4915112345678&text=hi&"
	for _, q := range []string{"to=", "to=%20%20", "to=abc&text=hi", "to=%2B4915112345678", "to=%2B4915112345678&text=",
		k + "udh=%06%05%04", k + "coding=1&pid=x", k + "coding=9", k + "coding=-1", k + "charset=EBCDIC", k + "charset=%00",
		"to=%2B4915112345678&text=%FF%FE&charset=UTF-8", "to=%2B4915112345678&text=%00%00%00&charset=UTF-16",
		k + "mclass=7", k + "mclass=x", k + "deferred=-1", k + "deferred=99999999999", k + "validity=0", k + "validity=x",
		k + "priority=9", k + "dlr-mask=abc", k + "dlr-mask=99999", k + "dlr-url=http%3A%2F%2Fx%2Fy", k + "dlr-mask=1&dlr-url=ftp%3A%2F%2Fx",
		k + "smsc=%00", "to=" + strings.Repeat("4915112345678+", 1001) + "&text=hi", k + "%zz=%zz", "to=%2B4915112345678&text=" + strings.Repeat("x", 5001)} {
		c = append(c, hostile{method: "GET", target: "/cgi-bin/sendsms?" + strings.TrimPrefix(q, "/cgi-bin/sendsms?")})
	}
	form := func(body, ct string, hdr ...string) {
		c = append(c, hostile{method: "POST", target: "/cgi-bin/sendsms", body: []byte(body), ct: ct, hdr: hdr})
	}
	form("to=%2B4915112345678&text=%zz", "application/x-www-form-urlencoded")
	form("to=&text=hi", "application/x-www-form-urlencoded")
	form("--x\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n", "multipart/form-data")
	form("garbage", "multipart/form-data; boundary=")
	form("\xff\xfe\x00", "text/plain", "X-Kannel-To: "+num)
	form("hi", "text/plain", "X-Kannel-To: "+num, "X-Kannel-Coding: 7")
	form("hi", "text/plain", "X-Kannel-To: "+num, "X-Kannel-Charset: klingon")
	form("hi", "text/plain")
	form(huge, "text/plain", "X-Kannel-To: "+num)
	form("to="+huge, "application/x-www-form-urlencoded")
	return c
}

// TestHostileCorpus sends every request of the corpus to a real server and
// holds the answers to the promise: never a 5xx, never a hang (each
// request has a deadline), never a panic, and every error says what is
// wrong with a code and a sentence in its API's own shape.
func TestHostileCorpus(t *testing.T) {
	total := 0
	for _, tokens := range [][]httpd.Token{nil, {{Secret: "s3cret", Scope: api.ScopeFull}}} {
		total += runHostile(t, tokens)
	}
	t.Logf("hostile corpus: %d requests in all", total)
}

// runHostile runs the corpus against a handler with these tokens (none: the
// open loopback default; with tokens, the requests carry none, so that the
// refusals are checked on every route too) and returns its size.
func runHostile(t *testing.T, tokens []httpd.Token) int {
	var logBuf syncBuffer
	e := httpdtest.New(t, httpd.Options{Tokens: tokens, API: api.Options{Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}})
	srv := httptest.NewUnstartedServer(e.Handler)
	srv.Config.ErrorLog = log.New(&logBuf, "", 0)
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	corpus := hostileCorpus()
	if len(corpus) < 200 {
		t.Fatalf("the corpus has %d requests; it must have at least 200", len(corpus))
	}
	// Every route gets its share, those added later included.
	for _, ri := range e.Stack.Routes() {
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(ri.Path), "[^/]+") + "$")
		n := 0
		for _, h := range corpus {
			path, _, _ := strings.Cut(h.target, "?")
			if h.method == ri.Method && re.MatchString(path) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no hostile request for %s %s", ri.Method, ri.Path)
		}
	}
	counts := map[int]int{}
	for _, h := range corpus {
		code, hdr, body, err := sendRaw(addr, h, 20*time.Second)
		if err != nil {
			t.Errorf("%v: %v", h, err)
			continue
		}
		counts[code]++
		if code >= 500 {
			t.Errorf("%v: %d %s", h, code, body)
			continue
		}
		if code < 400 || h.method == "HEAD" || h.protocol {
			continue
		}
		if msg := checkErrorBody(h, hdr, body); msg != "" {
			t.Errorf("%v: %d: %s: %s", h, code, msg, body)
		}
	}
	if strings.Contains(logBuf.String(), "panic") {
		t.Errorf("a request panicked:\n%s", logBuf.String())
	}
	// The server still works after all that.
	r := e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"still here"}`)
	e.Want(r, 202)
	t.Logf("hostile corpus, %d tokens: %d requests, answers by status: %v", len(tokens), len(corpus), counts)
	return len(corpus)
}

// checkErrorBody returns what is wrong with an error answer, or "".
func checkErrorBody(h hostile, hdr http.Header, body []byte) string {
	ct := hdr.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") {
		var b struct {
			Error *api.Error `json:"error"`
			// SMSGate's own fields beside ours.
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return "not JSON: " + err.Error()
		}
		if b.Error == nil || b.Error.Code == "" || strings.TrimSpace(b.Error.Message) == "" {
			return "no error code and message"
		}
		if len(strings.Fields(b.Error.Message)) < 3 {
			return "the message is not a sentence"
		}
		if b.Message != nil && *b.Message == "" {
			return "empty SMSGate message"
		}
		return ""
	}
	// Kannel answers in plain text, as Kannel does.
	if strings.HasPrefix(h.target, "/cgi-bin/sendsms") && strings.HasPrefix(ct, "text/plain") && len(bytes.TrimSpace(body)) > 3 {
		return ""
	}
	return "neither a JSON error nor a Kannel answer (Content-Type " + ct + ")"
}

// sendRaw writes h on a fresh connection and reads the answer within
// limit; an event stream is closed once its headers are in.
func sendRaw(addr string, h hostile, limit time.Duration) (int, http.Header, []byte, error) {
	conn, err := net.DialTimeout("tcp", addr, limit)
	if err != nil {
		return 0, nil, nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(limit)); err != nil {
		return 0, nil, nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: hostile-test\r\n", h.method, h.target, addr)
	if h.ct != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", h.ct)
	}
	if h.body != nil || h.method == "POST" || h.method == "PUT" || h.method == "PATCH" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(h.body))
	}
	for _, l := range h.hdr {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(h.body)
	// Write while reading: the server may answer (413) before it has read
	// a huge body.
	werr := make(chan error, 1)
	go func() {
		_, err := conn.Write(b.Bytes())
		werr <- err
	}()
	req, _ := http.NewRequest(h.method, "http://"+addr+"/", nil)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	for err == nil && resp.StatusCode == http.StatusContinue {
		resp, err = http.ReadResponse(br, req) // the final answer follows
	}
	if err != nil {
		if we := <-werr; we != nil {
			return 0, nil, nil, fmt.Errorf("write: %v; read: %w", we, err)
		}
		return 0, nil, nil, fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	if h.stream && resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		conn.Close() // before the body's Close, which would read to the end
		return resp.StatusCode, resp.Header, nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the body of a %d: %w", resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// syncBuffer is a bytes.Buffer for loggers on several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
