package smsgw

import (
	"fmt"
	"strings"
	"testing"

	"smsgw/internal/phonenumbers"
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
		// The national prefix written after the country code.
		{"+49 (0)151 12345678", "", "+4915112345678", true},
		{"+49 0151 12345678", "", "+4915112345678", true},
		{"0049 (0)30 1234567", "", "+49301234567", true},
		{"+44 (0)20 7946 0018", "", "+442079460018", true},
		{"+33 (0)6 12 34 56 78", "", "+33612345678", true},
		// Italy keeps its leading 0 after the country code.
		{"+39 06 1234 5678", "", "+390612345678", true},
		{"06 1234 5678", "39", "+390612345678", true},
		// National numbers in the default country.
		{"020 7946 0018", "44", "+442079460018", true},
		{"(030) 1234567", "49", "+49301234567", true},
		{"06 12 34 56 78", "33", "+33612345678", true},
		// The emulator's and the docs' fictional numbers stay usable.
		{"+15550100002", "", "+15550100002", true},
		// Unassigned country calling codes.
		{"+999 12345678", "", "", false},
		{"+800 1234 5678 9", "", "", false},
		{"+2 1234 5678", "", "", false},
		// Lengths no number of the country has.
		{"+49 151", "", "", false},
		{"+49 1511 2345 6789 0123", "", "", false},
		{"+44 20 7946", "", "", false},
		{"+1 555 0100", "", "", false},
		{"+33 6 12 34 56 78 9", "", "", false},
	}
	for _, c := range cases {
		got, err := NormalizeE164(c.in, c.cc)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("NormalizeE164(%q, %q) = %q, %v; want %q ok=%v", c.in, c.cc, got, err, c.want, c.ok)
		}
	}
}

func TestCallingCode(t *testing.T) {
	for in, want := range map[string]string{"DE": "49", "de": "49", "49": "49", "+358": "358", "": "", "US": "1", "KZ": "7", "IS": "354", "VN": "84"} {
		got, err := CallingCode(in)
		if err != nil || got != want {
			t.Errorf("CallingCode(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"XX", "0049", "1234", "+", "+999", "ZZ"} {
		if _, err := CallingCode(bad); err == nil {
			t.Errorf("CallingCode(%q) accepted", bad)
		}
	}
}

// TestCountryOf: the country of a number, with the shared calling codes
// told apart by their prefix.
func TestCountryOf(t *testing.T) {
	for _, c := range []struct {
		in     string
		region string
		cc     int
	}{
		{"+4915112345678", "DE", 49},
		{"+442079460018", "GB", 44},
		{"+447624123456", "IM", 44}, // Isle of Man mobile
		{"+14165550123", "CA", 1},   // Toronto
		{"+12125550123", "US", 1},
		{"+77012345678", "KZ", 7},
		{"+79161234567", "RU", 7},
		{"+390612345678", "IT", 39},
		{"+881612345678", "001", 881}, // Iridium
		{"+15550100002", "US", 1},     // no area code's: the code's main country
	} {
		got, err := CountryOf(c.in)
		if err != nil || got.Region != c.region || got.CallingCode != c.cc {
			t.Errorf("CountryOf(%q) = %+v, %v; want %s +%d", c.in, got, err, c.region, c.cc)
		}
	}
	for _, bad := range []string{"", "4915112345678", "+49 151", "+99912345678", "BANK"} {
		if got, err := CountryOf(bad); err == nil {
			t.Errorf("CountryOf(%q) = %+v, want an error", bad, got)
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

// TestNormalizeE164Errors: a refusal says what is wrong.
func TestNormalizeE164Errors(t *testing.T) {
	for in, want := range map[string]string{
		"+999 12345678":           "country calling code is not assigned",
		"+49 151":                 "no number in DE (+49) has 3 digits",
		"+49 1511 2345 6789 0123": "too long for a number in DE (+49)",
		"015112345678":            "needs a country code",
		"+49 151 x":               `invalid character 'x'`,
	} {
		_, err := NormalizeE164(in, "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeE164(%q): %v, want %q", in, err, want)
		}
	}
}

// BenchmarkNormalizeE164: the API's check of one recipient already in
// international format, as a batch request runs it for each of its
// recipients (ns/op is per number).
func BenchmarkNormalizeE164(b *testing.B) {
	nums := make([]string, 1000)
	for i := range nums {
		nums[i] = fmt.Sprintf("+49152%04d%04d", i%10000, i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := NormalizeE164(nums[i%len(nums)], ""); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParsePlainAsParse: for numbers of every calling code, every length
// from 3 to 15 national digits and every leading digit, NormalizeE164
// answers the same (number or error) with its plain-number path as with
// the library's full parse alone.
func TestParsePlainAsParse(t *testing.T) {
	codes := phonenumbers.GetSupportedCallingCodes()
	if len(codes) < 200 {
		t.Fatalf("%d calling codes", len(codes))
	}
	const fill = "7319586420"
	checked, fast := 0, 0
	for cc := range codes {
		for l := 3; l <= 15; l++ {
			for first := 0; first <= 9; first++ {
				for v := 0; v < 2; v++ {
					nat := []byte{byte('0' + first)}
					for i := 1; i < l; i++ {
						nat = append(nat, fill[(i*(v+3)+first)%len(fill)])
					}
					n := fmt.Sprintf("+%d%s", cc, nat)
					fastParse = true
					got, gerr := NormalizeE164(n, "")
					if _, _, ok := parsePlain(n); ok {
						fast++
					}
					fastParse = false
					want, werr := NormalizeE164(n, "")
					fastParse = true
					checked++
					if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
						t.Errorf("%s: plain path %q, %v; full parse %q, %v", n, got, gerr, want, werr)
					}
				}
			}
		}
	}
	// The check means little unless the plain path answered most of them.
	if fast < checked/2 {
		t.Errorf("the plain path answered %d of %d numbers", fast, checked)
	}
	t.Logf("%d numbers, %d by the plain path", checked, fast)
}

// TestNationalPrefixLiteral: the common one-digit national prefixes are
// compared as strings, not run through a regular expression per number.
func TestNationalPrefixLiteral(t *testing.T) {
	prefixOnce.Do(loadPrefixes)
	if prefixBad {
		t.Fatal("metadata unreadable")
	}
	if codes[49] == nil || codes[49].prefixLit != "0" || codes[49].prefixRe != nil {
		t.Errorf("+49: %+v", codes[49])
	}
	lit, re, n := 0, 0, 0
	for _, c := range codes {
		switch {
		case c == nil:
		case c.prefixRe != nil:
			re++
		case c.prefixLit != "":
			lit++
		}
		if c != nil {
			n++
		}
	}
	if n != len(phonenumbers.GetSupportedCallingCodes()) {
		t.Errorf("%d calling codes known, the library has %d", n, len(phonenumbers.GetSupportedCallingCodes()))
	}
	if lit < re {
		t.Errorf("only %d literal prefixes (%d patterns)", lit, re)
	}
	if !codes[49].prefixed("0151") || codes[49].prefixed("151") {
		t.Error("+49 prefix 0 not recognised")
	}
}

// TestNormalizeDigitsPlain: a number without separators is answered as
// the copying path answers it.
func TestNormalizeDigitsPlain(t *testing.T) {
	for _, n := range []string{"", "+", "++1", "1+", "0", "+0", "12345", "+4915112345678", " +49151 ", "\t0151\n",
		"12345678901234567890", "123456789012345678901", "+12345678901234567890", "+123456789012345678901", "1 2", "+49-151", "١٢٣"} {
		got, gerr := NormalizeDigits(n)
		want, werr := normalizeDigitsCopy(n)
		if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Errorf("%q: %q, %v; copying path %q, %v", n, got, gerr, want, werr)
		}
	}
}
