package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"smsgw/store/postgres"
	"smsgw/store/postgres/pgtest"
)

// TestMigratePostgres: migrate on a fresh PostgreSQL database applies every
// step and says so, then finds nothing to do; a database at a newer version
// is refused by migrate and by serve and left alone. The DSN's password
// appears in no output.
func TestMigratePostgres(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skip("the test server's DSN is not a URL; the password check needs one")
	}
	// The test server trusts local connections: the password is never
	// asked for, only carried.
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	dsn = u.String()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "smsgw.toml")
	conf := fmt.Sprintf("[storage]\ndriver = \"postgres\"\ndsn = %q\npath = %q\n", dsn, filepath.Join(dir, "state", "smsgw.db"))
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	v := postgres.SchemaVersion()
	where := "postgres " + u.Host + u.Path
	check := func(what string, code int, out, errs string) {
		t.Helper()
		if strings.Contains(out+errs, "s3cret-pw") {
			t.Fatalf("%s printed the DSN's password: %q %q", what, out, errs)
		}
	}
	code, out, errs := runArgs("migrate", "--config", cfg)
	check("migrate", code, out, errs)
	if want := fmt.Sprintf("%s: schema version %d (was 0)\n", where, v); code != 0 || out != want {
		t.Fatalf("first migrate: exit %d, stdout %q (want %q), stderr %q", code, out, want, errs)
	}
	code, out, errs = runArgs("migrate", "--config", cfg)
	check("migrate", code, out, errs)
	if want := fmt.Sprintf("%s: schema version %d, up to date\n", where, v); code != 0 || out != want {
		t.Fatalf("second migrate: exit %d, stdout %q (want %q), stderr %q", code, out, want, errs)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE schema_version SET version = $1`, v+1); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runArgs("migrate", "--config", cfg)
	check("migrate", code, out, errs)
	if code != exitRefused || !strings.Contains(errs, fmt.Sprintf("schema version %d but this smsgw knows only up to %d", v+1, v)) {
		t.Fatalf("migrate of a newer database: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runArgs("serve", "--config", cfg, "--listen", "127.0.0.1:0")
	check("serve", code, out, errs)
	if code == 0 || !strings.Contains(errs, "newer than this smsgw") {
		t.Fatalf("serve on a newer database: exit %d, stderr %q", code, errs)
	}
	var got int
	if err := conn.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&got); err != nil || got != v+1 {
		t.Fatalf("the newer database's version is now %d, %v; want it left at %d", got, err, v+1)
	}
}
