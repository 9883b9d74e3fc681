package daemon

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/config"
)

// The daemon serves the dashboard at / on the API's listener and prints
// its address (what `make run` shows); without tokens it is open on
// loopback.
func TestDaemonServesAndPrintsTheDashboard(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(t.TempDir(), "smsgw.db")
	var out bytes.Buffer
	d, err := New(cfg, Options{Stdout: &out, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Close(ctx)
	}()
	want := "dashboard: http://" + d.Addr() + "/\n"
	if !strings.Contains(out.String(), want) {
		t.Fatalf("the banner lacks %q:\n%s", want, out.String())
	}
	resp, err := http.Get("http://" + d.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `name="smsgw-page" content="overview"`) {
		t.Fatalf("GET /: %d %.300s", resp.StatusCode, b)
	}
}
