package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUnknownDefaultCountry: New refuses a default country that names no
// calling code.
func TestUnknownDefaultCountry(t *testing.T) {
	if _, err := New(Options{DefaultCountry: "Atlantis"}, Backend{Store: &QueueStore{}}); err == nil {
		t.Fatal("New accepted an unknown country")
	}
}

func TestSegment(t *testing.T) {
	cases := []struct {
		text, enc string
		parts     int
		coding    string
	}{
		{strings.Repeat("a", 160), "", 1, "gsm7"},
		{strings.Repeat("a", 161), "", 2, "gsm7"},
		{strings.Repeat("€", 80), "", 1, "gsm7"}, // 160 septets
		{strings.Repeat("€", 81), "", 2, "gsm7"}, // escape pairs never split
		{strings.Repeat("a", 159) + "€", "", 2, "gsm7"},
		{strings.Repeat("ж", 70), "", 1, "ucs2"},
		{strings.Repeat("ж", 71), "", 2, "ucs2"},
		{strings.Repeat("😀", 35), "", 1, "ucs2"}, // 70 UTF-16 units
		{strings.Repeat("😀", 36), "", 2, "ucs2"},
		{"plain", "ucs2", 1, "ucs2"},
	}
	for _, c := range cases {
		parts, coding, err := segment(c.text, c.enc)
		if err != nil || parts != c.parts || coding != c.coding {
			t.Errorf("segment(%.12q…, %q) = %d %s %v; want %d %s", c.text, c.enc, parts, coding, err, c.parts, c.coding)
		}
	}
}

// FuzzSendBody: whatever the body, POST /v1/messages never answers 5xx.
func FuzzSendBody(f *testing.F) {
	for _, s := range []string{`{"to":"+4915112345678","text":"x"}`, `{"to":["+49151",""],"text":"😀","encoding":"gsm7"}`,
		`{"to":"0151","text":"x","ttl":-1}`, `{"send_at":"2026-01-01T00:00:00Z","to":"+4915112345678","text":"a","expires_at":"2025-01-01T00:00:00Z"}`, `[`, `null`, `{"metadata":{"a":1}}`} {
		f.Add(s)
	}
	h, err := New(Options{DefaultCountry: "49"}, Backend{Store: NewQueueStore(openQueue(f))})
	if err != nil {
		f.Fatal(err)
	}
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
