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
	"smsgw/config"
)

// TestFleetModemList: two gateways on one database. Each lists both
// gateways' modems with their node and whether that node is alive; a
// modem id a live gateway already uses is refused at start; USSD for
// another gateway's modem is a conflict naming its gateway; a gateway that
// stops gracefully is shown stopped at once.
func TestFleetModemList(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "shared.db")
	gateway := func(node string, simulate int) (*Daemon, error) {
		cfg := config.Default()
		cfg.Server.Listen = "127.0.0.1:0"
		cfg.Storage.Path = db
		cfg.Node.Name, cfg.Node.Lease = node, config.D(3*time.Second)
		cfg.Simulate.Dir = filepath.Join(dir, "sim-"+node)
		cfg.Autodetect.Enabled = false
		if simulate > 0 {
			if err := cfg.SetSimulate(simulate); err != nil {
				t.Fatal(err)
			}
		}
		return New(cfg, Options{Version: "test"})
	}
	stop := func(d *Daemon) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Close(ctx)
	}
	a, err := gateway("a", 1)
	if err != nil {
		t.Fatal(err)
	}
	aStopped := false
	defer func() {
		if !aStopped {
			stop(a)
		}
	}()
	// b's emulated modem would also be sim1.
	if b, err := gateway("b", 1); err == nil {
		stop(b)
		t.Fatal("a second gateway with modem id sim1 started beside a live one")
	} else if !strings.Contains(err.Error(), `modem id "sim1" is already used by gateway "a"`) {
		t.Fatalf("refusal = %v; want it to name the modem and the gateway", err)
	}
	b, err := gateway("b", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(b)

	get := func(d *Daemon, method, path string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+d.Addr()+path, strings.NewReader(`{"code":"*100#"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	list := func(d *Daemon) api.ModemList {
		t.Helper()
		code, body := get(d, "GET", "/v1/modems")
		var l api.ModemList
		if code != 200 || json.Unmarshal(body, &l) != nil {
			t.Fatalf("GET /v1/modems = %d %s", code, body)
		}
		return l
	}
	// a beats at its start; b lists a's modem from the register.
	for _, d := range []*Daemon{a, b} {
		l := list(d)
		if len(l.Modems) != 1 || l.Modems[0].ID != "sim1" || l.Modems[0].Node != "a" || l.Modems[0].NodeAlive == nil || !*l.Modems[0].NodeAlive {
			t.Fatalf("modems seen from %s = %+v; want sim1 of the live gateway a", d.cfg.Node.Name, l.Modems)
		}
	}
	if code, body := get(b, "GET", "/v1/modems/sim1"); code != 200 || !strings.Contains(string(body), `"node":"a"`) {
		t.Fatalf("GET /v1/modems/sim1 on b = %d %s", code, body)
	}
	if code, body := get(b, "POST", "/v1/modems/sim1/ussd"); code != 409 || !strings.Contains(string(body), `belongs to gateway \"a\"`) {
		t.Fatalf("USSD on b for a's modem = %d %s; want 409 naming gateway a", code, body)
	}

	// a stops gracefully: once it has stopped claiming it leaves the
	// register, so b shows it stopped at once, long before its 3 s lease
	// would have run out, and for as long as it stays stopped.
	stop(a)
	aStopped = true
	l := list(b)
	if len(l.Modems) != 1 {
		t.Fatalf("modems seen from b after a stopped = %+v", l.Modems)
	}
	m := l.Modems[0]
	if m.Node != "a" || m.NodeAlive == nil || *m.NodeAlive || m.NodeStoppedAt == nil || m.State != "stopped" ||
		m.Registration != "unknown" || m.LastSeen == nil {
		t.Fatalf("a's modem right after a stopped = %+v; want node a not alive, stopped (with when), last seen at its last beat", m)
	}
	if code, body := get(b, "GET", "/v1/modems"); code != 200 || !strings.Contains(string(body), `"node_stopped_at":`) {
		t.Fatalf("GET /v1/modems on b = %d %s; want node_stopped_at", code, body)
	}
}

// TestSettingsHideTheDSN: the dashboard's settings page shows the storage
// driver but never the DSN (it may hold a password), nor the banner's name
// of the database more than its host and name.
func TestSettingsHideTheDSN(t *testing.T) {
	cfg, err := config.Parse("[storage]\ndriver = \"postgres\"\ndsn = \"postgres://smsgw:s3cret@db.lan:5432/fleet?sslmode=require\"")
	if err != nil {
		t.Fatal(err)
	}
	s := SettingsText(cfg)
	if !strings.Contains(s, `driver = "postgres"`) || strings.Contains(s, "s3cret") || strings.Contains(s, "db.lan") {
		t.Fatalf("settings show the DSN:\n%s", s)
	}
	if got := DatabaseName(cfg.Storage); got != "postgres db.lan:5432/fleet" {
		t.Fatalf("DatabaseName = %q", got)
	}
	cfg.Storage.DSN = "host=/run/postgresql dbname=fleet user=smsgw password=s3cret"
	if got := DatabaseName(cfg.Storage); got != "postgres /run/postgresql/fleet" {
		t.Fatalf("DatabaseName of key=value pairs = %q", got)
	}
}
