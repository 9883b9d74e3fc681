package logging

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"smsgw/internal/logging/logtest"
	"strings"
	"testing"
)

func repeated(keys []string) string {
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			return k
		}
		seen[k] = true
	}
	return ""
}

// TestNoKeyRepeatsSlogs: an attribute named like one of slog's own keys
// is renamed, so every JSON and journal line has each key once and parses
// (with jq too, where it is installed).
func TestNoKeyRepeatsSlogs(t *testing.T) {
	for _, format := range []string{"json", "journal", "text"} {
		var buf bytes.Buffer
		log, err := New(Options{Level: "debug", Format: format}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("sent", "msg", 42, "level", "x", "time", "now", "source", "api")
		log.With("msg", 7).Warn("retry", "attempt", 2)
		log.WithGroup("g").Info("grouped", "msg", 1)
		out := strings.TrimSuffix(buf.String(), "\n")
		for _, line := range strings.Split(out, "\n") {
			var keys []string
			var err error
			if format == "json" {
				keys, err = logtest.JSONKeys(line)
			} else {
				if format == "journal" {
					if len(line) < 3 || line[0] != '<' || line[2] != '>' {
						t.Errorf("journal line without a priority: %q", line)
						continue
					}
					line = line[3:]
				}
				keys, err = logtest.LogfmtKeys(line)
			}
			if err != nil {
				t.Errorf("%s: %v: %q", format, err, line)
			} else if k := repeated(keys); k != "" {
				t.Errorf("%s: key %q twice in %q", format, k, line)
			}
		}
		if !strings.Contains(out, "attr_msg") {
			t.Errorf("%s: the clashing attribute was dropped:\n%s", format, out)
		}
		if format == "json" {
			jq, err := exec.LookPath("jq")
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal("jq is missing")
				}
				continue
			}
			cmd := exec.Command(jq, "-e", "-c", ".msg")
			cmd.Stdin = strings.NewReader(out)
			got, err := cmd.Output()
			if err != nil || string(got) != "\"sent\"\n\"retry\"\n\"grouped\"\n" {
				t.Errorf("jq .msg: %v %q", err, got)
			}
		}
	}
}

// logCallWithBuiltinKey finds a slog call passing one of slog's own keys
// as an attribute key.
var logCallWithBuiltinKey = regexp.MustCompile(`\.(Debug|Info|Warn|Error|With|Log|DebugContext|InfoContext|WarnContext|ErrorContext)\((?:.*[(,]\s*)?"(msg|level|time|source)",`)

// TestNoSourceLogsABuiltinKey: keyGuard renames such an attribute at run
// time, but the code should say what it means (message_id, not msg).
func TestNoSourceLogsABuiltinKey(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && p != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := logCallWithBuiltinKey.FindStringSubmatch(line); m != nil {
				t.Errorf("%s:%d logs attribute %q, one of slog's own keys: %s", p, i+1, m[2], strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
