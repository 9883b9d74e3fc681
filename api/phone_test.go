package api

import (
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
