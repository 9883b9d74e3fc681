package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/campaign"
	"smsgw/config"
	"smsgw/queue"
)

// campaignRig is a daemon with emulated modems and helpers to talk to it.
type campaignRig struct {
	t    *testing.T
	d    *Daemon
	base string
}

func newCampaignRig(t *testing.T, modems int, submitDelay time.Duration) *campaignRig {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(dir, "smsgw.db")
	cfg.Simulate.Dir = filepath.Join(dir, "sim")
	cfg.Simulate.SubmitDelay.Duration = submitDelay
	cfg.Prices = []config.PriceConfig{{PricePerPart: config.PriceAmount{Value: 50000}, Currency: "EUR"}}
	if err := cfg.SetSimulate(modems); err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Close(ctx)
	})
	return &campaignRig{t: t, d: d, base: "http://" + d.Addr()}
}

// do sends a request and returns the status and body.
func (r *campaignRig) do(method, path, body string) (int, []byte) {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (r *campaignRig) must(method, path, body string, want int, out any) {
	r.t.Helper()
	st, b := r.do(method, path, body)
	if st != want {
		r.t.Fatalf("%s %s: %d %s, want %d", method, path, st, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// events opens /v1/events for the named events and sends each event's
// name and data on the channel.
func (r *campaignRig) events(names string) <-chan [2]string {
	ctx, cancel := context.WithCancel(context.Background())
	r.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", r.base+"/v1/events?event="+names, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		r.t.Fatalf("GET /v1/events: %s", resp.Status)
	}
	out := make(chan [2]string, 256)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		ev := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok && ev != "" {
				out <- [2]string{ev, v}
				ev = ""
			}
		}
	}()
	return out
}

func waitEvent(t *testing.T, ch <-chan [2]string, name string) string {
	t.Helper()
	timeout := time.After(90 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %s", name)
			}
			if e[0] == name {
				return e[1]
			}
		case <-timeout:
			t.Fatalf("no %s on the stream", name)
		}
	}
}

// A campaign to a group and two numbers: the quote prices and skips as
// the launch will; the launch queues one personalised message per
// recipient carrying the campaign, skips who cannot be sent, and the
// campaign finishes with its event, its counts, its quoted and actual
// cost and its recipients' export; it cannot be launched twice, and a
// clone is a new draft.
func TestDaemonCampaignLaunchToFinish(t *testing.T) {
	r := newCampaignRig(t, 2, 0)
	for _, c := range []string{
		`{"number":"+15550123001","name":"Ann","groups":["vip"]}`,
		`{"number":"+15550123002","name":"Bob","groups":["vip"]}`,
		`{"number":"+15550123003","name":"Cy","groups":["vip"]}`,
	} {
		r.must("POST", "/v1/contacts", c, 201, nil)
	}
	var c campaign.Campaign
	r.must("POST", "/v1/campaigns", `{"name":"spring","template":"Hi {{name}}, spring sale!",
		"audience":{"groups":["vip"],"numbers":["+15550123009","+15550123001","12x"]},"delivery_report":true}`, 201, &c)
	if c.State != campaign.StateDraft || c.Category != "marketing" || c.ID == "" {
		t.Fatalf("created %+v", c)
	}
	var q campaign.Quote
	r.must("POST", "/v1/campaigns/"+c.ID+"/quote", "", 200, &q)
	if q.Recipients != 3 || len(q.Skipped) != 2 || q.Total.String() != "0.15" {
		t.Fatalf("quote %+v", q)
	}
	evs := r.events("campaign:finished")
	r.must("POST", "/v1/campaigns/"+c.ID+"/launch", "", 202, &c)
	if c.State != campaign.StateRunning {
		t.Fatalf("launched %+v", c)
	}
	data := waitEvent(t, evs, "campaign:finished")
	if !strings.Contains(data, `"campaign":"`+c.ID+`"`) {
		t.Errorf("finished event %s", data)
	}
	r.must("GET", "/v1/campaigns/"+c.ID, "", 200, &c)
	k := c.Counts
	if c.State != campaign.StateFinished || k.Recipients != 5 || k.Skipped != 2 || k.Sent+k.Delivered != 3 || k.Pending+k.Queued+k.Sending != 0 {
		t.Fatalf("finished campaign %+v", c)
	}
	if c.Cost.Quoted.String() != "0.15" || c.Cost.Currency != "EUR" {
		t.Errorf("quoted cost %+v", c.Cost)
	}
	var list api.MessageList
	r.must("GET", "/v1/messages?campaign="+c.ID, "", 200, &list)
	if len(list.Messages) != 3 {
		t.Fatalf("campaign messages %+v", list.Messages)
	}
	texts := map[string]bool{}
	for _, m := range list.Messages {
		if m.Campaign != c.ID || m.Category != "marketing" {
			t.Errorf("message %+v", m)
		}
		texts[m.Text] = true
	}
	if !texts["Hi Ann, spring sale!"] || !texts["Hi Cy, spring sale!"] {
		t.Errorf("texts %v", texts)
	}
	// Spend is recorded by a consumer after each send: the actual cost
	// catches up with the quote.
	deadline := time.Now().Add(60 * time.Second)
	for c.Cost.Actual != c.Cost.Quoted && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		r.must("GET", "/v1/campaigns/"+c.ID, "", 200, &c)
	}
	if c.Cost.Actual.String() != "0.15" || c.Cost.SentParts != 3 {
		t.Errorf("actual cost %+v", c.Cost)
	}
	st, csvBody := r.do("GET", "/v1/campaigns/"+c.ID+"/recipients?format=csv", "")
	lines := strings.Split(strings.TrimSpace(string(csvBody)), "\n")
	if st != 200 || len(lines) != 6 || !strings.HasPrefix(lines[0], "number,name,state,reason") || !strings.Contains(string(csvBody), "missing_field") {
		t.Errorf("recipients CSV %d:\n%s", st, csvBody)
	}
	var rl api.RecipientList
	r.must("GET", "/v1/campaigns/"+c.ID+"/recipients?limit=2", "", 200, &rl)
	if len(rl.Recipients) != 2 || rl.NextCursor == "" {
		t.Errorf("recipients page %+v", rl)
	}
	st, b := r.do("POST", "/v1/campaigns/"+c.ID+"/launch", "")
	if st != 409 || !strings.Contains(string(b), api.CodeCampaignState) {
		t.Errorf("second launch: %d %s", st, b)
	}
	var cl campaign.Campaign
	r.must("POST", "/v1/campaigns/"+c.ID+"/clone", "", 201, &cl)
	if cl.State != campaign.StateDraft || cl.ID == c.ID || cl.Name != "spring (copy)" || cl.Counts.Recipients != 0 {
		t.Errorf("clone %+v", cl)
	}
	for _, bad := range []struct{ body, code string }{
		{`{"name":"x","template":"hi","audience":{"groups":["nope"]}}`, api.CodeInvalidAudience},
		{`{"name":"x","template":"hi {{nom}}","audience":{"numbers":["+15550123001"]}}`, "invalid_template"},
		{`{"name":"x","template":"hi","audience":{}}`, api.CodeInvalidField},
		{`{"name":"x","template":"hi","audience":{"numbers":["+15550123001"]},"window":{"from":"25:00","to":"08:00"}}`, campaign.CodeInvalidWindow},
		{`{"name":"x","template":"hi","audience":{"numbers":["+15550123001"]},"colour":"red"}`, api.CodeUnknownField},
	} {
		st, b := r.do("POST", "/v1/campaigns", bad.body)
		if st != 400 || !strings.Contains(string(b), `"code":"`+bad.code+`"`) {
			t.Errorf("%s: %d %s, want 400 %s", bad.body, st, b, bad.code)
		}
	}
	if st, _ := r.do("GET", "/v1/campaigns/999", ""); st != 404 {
		t.Errorf("unknown campaign: %d", st)
	}
}

// A STOP from one recipient mid-campaign: that recipient's message still
// waiting is cancelled (never sent) and counted as opted out; the others
// go out and the campaign finishes. Pause holds the waiting messages while
// the STOP arrives, so the test does not race the modem.
func TestDaemonCampaignStopMidCampaign(t *testing.T) {
	r := newCampaignRig(t, 1, 300*time.Millisecond)
	numbers := []string{"+15550124001", "+15550124002", "+15550124003", "+15550124004"}
	var c campaign.Campaign
	r.must("POST", "/v1/campaigns", `{"name":"stop","template":"Offer for you. Reply STOP to opt out",
		"audience":{"numbers":["`+strings.Join(numbers, `","`)+`"]}}`, 201, &c)
	evs := r.events("sms:sent,sms:optout,campaign:finished")
	r.must("POST", "/v1/campaigns/"+c.ID+"/launch", "", 202, nil)
	waitEvent(t, evs, "sms:sent")
	r.must("POST", "/v1/campaigns/"+c.ID+"/pause", "", 200, &c)
	if c.State != campaign.StatePaused {
		t.Fatalf("paused %+v", c)
	}
	stopper := numbers[3]
	if err := r.d.net.Deliver("+15550100001", stopper, "STOP"); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, evs, "sms:optout")
	r.must("POST", "/v1/campaigns/"+c.ID+"/resume", "", 200, nil)
	waitEvent(t, evs, "campaign:finished")
	r.must("GET", "/v1/campaigns/"+c.ID, "", 200, &c)
	// The STOP is also the one reply the campaign got.
	if k := c.Counts; k.OptedOut != 1 || k.Cancelled != 1 || k.Sent+k.Delivered != 3 || k.Replies != 1 || c.State != campaign.StateFinished {
		t.Fatalf("counts %+v state %s", k, c.State)
	}
	var list api.MessageList
	r.must("GET", "/v1/messages?campaign="+c.ID+"&to=%2B"+strings.TrimPrefix(stopper, "+"), "", 200, &list)
	if len(list.Messages) != 1 || list.Messages[0].State != "cancelled" || list.Messages[0].Reason != queue.ReasonOptedOut {
		t.Fatalf("the opted-out recipient's message %+v", list.Messages)
	}
	// What reached the recipient is only the gateway's own answer to the
	// STOP (the opt-out confirmation), never the campaign's message.
	var all api.MessageList
	r.must("GET", "/v1/messages?to=%2B"+strings.TrimPrefix(stopper, "+"), "", 200, &all)
	own := 0
	for _, m := range all.Messages {
		if m.Campaign == "" && m.AutoReply {
			own++
		}
	}
	got := 0
	for _, s := range r.d.net.Submitted() {
		if s.To == stopper {
			got++
		}
	}
	if got > own {
		t.Errorf("%d messages reached %s, only %d of them the gateway's own answers: %+v", got, stopper, own, all.Messages)
	}
}
