package main

import "testing"

// TestServeGCPercent: the daemon collects at three times its live heap,
// unless the user's GOGC says otherwise (including GOGC=100 or off).
func TestServeGCPercent(t *testing.T) {
	if pct, ok := serveGCPercent(""); !ok || pct != 200 {
		t.Errorf("without GOGC: %d, %v; want 200, true", pct, ok)
	}
	for _, env := range []string{"100", "off", "50"} {
		if _, ok := serveGCPercent(env); ok {
			t.Errorf("GOGC=%s: the daemon overrides it", env)
		}
	}
}
