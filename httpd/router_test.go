package httpd

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"smsgw/api"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// The router the HTTP layer builds from the API's route table answers
// every route, an unknown path and a wrong method exactly as the API
// handler does on its own: same status, same headers that matter, same
// body.
func TestRouterAnswersAsTheAPI(t *testing.T) {
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(t.Context())
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st, err := NewStack(Options{API: api.Options{Version: "test", Now: func() time.Time { return at }},
		Backend: api.Backend{Store: api.NewQueueStore(q)}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(t.Context())
	h := st.API
	r := Router(st, false)

	param := regexp.MustCompile(`\{[a-z]+\}`)
	type req struct{ method, target string }
	var reqs []req
	for _, rt := range h.Routes() {
		switch {
		case rt.Path == "/v1/events", strings.HasPrefix(rt.Path, "/debug/pprof/"):
			// A stream, and profiles that take seconds: their mounting is
			// what matters, checked below without serving them.
			continue
		}
		reqs = append(reqs, req{rt.Method, param.ReplaceAllString(rt.Path, "missing")})
	}
	if len(reqs) < 12 {
		t.Fatalf("only %d routes to try", len(reqs))
	}
	reqs = append(reqs, req{"GET", "/no/such/route"}, req{"PUT", "/v1/messages"}, req{"PATCH", "/healthz"})

	for _, rq := range reqs {
		do := func(hd http.Handler) *httptest.ResponseRecorder {
			in := httptest.NewRequest(rq.method, rq.target, strings.NewReader("{}"))
			in.Host = "localhost"
			in.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			hd.ServeHTTP(w, in)
			return w
		}
		want, got := do(h), do(r)
		if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%s %s: router %d %q, API %d %q", rq.method, rq.target,
				got.Code, got.Header().Get("Content-Type"), want.Code, want.Header().Get("Content-Type"))
		}
		// /metrics counts the requests themselves, so only its status is
		// comparable.
		if rq.target != "/metrics" && got.Body.String() != want.Body.String() {
			t.Errorf("%s %s: router body %q, API body %q", rq.method, rq.target, got.Body, want.Body)
		}
		if rq.target == "/no/such/route" && got.Code != http.StatusNotFound {
			t.Errorf("unknown path: %d", got.Code)
		}
	}

	// Every route of the table is mounted, in the table's order.
	var mounted []string
	if err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		p, _ := route.GetPathTemplate()
		ms, _ := route.GetMethods()
		mounted = append(mounted, strings.Join(ms, ",")+" "+p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	routes := st.Routes(false)
	if len(mounted) != len(routes) {
		t.Fatalf("%d routes mounted, the table has %d", len(mounted), len(routes))
	}
	for i, rt := range routes {
		if mounted[i] != rt.Method+" "+rt.Path {
			t.Errorf("route %d: mounted %q, table %s %s", i, mounted[i], rt.Method, rt.Path)
		}
	}
}
