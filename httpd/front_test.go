package httpd

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestFrontAsRouter: Front takes a send itself, and answers every request
// on and near its path as the Router does: the same status, headers
// (Date aside) and body, ids aside, for sends good and bad, other methods,
// other spellings of the path and queries.
func TestFrontAsRouter(t *testing.T) {
	st := queueStack(t)
	f, r := Handler(st), Router(st)
	if f.send == nil {
		t.Fatal("Front does not take POST /v1/messages itself")
	}
	ids := regexp.MustCompile(`q?[0-9]+(-[0-9]+)?`)
	n := 0
	for _, c := range []struct{ method, target, body, ct string }{
		{"POST", "/v1/messages", `{"to":"+4915112345%03d","text":"hi"}`, "application/json"},
		{"POST", "/v1/messages?x=1", `{"to":["+4915112345%03d","+4915112346%03d"],"text":"hi"}`, "application/json"},
		{"POST", "/v1/messages", `{"to":"+4915112345%03d"}`, "application/json"},
		{"POST", "/v1/messages", `{"to":"+4915112345%03d","text":"hi"}`, "text/plain"},
		{"POST", "/v1/messages", `{"to":"+4915112345%03d","text":"hi"`, "application/json"},
		{"POST", "/v1/messages/", `{"to":"+4915112345%03d","text":"hi"}`, "application/json"},
		{"POST", "/v1//messages", `{"to":"+4915112345%03d","text":"hi"}`, "application/json"},
		{"POST", "/V1/messages", `{"to":"+4915112345%03d","text":"hi"}`, "application/json"},
		{"GET", "/v1/messages", ``, ""},
		{"PUT", "/v1/messages", `{}`, "application/json"},
		{"PATCH", "/v1/messages", `{}`, "application/json"},
	} {
		var answers [2]*httptest.ResponseRecorder
		for i, h := range []http.Handler{f, r} {
			n++
			body := strings.ReplaceAll(c.body, "%03d", fmt.Sprintf("%03d", n))
			req := httptest.NewRequest(c.method, c.target, strings.NewReader(body))
			req.Host = "localhost"
			if c.ct != "" {
				req.Header.Set("Content-Type", c.ct)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			w.Header().Del("Date")
			answers[i] = w
		}
		got, want := answers[0], answers[1]
		gb, wb := ids.ReplaceAllString(got.Body.String(), "N"), ids.ReplaceAllString(want.Body.String(), "N")
		gh, wh := fmt.Sprint(got.Header()), fmt.Sprint(want.Header())
		gh, wh = ids.ReplaceAllString(gh, "N"), ids.ReplaceAllString(wh, "N")
		if got.Code != want.Code || gb != wb || gh != wh {
			t.Errorf("%s %s %s: Front %d %s %s, Router %d %s %s", c.method, c.target, c.body, got.Code, gh, gb, want.Code, wh, wb)
		}
	}
}
