package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The campaign commands against a real API (no feeder: a launched campaign
// stays as launched): create from flags and a CSV, quote, launch, pause,
// resume, status, export, and the refusals.
func TestCampaignCommands(t *testing.T) {
	e := newCLIEnv(t)
	file := filepath.Join(t.TempDir(), "audience.csv")
	if err := os.WriteFile(file, []byte("number,name,city\n+4915111111111,One,Bonn\nnope,Bad,\n+4915122222222,,Köln\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e.run("campaign", "create", "--name", "spring", "--template", "Hi {{name}} in {{fields.city}}", "--csv", file,
		"--to", "+4915133333333", "--window", "09:00-20:00")
	if code != exitOK || out != "campaign 1 created (draft): spring\n" {
		t.Fatalf("create: exit %d %q %q", code, out, errs)
	}
	code, out, errs = e.run("campaign", "quote", "1")
	if code != exitOK || !strings.HasPrefix(out, "1 recipients, 1 parts") || strings.Count(out, "skipped +") != 2 || !strings.Contains(out, "skipped nope: invalid_number") {
		t.Fatalf("quote: exit %d %q %q", code, out, errs)
	}
	for _, step := range []struct{ action, state string }{{"launch", "running"}, {"pause", "paused"}, {"resume", "running"}} {
		code, out, errs = e.run("campaign", step.action, "1")
		if code != exitOK || out != "campaign 1: "+step.state+"\n" {
			t.Fatalf("%s: exit %d %q %q", step.action, code, out, errs)
		}
	}
	if code, _, errs = e.run("campaign", "launch", "1"); code != exitRefused || !strings.Contains(errs, "only a draft can be launched") {
		t.Fatalf("second launch: exit %d %q", code, errs)
	}
	code, out, errs = e.run("campaign", "status", "1")
	if code != exitOK || !strings.HasPrefix(out, `campaign 1 "spring": running`) || !strings.Contains(out, "recipients 0:") {
		t.Fatalf("status: exit %d %q %q", code, out, errs)
	}
	code, out, errs = e.run("campaign", "export", "1")
	if code != exitOK || !strings.HasPrefix(out, "number,name,state,reason,message_id") {
		t.Fatalf("export: exit %d %q %q", code, out, errs)
	}
	if code, _, errs = e.run("campaign", "status", "99"); code != exitRefused {
		t.Fatalf("unknown campaign: exit %d %q", code, errs)
	}
	if code, _, errs = e.run("campaign", "create", "--name", "x", "--template", "hi", "--group", "nope"); code != exitRefused || !strings.Contains(errs, "nope") {
		t.Fatalf("unknown group: exit %d %q", code, errs)
	}
	if code, _, _ = e.run("campaign", "create", "--template", "hi"); code != exitUsage {
		t.Fatalf("no name: exit %d", code)
	}
	if code, _, _ = e.run("campaign", "quote"); code != exitUsage {
		t.Fatalf("no id: exit %d", code)
	}
	if code, _, _ = e.run("campaign", "create", "--name", "x", "--template", "hi", "--window", "9"); code != exitUsage {
		t.Fatalf("bad window: exit %d", code)
	}
}
