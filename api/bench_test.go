package api

import (
	"testing"
)

// BenchmarkValidate: the API's own work on a send (decode, normalise,
// segment) without the store, to show what the HTTP layer costs.
func BenchmarkValidate(b *testing.B) {
	h, err := New(Options{DefaultCountry: "49"}, Backend{Store: &QueueStore{}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		// As postMessage reads a body: the fast reader, else the strict decoder.
		body := []byte(`{"to":["0151 12345678","+4915187654321"],"text":"Your code is 123456 ✓"}`)
		var req sendRequest
		if !req.decodeFast(body) {
			if e := unmarshalStrict(body, &req); e != nil {
				b.Fatal(e)
			}
		}
		if _, _, e := h.prepare(draft{to: req.To, ownTo: true, text: *req.Text}, "to", "text"); e != nil {
			b.Fatal(e)
		}
	}
}
