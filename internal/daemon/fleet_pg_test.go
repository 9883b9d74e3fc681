package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/config"
	"smsgw/store/postgres/pgtest"
)

// TestFleetSimulatedOnPostgres: two gateways on one PostgreSQL database,
// each running an emulated modem, start side by side (their emulated
// modems are named after their node, so the ids do not collide) and each
// lists both modems with their node.
func TestFleetSimulatedOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	dir := t.TempDir()
	var ds []*Daemon
	defer func() {
		for _, d := range ds {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			d.Close(ctx)
			cancel()
		}
	}()
	for _, node := range []string{"north", "south"} {
		cfg := config.Default()
		cfg.Server.Listen = "127.0.0.1:0"
		cfg.Storage.Driver, cfg.Storage.DSN = config.DriverPostgres, config.Secret(dsn)
		cfg.Storage.Path = filepath.Join(dir, node, "smsgw.db")
		cfg.Node.Name = node
		cfg.Simulate.Dir = filepath.Join(dir, node, "sim")
		if err := cfg.SetSimulate(1); err != nil {
			t.Fatal(err)
		}
		d, err := New(cfg, Options{Version: "test"})
		if err != nil {
			t.Fatalf("gateway %s: %v", node, err)
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := http.Get("http://" + d.Addr() + "/v1/modems")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var l api.ModemList
			if err := json.Unmarshal(b, &l); err != nil {
				t.Fatalf("%s: %s", err, b)
			}
			if len(l.Modems) == 2 && l.Modems[0].ID == "north-sim1" && l.Modems[0].Node == "north" &&
				l.Modems[1].ID == "south-sim1" && l.Modems[1].Node == "south" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("gateway %s lists %s; want north-sim1 of north and south-sim1 of south", d.cfg.Node.Name, b)
			}
			time.Sleep(50 * time.Millisecond) // the other's first heartbeat
		}
	}
}
