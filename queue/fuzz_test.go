package queue

import (
	"testing"

	"smsgw"
)

// FuzzNormalizeNumber: never panics, and a normalized number is a fixed
// point that still denotes the same subscriber.
func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"+49 170 1234567", "(0170) 123-45.67", "+", "12+3", "", "٣٣", "+00000000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := smsgw.NormalizeDigits(s)
		if err != nil {
			return
		}
		again, err := smsgw.NormalizeDigits(n)
		if err != nil || again != n {
			t.Fatalf("smsgw.NormalizeDigits(%q) = %q, then %q, %v", s, n, again, err)
		}
		if !SameNumber(n, s) {
			t.Fatalf("SameNumber(%q, %q) = false", n, s)
		}
	})
}
