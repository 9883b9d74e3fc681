package daemon

import (
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
)

// A message sent on an emulated modem is recorded in /v1/spend at the
// price in force when it went out: a later change of the table leaves it.
func TestDaemonSpendAtThePriceWhenSent(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(dir, "smsgw.db")
	cfg.Simulate.Dir = filepath.Join(dir, "sim")
	cfg.Prices = []config.PriceConfig{
		{PricePerPart: config.PriceAmount{Value: 100000}, Currency: "EUR"},
		{Prefix: "1555", PricePerPart: config.PriceAmount{Value: 20000}, Currency: "EUR"},
	}
	if err := cfg.SetSimulate(2); err != nil {
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
	do("POST", "/v1/messages", `{"to":"+15550100002","text":"`+strings.Repeat("x", 200)+`"}`)
	var rep api.SpendReport
	deadline := time.Now().Add(60 * time.Second)
	for {
		rep = api.SpendReport{}
		if err := json.Unmarshal(do("GET", "/v1/spend?by=country", ""), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the spend consumer runs after the send; nothing signals it outside
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Key != "US" || rep.Rows[0].Parts != 2 || rep.Rows[0].Cost.String() != "0.04" || rep.Totals[0].Cost != campaign.Money(40000) {
		t.Fatalf("spend %+v", rep)
	}
	do("PUT", "/v1/prices", `{"prices":[{"prefix":"","price_per_part":"0.50","currency":"EUR"}]}`)
	rep = api.SpendReport{}
	json.Unmarshal(do("GET", "/v1/spend?by=modem", ""), &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Cost.String() != "0.04" || rep.Rows[0].Key == "" {
		t.Fatalf("after a price change %+v", rep)
	}
}
