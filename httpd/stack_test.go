package httpd_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// TestCallbackTargetsRefused: a send-scope client cannot make the daemon
// call loopback, link-local or private addresses, neither through Kannel's
// dlr-url nor through reserved metadata in v1, nor by registering a webhook.
func TestCallbackTargetsRefused(t *testing.T) {
	e := httpdtest.New(t, httpd.Options{Tokens: []httpd.Token{{Secret: "full", Scope: api.ScopeFull}, {Secret: "snd", Scope: api.ScopeSend}, {Secret: "rd", Scope: api.ScopeRead}}})
	for _, target := range []string{"http://127.0.0.1:8787/v1/messages", "http://169.254.169.254/latest/meta-data/", "http://localhost/", "http://10.0.0.1/", "http://[::1]/"} {
		r := e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=3&dlr-url="+url.QueryEscape(target), nil, "Authorization", "Bearer snd")
		e.Want(r, http.StatusBadRequest)
		if !strings.Contains(string(r.Body), "not allowed") {
			t.Fatalf("%s: %s", target, r.Body)
		}
	}
	// v1 clients may not set the gateway's own metadata keys.
	for _, k := range []string{"kannel.dlr-url", "Kannel.DLR-Mask", "kannel.from"} {
		r := e.Do("POST", "/v1/messages", map[string]any{"to": "+4915112345678", "text": "x", "metadata": map[string]string{k: "http://127.0.0.1/"}}, "Authorization", "Bearer snd")
		e.Want(r, http.StatusUnprocessableEntity)
		if code, field := r.ErrCode(t); code != api.CodeReservedMetadata || field != "metadata."+k {
			t.Fatalf("%s: %s %s", k, code, field)
		}
	}
	if page, _ := e.Store.Messages(t.Context(), api.MessageFilter{}); len(page.Messages) != 0 {
		t.Fatalf("%d messages queued", len(page.Messages))
	}
	// Registering a webhook needs the full scope, and a public target.
	hook := `{"url":"https://example.org/hook?token=s3cret","event":"sms:received"}`
	e.Want(e.Do("POST", "/webhooks", hook, "Authorization", "Bearer snd"), http.StatusForbidden)
	e.Want(e.Do("POST", "/webhooks", hook, "Authorization", "Bearer rd"), http.StatusForbidden)
	r := e.Do("POST", "/webhooks", `{"url":"http://192.168.1.1/admin","event":"sms:received"}`, "Authorization", "Bearer full")
	e.Want(r, http.StatusUnprocessableEntity)
	if code, _ := r.ErrCode(t); code != api.CodeCallbackNotAllowed {
		t.Fatalf("%s", r.Body)
	}
	e.Want(e.Do("POST", "/webhooks", hook, "Authorization", "Bearer full"), http.StatusCreated)
	// A read-only token sees the webhook without its secret query.
	r = e.Do("GET", "/webhooks", nil, "Authorization", "Bearer rd")
	e.Want(r, http.StatusOK)
	if strings.Contains(string(r.Body), "s3cret") || !strings.Contains(string(r.Body), "https://example.org/hook?...") {
		t.Fatalf("read-only webhook list: %s", r.Body)
	}
	r = e.Do("GET", "/webhooks", nil, "Authorization", "Bearer full")
	if !strings.Contains(string(r.Body), "s3cret") {
		t.Fatalf("full webhook list: %s", r.Body)
	}
	// Likewise a dlr-url with credentials, in every message read route.
	dlr := "https://user:pw@example.org/dlr?key=s3cret&type=%d"
	e.Want(e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=x&dlr-mask=3&dlr-url="+url.QueryEscape(dlr), nil, "Authorization", "Bearer snd"), http.StatusAccepted)
	page, _ := e.Store.Messages(t.Context(), api.MessageFilter{Limit: 1})
	id := page.Messages[0].ID
	for _, path := range []string{"/v1/messages/" + id, "/v1/messages", "/messages/" + id} {
		r = e.Do("GET", path, nil, "Authorization", "Bearer rd")
		e.Want(r, http.StatusOK)
		if strings.Contains(string(r.Body), "s3cret") || strings.Contains(string(r.Body), "pw@") {
			t.Fatalf("read-only %s: %s", path, r.Body)
		}
	}
	r = e.Do("GET", "/v1/messages/"+id, nil, "Authorization", "Bearer full")
	if !strings.Contains(string(r.Body), "s3cret") {
		t.Fatalf("full token: %s", r.Body)
	}
}

// TestOpenAPIMatchesRouter: every route the router serves is in the
// document with the same method, and the document has nothing else.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, api.Options{})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := e.Do("GET", "/openapi.json", nil)
	e.Want(r, 200)
	r.JSON(t, &doc)
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
	err := e.Handler.(*httpd.Front).Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
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

// TestOpenAPIRefsAndParams: every $ref resolves inside the document and
// every {param} of a path is declared as a path parameter.
func TestOpenAPIRefsAndParams(t *testing.T) {
	e := newEnv(t, api.Options{})
	r := e.Do("GET", "/openapi.json", nil)
	e.Want(r, 200)
	var doc map[string]any
	r.JSON(t, &doc)
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

func TestAuth(t *testing.T) {
	var logs bytes.Buffer
	e := httpdtest.New(t, httpd.Options{
		Tokens: []httpd.Token{{Secret: "full-secret", Scope: api.ScopeFull}, {Secret: "send-secret", Scope: api.ScopeSend}, {Secret: "read-secret", Scope: api.ScopeRead}},
		API:    api.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))},
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
			r := e.Do(c.method, c.path, body, c.auth...)
			e.Want(r, c.status)
			if c.status == 401 && r.Header.Get("WWW-Authenticate") == "" {
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
		r := e.Do("GET", "/cgi-bin/sendsms?to=%2B4915112345678&text=hi&"+c.q, nil, "Authorization", "")
		e.Want(r, c.status)
		if c.status == 403 && !strings.Contains(string(r.Body), "Authorization failed") && !strings.Contains(string(r.Body), "scope") {
			t.Fatalf("%s: %s", c.q, r.Body)
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
