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

	"smsgw"
	"smsgw/api"
	"smsgw/campaign"
	"smsgw/config"
	"smsgw/queue"
)

// A budget cap reached in the middle of a batch: the modem stops claiming
// right after the message that reached it, says why in its status, a
// budget:paused event is recorded, nothing is dropped (the rest stay
// queued), and raising the cap through the API sends the rest without
// anything else being done.
func TestDaemonBudgetCapPausesAndResumes(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(dir, "smsgw.db")
	cfg.Simulate.Dir = filepath.Join(dir, "sim")
	cfg.Prices = []config.PriceConfig{{PricePerPart: config.PriceAmount{Value: 500000}, Currency: "EUR"}}
	// sim1's own tariff: 0.10 a part, one free part a month, 0.25 a day.
	cfg.Tariffs = []config.TariffConfig{{Modem: "sim1", FreePartsPerMonth: 1, BudgetDay: &config.PriceAmount{Value: 250000},
		Prices: []config.PriceConfig{{PricePerPart: config.PriceAmount{Value: 100000}, Currency: "EUR"}}}}
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
	// A quote pinned to sim1 prices by its tariff: 10 parts, one free.
	var q api.QuoteAnswer
	to := make([]string, 10)
	for i := range to {
		to[i] = fmt.Sprintf("+1555020%04d", i)
	}
	tos, _ := json.Marshal(to)
	json.Unmarshal(do("POST", "/v1/quote", `{"to":`+string(tos)+`,"text":"offer","modem":"sim1"}`), &q)
	if q.Total.String() != "0.90" || q.FreeParts != 1 {
		t.Fatalf("quote %+v", q)
	}
	var sent api.SendResponse
	json.Unmarshal(do("POST", "/v1/messages", `{"to":`+string(tos)+`,"text":"offer","modem":"sim1","category":"marketing"}`), &sent)
	ids := map[string]bool{}
	for _, m := range sent.Messages {
		ids[m.ID] = true
	}
	if len(ids) != 10 {
		t.Fatalf("send %+v", sent)
	}
	// free, 0.10, 0.20, 0.30: the fourth reaches the 0.25 cap.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond) // sends and the spend consumer run in the daemon; nothing signals out here
		}
	}
	var mod smsgw.ModemStatus
	waitFor("sim1 paused by its budget", func() bool {
		mod = smsgw.ModemStatus{}
		json.Unmarshal(do("GET", "/v1/modems/sim1", ""), &mod)
		return mod.BudgetPaused != ""
	})
	counts := func() map[smsgw.State]int {
		c := map[smsgw.State]int{}
		for id := range ids {
			var m struct {
				State smsgw.State `json:"state"`
			}
			json.Unmarshal(do("GET", "/v1/messages/"+id, ""), &m)
			c[m.State]++
		}
		return c
	}
	// The spend of the fourth is recorded too; the cap held from it on.
	var tf api.TariffAnswer
	waitFor("the spend recorded", func() bool {
		tf = api.TariffAnswer{}
		json.Unmarshal(do("GET", "/v1/tariffs/sim1", ""), &tf)
		var rep api.SpendReport
		json.Unmarshal(do("GET", "/v1/spend?by=modem", ""), &rep)
		return len(rep.Rows) == 1 && rep.Rows[0].Messages == 4
	})
	// A message claimed ahead while the fourth was on the wire is handed
	// back: six queued, never a fifth sent.
	waitFor("four sent and six queued", func() bool {
		c := counts()
		if c[smsgw.StateSent]+c[smsgw.StateDelivered] > 4 || c[smsgw.StateFailed] > 0 {
			t.Fatalf("after the cap: %v (modem: %s)", c, mod.BudgetPaused)
		}
		return c[smsgw.StateQueued] == 6
	})
	if tf.Usage == nil || tf.Usage.Paused != campaign.CapDay || tf.Usage.DayCost.String() != "0.30" || tf.Usage.MonthParts != 4 || tf.Usage.FreePartsLeft != 0 {
		t.Fatalf("tariff usage %+v", tf.Usage)
	}
	var rep api.SpendReport
	json.Unmarshal(do("GET", "/v1/spend?by=modem", ""), &rep)
	if rep.Rows[0].Cost.String() != "0.30" || rep.Rows[0].FreeParts != 1 {
		t.Fatalf("spend %+v", rep.Rows)
	}
	evs, err := d.store.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	paused := 0
	for _, e := range evs {
		if e.Type == queue.EventBudgetPaused {
			paused++
		}
	}
	if paused != 1 {
		t.Fatalf("%d budget.paused events", paused)
	}
	// Raising the cap: the rest goes out with nothing else done.
	do("PUT", "/v1/tariffs/sim1", `{"free_parts_per_month":1,"budget_day":"5.00","prices":[{"prefix":"","price_per_part":"0.10","currency":"EUR"}]}`)
	waitFor("every message sent", func() bool {
		c := counts()
		return c[smsgw.StateSent]+c[smsgw.StateDelivered] == 10
	})
	mod = smsgw.ModemStatus{}
	json.Unmarshal(do("GET", "/v1/modems/sim1", ""), &mod)
	if mod.BudgetPaused != "" {
		t.Fatalf("still paused: %s\n%s\n%s", mod.BudgetPaused, do("GET", "/v1/tariffs/sim1", ""), do("GET", "/v1/spend?by=modem", ""))
	}
}
