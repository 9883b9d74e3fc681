package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"smsgw"
)

func TestNormalizeNumber(t *testing.T) {
	cases := []struct {
		in, cc, want string
		ok           bool
	}{
		{"+49 151 1234-5678", "", "+4915112345678", true},
		{"0049 (151) 12345678", "", "+4915112345678", true},
		{"0151/12345678", "49", "+4915112345678", true},
		{"015112345678", "", "", false},
		{"5551234567", "1", "+15551234567", true},
		{"5551234567", "", "", false},
		{"22000", "", "22000", true},
		{"123", "", "123", true},
		{"12", "", "", false},
		{"+1234567890123456", "", "", false},
		{"+123456", "", "", false},
		{"+0123456789", "", "", false},
		{"+49 151 x", "", "", false},
		{"", "49", "", false},
		{"++4915112345678", "", "", false},
		{"+", "", "", false},
	}
	for _, c := range cases {
		got, err := smsgw.NormalizeE164(c.in, c.cc)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("smsgw.NormalizeE164(%q, %q) = %q, %v; want %q ok=%v", c.in, c.cc, got, err, c.want, c.ok)
		}
	}
}

func TestCallingCode(t *testing.T) {
	for in, want := range map[string]string{"DE": "49", "de": "49", "49": "49", "+358": "358", "": "", "US": "1"} {
		got, err := smsgw.CallingCode(in)
		if err != nil || got != want {
			t.Errorf("smsgw.CallingCode(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"XX", "0049", "1234", "+"} {
		if _, err := smsgw.CallingCode(bad); err == nil {
			t.Errorf("smsgw.CallingCode(%q) accepted", bad)
		}
	}
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

// FuzzNormalizeNumber: no input panics, and whatever is accepted is E.164
// or a short code, and normalising it again changes nothing.
func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"+49 151 1234-5678", "0151/12345678", "0049123456789", "22000", "+", "00", "0", "(0)"} {
		f.Add(s, "49")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, in, cc string) {
		if _, err := smsgw.CallingCode(cc); err != nil {
			return
		}
		code, _ := smsgw.CallingCode(cc)
		out, err := smsgw.NormalizeE164(in, code)
		if err != nil {
			return
		}
		if strings.HasPrefix(out, "+") {
			d := out[1:]
			if !isDigits(d) || len(d) < 7 || len(d) > 15 || d[0] == '0' {
				t.Fatalf("%q -> %q is not E.164", in, out)
			}
		} else if !isDigits(out) || len(out) < 3 || len(out) > 6 {
			t.Fatalf("%q -> %q is not a short code", in, out)
		}
		again, err := smsgw.NormalizeE164(out, code)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q %v", in, out, again, err)
		}
	})
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
