package modem

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzATTrace: whatever the AT engine writes, the trace keeps at most its
// capacity and counts no more commands than lines.
func FuzzATTrace(f *testing.F) {
	f.Add([]byte("12:00:00.000 tx \"AT+CMGS=23\\r\"\n12:00:00.010 rx prompt\n"), 3)
	f.Add([]byte("no newline at all"), 1)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		n = n % 64
		tr := NewATTrace(n)
		for _, chunk := range bytes.SplitAfter(data, []byte("\r")) {
			tr.Write(chunk)
		}
		lines := tr.Lines()
		if n > 0 && len(lines) > n || n <= 0 && len(lines) != 0 {
			t.Fatalf("%d lines kept with capacity %d", len(lines), n)
		}
		if c := tr.Commands(); c > int64(strings.Count(string(data), "\n")) {
			t.Fatalf("%d commands counted in %d lines", c, strings.Count(string(data), "\n"))
		}
	})
}
