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

// The router built from the route tables hands each request to its own
// route: every route answers through the router exactly as its wrapped
// handler does when called directly (same status, same headers that
// matter, same body), an unknown path and a wrong method get the v1 error
// body, and every route of the tables is mounted, in the tables' order.
func TestRouterAnswersAsTheRoutes(t *testing.T) {
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(t.Context())
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st, err := NewStack(Options{API: api.Options{Version: "test", Now: func() time.Time { return at }},
		Backend: api.Backend{Store: api.NewQueueStore(q)}, Pprof: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(t.Context())
	r := Router(st)
	routes := st.Routes()

	param := regexp.MustCompile(`\{([a-z]+)\}`)
	tried := 0
	for _, rt := range routes {
		switch {
		case rt.Path == "/v1/events", strings.HasPrefix(rt.Path, "/debug/pprof/"):
			// A stream, and profiles that take seconds: their mounting is
			// what matters, checked below without serving them.
			continue
		}
		target := param.ReplaceAllString(rt.Path, "missing")
		vars := map[string]string{}
		for _, m := range param.FindAllStringSubmatch(rt.Path, -1) {
			vars[m[1]] = "missing"
		}
		do := func(hd http.Handler, direct bool) *httptest.ResponseRecorder {
			in := httptest.NewRequest(rt.Method, target, strings.NewReader("{}"))
			in.Host = "localhost"
			in.Header.Set("Content-Type", "application/json")
			if direct {
				in = mux.SetURLVars(in, vars)
			}
			w := httptest.NewRecorder()
			hd.ServeHTTP(w, in)
			return w
		}
		want, got := do(st.wrap(rt), true), do(r, false)
		tried++
		if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%s %s: router %d %q, route %d %q", rt.Method, target,
				got.Code, got.Header().Get("Content-Type"), want.Code, want.Header().Get("Content-Type"))
		}
		// /metrics counts the requests themselves, so only its status is
		// comparable.
		if target != "/metrics" && got.Body.String() != want.Body.String() {
			t.Errorf("%s %s: router body %q, route body %q", rt.Method, target, got.Body, want.Body)
		}
	}
	if tried < 30 {
		t.Fatalf("only %d routes tried", tried)
	}
	for _, rq := range []struct {
		method, target string
		code           int
	}{{"GET", "/no/such/route", 404}, {"PUT", "/v1/messages", 405}, {"PATCH", "/healthz", 405}} {
		w := httptest.NewRecorder()
		in := httptest.NewRequest(rq.method, rq.target, nil)
		in.Host = "localhost"
		r.ServeHTTP(w, in)
		if w.Code != rq.code || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("%s %s: %d %s", rq.method, rq.target, w.Code, w.Body)
		}
	}

	// Every route of the tables is mounted, in the tables' order.
	var mounted []string
	if err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		p, _ := route.GetPathTemplate()
		ms, _ := route.GetMethods()
		mounted = append(mounted, strings.Join(ms, ",")+" "+p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(mounted) != len(routes) {
		t.Fatalf("%d routes mounted, the tables have %d", len(mounted), len(routes))
	}
	for i, rt := range routes {
		if mounted[i] != rt.Method+" "+rt.Path {
			t.Errorf("route %d: mounted %q, table %s %s", i, mounted[i], rt.Method, rt.Path)
		}
	}
}
