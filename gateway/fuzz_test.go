package gateway

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseConfig: any text either parses into a configuration that
// validates, or fails with an error; never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add("")
	f.Add("[server]\nlisten = \"127.0.0.1:1\"\ntokens = [\"a\", {token = \"b\", scope = \"read\"}]\n")
	f.Add("[[modem]]\nport = \"/dev/x\"\nrate = [\"10/min\", \"200/day\"]\npin = \"1234\"\n")
	f.Add("[retry]\nbackoff = \"1s\"\nmax_backoff = \"1m\"\npolicy = \"at-most-once\"\n")
	f.Add("[inbound]\nexec = [\"/bin/true\"]\n[webhook]\nurl = \"http://x/y\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
	})
}

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
