package modem

import (
	"strings"
	"testing"
)

// FuzzResponseParsers feeds arbitrary text to every parser of information
// responses: none may panic, and what they return is sane.
func FuzzResponseParsers(f *testing.F) {
	for _, s := range []string{
		`("ME","MT","SM","SR"),("ME","MT","SM","SR"),("ME","MT","SM","SR")`, `(("SM","BM","SR"),("SM"))`,
		`0,,23`, `1, 0,"",25`, `17,3,35`, `3,1,,147 0791AABBCCDDEEFF00112233445566778899`, `,,27`,
		`2,1,"5E25","605F"`, `002,001,"18d8","ffff"`, `2,1, 1F00, 79D903 ,7`, `0,"Balance",15`,
		`"SM",3,20,"SM",3,20`, `144,0,"984902000012345678F9"`, `"",,"`, `,`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, g := range cpmsGroups(s) {
			for _, m := range g {
				if m == "" {
					t.Fatal("empty storage name")
				}
			}
		}
		if f := fields(s); !strings.Contains(s, `"`) && len(f) != strings.Count(s, ",")+1 {
			t.Fatalf("fields(%q) = %q", s, f)
		}
		parseHeader(s, true)
		parseHeader(s, false)
		parseRegistration("CREG", s)
		parseRegistrationURC("CEREG", s)
		parseCUSD(s)
		cpmsCounts([]string{"+CPMS: " + s})
		if id := iccidIn([]string{s}, true); strings.ContainsAny(id, "ABCDEFabcdef") {
			t.Fatalf("iccid %q", id)
		}
		sameCNMI(s, "2,1,0,1,0")
		plain(s, "+CGMI")
	})
}
