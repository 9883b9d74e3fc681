package smsgw

import (
	"strings"
	"testing"
)

func TestNormalizeE164(t *testing.T) {
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
		got, err := NormalizeE164(c.in, c.cc)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("NormalizeE164(%q, %q) = %q, %v; want %q ok=%v", c.in, c.cc, got, err, c.want, c.ok)
		}
	}
}

func TestCallingCode(t *testing.T) {
	for in, want := range map[string]string{"DE": "49", "de": "49", "49": "49", "+358": "358", "": "", "US": "1"} {
		got, err := CallingCode(in)
		if err != nil || got != want {
			t.Errorf("CallingCode(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"XX", "0049", "1234", "+"} {
		if _, err := CallingCode(bad); err == nil {
			t.Errorf("CallingCode(%q) accepted", bad)
		}
	}
}

// FuzzNormalizeE164: no input panics, and whatever is accepted is E.164
// or a short code, and normalising it again changes nothing.
func FuzzNormalizeE164(f *testing.F) {
	for _, s := range []string{"+49 151 1234-5678", "0151/12345678", "0049123456789", "22000", "+", "00", "0", "(0)"} {
		f.Add(s, "49")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, in, cc string) {
		if _, err := CallingCode(cc); err != nil {
			return
		}
		code, _ := CallingCode(cc)
		out, err := NormalizeE164(in, code)
		if err != nil {
			return
		}
		if strings.HasPrefix(out, "+") {
			d := out[1:]
			if !allDigits(d) || len(d) < 7 || len(d) > 15 || d[0] == '0' {
				t.Fatalf("%q -> %q is not E.164", in, out)
			}
		} else if !allDigits(out) || len(out) < 3 || len(out) > 6 {
			t.Fatalf("%q -> %q is not a short code", in, out)
		}
		again, err := NormalizeE164(out, code)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q %v", in, out, again, err)
		}
	})
}
