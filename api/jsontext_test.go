package api_test

import (
	"net/http"
	"strings"
	"testing"

	"smsgw/api"
)

// TestJSONTextRefused: invalid UTF-8, lone surrogates and NUL in a JSON
// string are a 400 naming the field, on every JSON route, instead of being
// turned into U+FFFD or passed on; correct text, surrogate pairs included,
// goes through.
func TestJSONTextRefused(t *testing.T) {
	e := newEnv(t, api.Options{})
	for _, c := range []struct {
		name, body, field, says string
	}{
		{"invalid UTF-8", "{\"to\":\"+4915112345678\",\"text\":\"caf\xe9\"}", "text", "byte 0xe9 is not UTF-8"},
		{"truncated UTF-8", "{\"to\":\"+4915112345678\",\"text\":\"\xf0\x9f\x98\"}", "text", "not UTF-8"},
		{"lone high surrogate", `{"to":"+4915112345678","text":"a\ud83d b"}`, "text", `\ud83d is half of a UTF-16 surrogate pair`},
		{"high then not low", `{"to":"+4915112345678","text":"\ud83d\u0041"}`, "text", "without its second half"},
		{"lone low surrogate", `{"to":"+4915112345678","text":"\ude00"}`, "text", "without its first half"},
		{"NUL escape", `{"to":"+4915112345678","text":"a\u0000b"}`, "text", "NUL"},
		{"in a list", `{"to":["+4915112345678","+49151\u0000"],"text":"x"}`, "to[1]", "NUL"},
		{"in metadata", `{"to":"+4915112345678","text":"x","metadata":{"k":"\udfff"}}`, "metadata.k", "surrogate"},
		{"in a key", "{\"to\":\"+4915112345678\",\"text\":\"x\",\"metadata\":{\"k\xff\":\"v\"}}", "metadata.k\ufffd", "in a key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do("POST", "/v1/messages", c.body)
			e.Want(r, http.StatusBadRequest)
			code, field := r.ErrCode(t)
			if code != "invalid_field" || field != c.field || !strings.Contains(string(r.Body), c.says) {
				t.Fatalf("code %q field %q: %s", code, field, r.Body)
			}
		})
	}
	// The SMSGate-compatible route decodes the same way.
	r := e.Do("POST", "/message", `{"phoneNumbers":["+4915112345678"],"message":"x\ud800"}`)
	e.Want(r, http.StatusBadRequest)
	if _, field := r.ErrCode(t); field != "message" {
		t.Fatalf("field %q: %s", field, r.Body)
	}
	for _, ok := range []string{
		`{"to":"+4915112345678","text":"smile \ud83d\ude00 caf\u00e9"}`,
		"{\"to\":\"+4915112345678\",\"text\":\"café 😀 \\\\u0000 \\\" end\"}",
	} {
		e.Want(e.Do("POST", "/v1/messages", ok), http.StatusAccepted)
	}
}

// TestListRoutesRefuseUnknownParameters: a parameter the route does not
// take, and a cursor that is not one, are a 400 naming them.
func TestListRoutesRefuseUnknownParameters(t *testing.T) {
	e := newEnv(t, api.Options{})
	for _, c := range []struct{ path, field, says string }{
		{"/v1/messages?status=queued", "status", "did you mean state?"},
		{"/v1/messages?state=queued&tag=x", "tag", `unknown query parameter \"tag\"`},
		{"/v1/inbox?sender=%2B49151", "sender", "this route takes from, modem, since, until, limit, cursor"},
		{"/v1/conversations?page=2", "page", `unknown query parameter \"page\"`},
		{"/v1/messages?cursor=abc", "cursor", "cursor"},
		{"/v1/messages?cursor=-5", "cursor", "cursor"},
		{"/v1/inbox?cursor=zz", "cursor", "cursor"},
		{"/v1/conversations?cursor=%00garbage", "cursor", "cursor"},
	} {
		r := e.Do("GET", c.path, nil)
		if r.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d: %s", c.path, r.Code, r.Body)
			continue
		}
		if _, field := r.ErrCode(t); field != c.field || !strings.Contains(string(r.Body), c.says) {
			t.Errorf("%s: field %q: %s", c.path, field, r.Body)
		}
	}
	for _, ok := range []string{"/v1/messages?state=queued&limit=5", "/v1/inbox?since=2026-01-02T15:04:05Z&from=%2B4915112345678", "/v1/conversations?limit=3"} {
		if r := e.Do("GET", ok, nil); r.Code != http.StatusOK {
			t.Errorf("%s: %d %s", ok, r.Code, r.Body)
		}
	}
}
