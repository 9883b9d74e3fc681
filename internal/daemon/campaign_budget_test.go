package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/campaign"
	"smsgw/config"
)

// A campaign's budget reached mid-campaign, on an emulated modem: the
// campaign pauses with a budget reason, nothing is lost (every recipient
// is sent or still queued), and raising the budget through the API sends
// the rest and finishes it.
func TestDaemonCampaignBudget(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(dir, "smsgw.db")
	cfg.Simulate.Dir = filepath.Join(dir, "sim")
	cfg.Prices = []config.PriceConfig{{PricePerPart: config.PriceAmount{Value: 100000}, Currency: "EUR"}}
	if err := cfg.SetSimulate(1); err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Close(ctx)
	}()
	base := "http://" + d.Addr()
	do := func(method, path, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
		}
		return b
	}
	var numbers []string
	for i := range 10 {
		numbers = append(numbers, fmt.Sprintf("+1555020%04d", i))
	}
	ns, _ := json.Marshal(numbers)
	var c campaign.Campaign
	json.Unmarshal(do("POST", "/v1/campaigns", `{"name":"offer","template":"hello","category":"transactional","budget":"0.25","audience":{"numbers":`+string(ns)+`}}`), &c)
	do("POST", "/v1/campaigns/"+c.ID+"/launch", "")
	get := func() campaign.Campaign {
		var c2 campaign.Campaign
		json.Unmarshal(do("GET", "/v1/campaigns/"+c.ID, ""), &c2)
		return c2
	}
	waitFor := func(what string, cond func(campaign.Campaign) bool) campaign.Campaign {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			c := get()
			if cond(c) {
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %+v", what, c)
			}
			time.Sleep(20 * time.Millisecond) // the feeder and the modem run in the daemon; nothing signals out here
		}
	}
	c = waitFor("the campaign paused by its budget", func(c campaign.Campaign) bool {
		return c.State == campaign.StatePaused && c.Counts.Sending == 0
	})
	sent := c.Counts.Sent + c.Counts.Delivered
	if !strings.HasPrefix(c.Reason, "budget:") || sent < 3 || sent >= 10 || sent+c.Counts.Queued+c.Counts.Pending != 10 {
		t.Fatalf("paused: reason %q, counts %+v", c.Reason, c.Counts)
	}
	do("PUT", "/v1/campaigns/"+c.ID+"/budget", `{"budget":"5.00"}`)
	c = waitFor("every recipient sent", func(c campaign.Campaign) bool { return c.Counts.Sent+c.Counts.Delivered == 10 })
	if c.State == campaign.StatePaused || c.Counts.Failed != 0 {
		t.Fatalf("after the raise: %s %+v", c.State, c.Counts)
	}
}
