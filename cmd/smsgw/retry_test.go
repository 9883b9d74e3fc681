package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"smsgw"
	"smsgw/api"
	"smsgw/queue"
)

func TestRetryCommand(t *testing.T) {
	e := newCLIEnv(t)
	code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "try me")
	if code != exitOK {
		t.Fatalf("send: exit %d %s", code, errs)
	}
	ctx := context.Background()
	job, err := e.q.Claim(ctx, queue.ClaimOptions{Modem: "office"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.MarkFailed(ctx, job.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21", Code: 21}); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(job.ID, 10)
	code, out, errs := e.run("retry", id)
	if code != exitOK || out != id+" to +4915112345678: queued again\n" {
		t.Fatalf("retry: exit %d %q %s", code, out, errs)
	}
	if m, _ := e.q.Get(ctx, job.ID); m.State != smsgw.StateQueued {
		t.Fatalf("state %s", m.State)
	}
	// Queued: refused with the API's sentence, exit 1.
	code, _, errs = e.run("retry", id, "--json")
	if code != exitRefused || !strings.Contains(errs, "only uncertain, failed and expired messages can be retried") {
		t.Fatalf("second retry: exit %d %s", code, errs)
	}
	if code, _, errs := e.run("retry", "12345"); code != exitRefused || !strings.Contains(errs, "not found") {
		t.Fatalf("unknown id: exit %d %s", code, errs)
	}
	if code, _, _ := e.run("retry"); code != exitUsage {
		t.Fatalf("no id: exit %d", code)
	}
	if code, _, _ := e.run("retry", "1", "2"); code != exitUsage {
		t.Fatalf("two ids: exit %d", code)
	}
	// --json prints the message.
	job, err = e.q.Claim(ctx, queue.ClaimOptions{Modem: "office"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.MarkFailed(ctx, job.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21", Code: 21}); err != nil {
		t.Fatal(err)
	}
	code, out, errs = e.run("retry", "--json", id)
	var m api.Message
	if code != exitOK || json.Unmarshal([]byte(out), &m) != nil || m.ID != id || m.State != "queued" {
		t.Fatalf("retry --json: exit %d %s %s", code, out, errs)
	}
}
