package api

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, Options{
		Tokens: []Token{{Secret: "full-secret", Scope: ScopeFull}, {Secret: "send-secret", Scope: ScopeSend}, {Secret: "read-secret", Scope: ScopeRead}},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	send := `{"to":"+4915112345678","text":"x"}`
	cases := []struct {
		name, method, path, body string
		auth                     []string
		status                   int
	}{
		{"no token", "GET", "/v1/messages", "", []string{"Authorization", ""}, 401},
		{"wrong token", "GET", "/v1/messages", "", []string{"Authorization", "Bearer nope"}, 401},
		{"prefix of a token", "GET", "/v1/messages", "", []string{"Authorization", "Bearer full-secre"}, 401},
		{"full reads", "GET", "/v1/messages", "", []string{"Authorization", "Bearer full-secret"}, 200},
		{"scheme in lower case", "GET", "/v1/messages", "", []string{"Authorization", "bearer full-secret"}, 200},
		{"empty bearer", "GET", "/v1/messages", "", []string{"Authorization", "Bearer "}, 401},
		{"full sends", "POST", "/v1/messages", send, []string{"Authorization", "Bearer full-secret"}, 202},
		{"send-only sends", "POST", "/v1/messages", send, []string{"Authorization", "Bearer send-secret"}, 202},
		{"send-only cannot read", "GET", "/v1/messages", "", []string{"Authorization", "Bearer send-secret"}, 403},
		{"send-only cannot cancel", "DELETE", "/v1/messages/1", "", []string{"Authorization", "Bearer send-secret"}, 403},
		{"read-only reads", "GET", "/v1/modems", "", []string{"Authorization", "Bearer read-secret"}, 200},
		{"read-only cannot send", "POST", "/v1/messages", send, []string{"Authorization", "Bearer read-secret"}, 403},
		{"read-only cannot ussd", "POST", "/v1/modems/m1/ussd", `{"code":"*100#"}`, []string{"Authorization", "Bearer read-secret"}, 403},
		{"read-only metrics", "GET", "/metrics", "", []string{"Authorization", "Bearer read-secret"}, 200},
		{"metrics need a token", "GET", "/metrics", "", []string{"Authorization", ""}, 401},
		{"basic password", "GET", "/v1/messages", "", []string{"Authorization", basic("anyone", "read-secret")}, 200},
		{"basic wrong", "GET", "/v1/messages", "", []string{"Authorization", basic("read-secret", "x")}, 401},
		{"healthz open", "GET", "/healthz", "", []string{"Authorization", ""}, 200},
		{"readyz open", "GET", "/readyz", "", []string{"Authorization", ""}, 200},
		{"openapi open", "GET", "/openapi.json", "", []string{"Authorization", ""}, 200},
		{"asg health open", "GET", "/health", "", []string{"Authorization", ""}, 200},
		{"asg needs auth", "GET", "/devices", "", []string{"Authorization", ""}, 401},
		{"asg basic", "GET", "/3rdparty/v1/devices", "", []string{"Authorization", basic("sms", "full-secret")}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := e.do(c.method, c.path, body, c.auth...)
			e.want(r, c.status)
			if c.status == 401 && r.hdr.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	// Kannel: the token as password (or username), Kannel's 403 text otherwise.
	for _, c := range []struct {
		q      string
		status int
	}{
		{"username=u&password=send-secret", 202},
		{"user=send-secret", 202},
		{"username=u&password=bad", 403},
		{"", 403},
		{"username=u&password=read-secret", 403},
	} {
		r := e.do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=hi&"+c.q, nil, "Authorization", "")
		e.want(r, c.status)
		if c.status == 403 && !strings.Contains(string(r.body), "Authorization failed") && !strings.Contains(string(r.body), "scope") {
			t.Fatalf("%s: %s", c.q, r.body)
		}
	}
	for _, secret := range []string{"full-secret", "send-secret", "read-secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("a token reached the log: %s", logs.String())
		}
	}
}

func basic(u, p string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(u, p)
	return r.Header.Get("Authorization")
}

func TestParseTokens(t *testing.T) {
	got, err := ParseTokens([]string{"abc", "send:def", "read:ghi"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Token{{"abc", ScopeFull}, {"def", ScopeSend}, {"ghi", ScopeRead}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%d: %+v", i, got[i])
		}
	}
	if _, err := ParseTokens([]string{"send:"}); err == nil {
		t.Fatal("empty secret accepted")
	}
	if s := (Token{Secret: "topsecret"}).String(); strings.Contains(s, "topsecret") {
		t.Fatal("String shows the secret")
	}
}
