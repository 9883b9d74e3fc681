package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"
)

func TestPprofOffByDefault(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1", "/debug/pprof/cmdline"} {
		r := e.do(http.MethodGet, p, nil)
		e.want(r, http.StatusNotFound)
		if code, _ := r.errCode(t); code != CodeNotFound {
			t.Fatalf("%s: code %q, want %q", p, code, CodeNotFound)
		}
	}
}

func TestPprofNeedsFullScope(t *testing.T) {
	e := newEnv(t, Options{Pprof: true, Tokens: []Token{
		{Secret: "full-secret", Scope: ScopeFull},
		{Secret: "read-secret", Scope: ScopeRead},
		{Secret: "send-secret", Scope: ScopeSend},
	}})
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/allocs", "/debug/pprof/cmdline"} {
		e.want(e.do(http.MethodGet, p, nil, "Authorization", ""), http.StatusUnauthorized)
		e.want(e.do(http.MethodGet, p, nil, "Authorization", "Bearer read-secret"), http.StatusForbidden)
		e.want(e.do(http.MethodGet, p, nil, "Authorization", "Bearer send-secret"), http.StatusForbidden)
		e.want(e.do(http.MethodGet, p, nil, "Authorization", "Bearer full-secret"), http.StatusOK)
	}
	// The heap profile is a gzipped protocol buffer that pprof reads.
	r := e.do(http.MethodGet, "/debug/pprof/heap", nil)
	e.want(r, http.StatusOK)
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("heap profile is not gzip: %v", err)
	}
	if b, err := io.ReadAll(zr); err != nil || len(b) == 0 {
		t.Fatalf("heap profile: %d bytes, %v", len(b), err)
	}
	// The index lists the profiles.
	r = e.do(http.MethodGet, "/debug/pprof/", nil)
	e.want(r, http.StatusOK)
	if !bytes.Contains(r.body, []byte("goroutine")) {
		t.Fatalf("index lists no goroutine profile: %.200s", r.body)
	}
}
