package httpd

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"smsgw/api"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// Every path of the route tables answers a method it does not take with a
// 405 whose Allow header lists exactly the methods its routes take, in the
// style of its routes: Kannel's plain text on /cgi-bin/sendsms, SMSGate's
// shape on its routes, the v1 body elsewhere.
func TestMethodNotAllowedCarriesAllow(t *testing.T) {
	st := queueStack(t)
	r := Router(st)
	want := map[string][]string{}
	style := map[string]api.Style{}
	for _, rt := range st.Routes() {
		want[rt.Path] = append(want[rt.Path], rt.Method)
		style[rt.Path] = rt.Style
	}
	param := regexp.MustCompile(`\{[a-z]+\}`)
	tried := 0
	for path, methods := range want {
		var other string
		for _, m := range []string{"PATCH", "PUT", "DELETE", "POST", "GET"} {
			if !slices.Contains(methods, m) {
				other = m
				break
			}
		}
		if other == "" {
			continue
		}
		target := param.ReplaceAllString(path, "x1")
		w := httptest.NewRecorder()
		in := httptest.NewRequest(other, target, nil)
		in.Host = "localhost"
		r.ServeHTTP(w, in)
		if w.Code != 405 {
			t.Errorf("%s %s: %d, want 405", other, target, w.Code)
			continue
		}
		tried++
		got := strings.Split(w.Header().Get("Allow"), ", ")
		sort.Strings(got)
		exp := append([]string(nil), methods...)
		sort.Strings(exp)
		if strings.Join(got, ",") != strings.Join(exp, ",") {
			t.Errorf("%s %s: Allow %q, want %v", other, target, w.Header().Get("Allow"), exp)
		}
		ct, body := w.Header().Get("Content-Type"), w.Body.String()
		switch style[path] {
		case api.StyleKannel:
			if !strings.HasPrefix(ct, "text/plain") || strings.Contains(body, "{") || !strings.Contains(body, "not allowed") {
				t.Errorf("%s %s: Kannel answer %q %q", other, target, ct, body)
			}
		case api.StyleASG:
			if !strings.Contains(body, `"message":`) || !strings.Contains(body, `"code":405`) {
				t.Errorf("%s %s: SMSGate answer %q", other, target, body)
			}
		default:
			if !strings.Contains(body, `"method_not_allowed"`) {
				t.Errorf("%s %s: v1 answer %q", other, target, body)
			}
		}
	}
	if tried < 20 {
		t.Fatalf("only %d paths tried", tried)
	}
}

// queueStack is a Stack with default options over a fresh queue, both
// closed when the test ends.
func queueStack(t *testing.T) *Stack {
	t.Helper()
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	st, err := NewStack(Options{Backend: api.Backend{Store: api.NewQueueStore(q)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}
