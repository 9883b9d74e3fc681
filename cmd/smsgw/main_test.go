package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersionAndUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 {
		t.Fatalf("version exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "smsgw ") {
		t.Fatalf("version output %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"no-such-command"}, &out, &errb); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
	if !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("stderr %q", errb.String())
	}
}
