package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContactsCommands(t *testing.T) {
	e := newCLIEnv(t)
	file := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(file, []byte("number,name,city\n+4915111111111,One,Bonn\nnope,Bad,\n+4915122222222,Two,Köln\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e.run("contacts", "import", file, "--group", "News")
	if code != exitOK || out != "3 rows: 2 contacts created, 0 updated, 1 bad\n" || !strings.HasPrefix(errs, "line 3: ") {
		t.Fatalf("import: exit %d %q %q", code, out, errs)
	}
	code, out, errs = e.run("contacts", "export", "--group", "news")
	if want := "number,name,city\n+4915111111111,One,Bonn\n+4915122222222,Two,Köln\n"; code != exitOK || out != want {
		t.Fatalf("export: exit %d %q %s", code, out, errs)
	}
	if code, _, errs = e.run("contacts", "export", "--group", "nope"); code != exitRefused || !strings.Contains(errs, "not found") {
		t.Fatalf("unknown group: exit %d %s", code, errs)
	}
	if code, _, errs = e.run("contacts", "import", filepath.Join(t.TempDir(), "missing.csv")); code != exitRefused {
		t.Fatalf("missing file: exit %d %s", code, errs)
	}
	if code, _, _ = e.run("contacts", "import"); code != exitUsage {
		t.Fatalf("no file: exit %d", code)
	}
}
