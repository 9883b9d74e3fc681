package httpd

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"smsgw/api"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// pprofRouter is the router over a real queue, with or without profiles.
func pprofRouter(t *testing.T, pprof bool, tokens ...Token) http.Handler {
	t.Helper()
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(t.Context()) })
	st, err := NewStack(Options{Tokens: tokens, Pprof: pprof, Backend: api.Backend{Store: api.NewQueueStore(q)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(t.Context()) })
	return Router(st)
}

func serve(h http.Handler, path, auth string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Host = "localhost"
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPprofOffByDefault(t *testing.T) {
	h := pprofRouter(t, false)
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1", "/debug/pprof/cmdline"} {
		w := serve(h, p, "")
		var body struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusNotFound || body.Error.Code != api.CodeNotFound {
			t.Fatalf("%s: %d %s (%v), want 404 %s", p, w.Code, w.Body, err, api.CodeNotFound)
		}
	}
}

func TestPprofNeedsFullScope(t *testing.T) {
	h := pprofRouter(t, true,
		Token{Secret: "full-secret", Scope: api.ScopeFull},
		Token{Secret: "read-secret", Scope: api.ScopeRead},
		Token{Secret: "send-secret", Scope: api.ScopeSend},
	)
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/allocs", "/debug/pprof/cmdline"} {
		for auth, want := range map[string]int{
			"":                   http.StatusUnauthorized,
			"Bearer read-secret": http.StatusForbidden,
			"Bearer send-secret": http.StatusForbidden,
			"Bearer full-secret": http.StatusOK,
		} {
			if w := serve(h, p, auth); w.Code != want {
				t.Errorf("%s with %q: %d, want %d", p, auth, w.Code, want)
			}
		}
	}
	// The heap profile is a gzipped protocol buffer that pprof reads.
	w := serve(h, "/debug/pprof/heap", "Bearer full-secret")
	if w.Code != http.StatusOK {
		t.Fatalf("heap: %d", w.Code)
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("heap profile is not gzip: %v", err)
	}
	if b, err := io.ReadAll(zr); err != nil || len(b) == 0 {
		t.Fatalf("heap profile: %d bytes, %v", len(b), err)
	}
	// The index lists the profiles.
	w = serve(h, "/debug/pprof/", "Bearer full-secret")
	if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte("goroutine")) {
		t.Fatalf("index: %d, lists no goroutine profile: %.200s", w.Code, w.Body)
	}
}
