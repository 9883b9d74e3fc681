package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/campaign"
)

// TestCampaignLaunchSurvivesKill launches a campaign to 10,000 recipients
// on a real `smsgw serve` process (this test binary as smsgw, no modems,
// so every message stays queued), kills it with SIGKILL while the
// audience is being expanded, restarts it, kills it again while the
// recipients are being queued, and restarts it once more: the launch
// resumes by itself, and in the end exactly 10,000 messages exist, one per
// recipient.
func TestCampaignLaunchSurvivesKill(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the daemon's test harness needs Linux")
	}
	const n = 10000
	dir := t.TempDir()
	sock := filepath.Join(dir, "api.sock")
	s := &soak{t: t, dir: dir, cfg: filepath.Join(dir, "smsgw.toml"), log: filepath.Join(dir, "daemon.log")}
	s.conf = fmt.Sprintf("[server]\nlisten = \"unix:%s\"\n\n[storage]\npath = %q\n\n[autodetect]\nenabled = false\n\n[retry]\npolicy = \"@POLICY@\"\n\n[log]\nlevel = \"info\"\n",
		sock, filepath.Join(dir, "smsgw.db"))
	s.bin, s.env = os.Args[0], append(os.Environ(), "SMSGW_SOAK_CHILD=1")
	t.Setenv("SMSGW_TOKEN", "")
	var err error
	if s.c, err = newClient("unix:" + sock); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.proc != nil {
			select {
			case <-s.done:
			default:
				s.proc.Process.Kill()
				<-s.done
			}
		}
	})
	s.start("at-least-once")
	var csv strings.Builder
	csv.WriteString("number,name\n")
	for i := range n {
		fmt.Fprintf(&csv, "+4917%08d,P%d\n", i, i)
	}
	ctx := context.Background()
	var c campaign.Campaign
	if err := s.c.do(ctx, "POST", "/v1/campaigns", map[string]any{"name": "kill", "template": "Hello {{name}}",
		"audience": map[string]any{"csv": csv.String()}}, &c); err != nil {
		s.fail("create: %v", err)
	}
	get := func() campaign.Campaign {
		var got campaign.Campaign
		if err := s.c.do(ctx, "GET", "/v1/campaigns/"+c.ID, nil, &got); err != nil {
			s.fail("get: %v", err)
		}
		return got
	}
	if err := s.c.do(ctx, "POST", "/v1/campaigns/"+c.ID+"/launch", nil, &c); err != nil {
		s.fail("launch: %v", err)
	}
	// First kill: right after the launch, while the audience is expanded.
	s.kill()
	s.start("at-least-once")
	// Second kill: once some recipients are queued, before all are.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := get()
		if got.Counts.Queued > 0 || time.Now().After(deadline) {
			t.Logf("killed with %d of %d recipients queued (expanded: %v)", got.Counts.Queued, n, got.Expanded)
			break
		}
		time.Sleep(time.Millisecond)
	}
	s.kill()
	s.start("at-least-once")
	deadline = time.Now().Add(3 * time.Minute)
	for {
		got := get()
		if got.Expanded && got.Counts.Pending == 0 {
			if got.Counts.Recipients != n || got.Counts.Queued != n {
				s.fail("counts after the restarts: %+v", got.Counts)
			}
			break
		}
		if time.Now().After(deadline) {
			s.fail("the launch did not resume: %+v", got.Counts)
		}
		time.Sleep(20 * time.Millisecond) // the feeder runs inside the daemon; nothing outside is told
	}
	seen := map[string]int{}
	total, cursor := 0, ""
	for {
		var page api.MessageList
		path := "/v1/messages?campaign=" + c.ID + "&limit=1000"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := s.c.do(ctx, "GET", path, nil, &page); err != nil {
			s.fail("list: %v", err)
		}
		for _, m := range page.Messages {
			seen[m.To]++
			total++
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if total != n || len(seen) != n {
		s.fail("%d messages for %d distinct recipients, want exactly %d", total, len(seen), n)
	}
}
