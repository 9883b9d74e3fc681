package api

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkPostMessage: POST /v1/messages through the handler into the
// real queue (durable commits), from parallel callers so group commit
// works as it does under load.
func BenchmarkPostMessage(b *testing.B) {
	q := openQueue(b)
	h, err := New(Options{}, Backend{Store: NewQueueStore(q)})
	if err != nil {
		b.Fatal(err)
	}
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

// BenchmarkValidate: the API's own work on a send (decode, normalise,
// segment) without the store, to show what the HTTP layer costs.
func BenchmarkValidate(b *testing.B) {
	h, err := New(Options{DefaultCountry: "49"}, Backend{Store: &QueueStore{}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var req sendRequest
		if e := unmarshalStrict([]byte(`{"to":["0151 12345678","+4915187654321"],"text":"Your code is 123456 ✓"}`), &req); e != nil {
			b.Fatal(e)
		}
		if _, e := h.build(draft{to: req.To, text: *req.Text}, "to", "text"); e != nil {
			b.Fatal(e)
		}
	}
}
