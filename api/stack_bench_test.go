package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkPostMessage: POST /v1/messages through the HTTP stack into the
// real queue (durable commits), from parallel callers so group commit
// works as it does under load.
func BenchmarkPostMessage(b *testing.B) {
	h := httpdtest.New(b, httpd.Options{}).Handler
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req := httptest.NewRequest("POST", "/v1/messages", strings.NewReader(fmt.Sprintf(`{"to":"+49151%08d","text":"bench %d"}`, i, i)))
			req.Host = "localhost"
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 202 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
}

// FuzzSendBody: whatever the body, POST /v1/messages and SMSGate's POST
// /message never answer 5xx.
func FuzzSendBody(f *testing.F) {
	for _, s := range []string{`{"to":"+4915112345678","text":"x"}`, `{"to":["+49151",""],"text":"😀","encoding":"gsm7"}`,
		`{"to":"0151","text":"x","ttl":-1}`, `{"send_at":"2026-01-01T00:00:00Z","to":"+4915112345678","text":"a","expires_at":"2025-01-01T00:00:00Z"}`, `[`, `null`, `{"metadata":{"a":1}}`} {
		f.Add(s)
	}
	h := httpdtest.New(f, httpd.Options{API: api.Options{DefaultCountry: "49"}}).Handler
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/messages", "/message"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Host = "localhost"
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 || (w.Code != http.StatusAccepted && w.Code >= 200 && w.Code < 300) {
				t.Fatalf("%s %q: %d %s", path, body, w.Code, w.Body)
			}
		}
	})
}

// BenchmarkPostBatch500: POST /v1/messages with 500 recipients through the
// HTTP stack into the real queue; one op is one request.
func BenchmarkPostBatch500(b *testing.B) {
	h := httpdtest.New(b, httpd.Options{}).Handler
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var body strings.Builder
		for pb.Next() {
			i := n.Add(1)
			body.Reset()
			body.WriteString(`{"to":[`)
			for r := 0; r < 500; r++ {
				if r > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `"+49151%04d%04d"`, i%10000, r)
			}
			fmt.Fprintf(&body, `],"text":"bench batch %d"}`, i)
			req := httptest.NewRequest("POST", "/v1/messages", strings.NewReader(body.String()))
			req.Host = "localhost"
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 202 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "recipients/s")
}
