package queue

import (
	"testing"
)

func TestSameNumber(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"+491701234567", "01701234567", true},
		{"+491701234567", "00491701234567", true},
		{"+491701234567", "+491701234568", false},
		{"1234", "01234", true},
		{"1234", "91234", false},
		{"+4412345", "12345", false}, // too short to match by suffix
		{"", "+1", true},
	} {
		if got := SameNumber(tc.a, tc.b); got != tc.want {
			t.Errorf("SameNumber(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
