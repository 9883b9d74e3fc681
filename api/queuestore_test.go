package api

import "testing"

// A batch name that is no id range is not read as one.
func TestParseRangeBatchRefuses(t *testing.T) {
	for _, bad := range []string{"q", "q5-2", "qx", "q1-999999"} {
		if _, _, ok := parseRangeBatch(bad); ok {
			t.Errorf("parseRangeBatch(%q) accepted", bad)
		}
	}
}
