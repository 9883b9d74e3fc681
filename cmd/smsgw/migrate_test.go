package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/store/sqlite"
)

// TestMigrateSQLite: migrate creates and upgrades the configured database,
// says so, says nothing changed the second time, and refuses (leaving it
// alone) a database written by a newer smsgw, as serve does.
func TestMigrateSQLite(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	cfg := filepath.Join(dir, "smsgw.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[storage]\npath = %q\n", db)), 0o600); err != nil {
		t.Fatal(err)
	}
	v := sqlite.SchemaVersion()
	code, out, errs := runArgs("migrate", "--config", cfg)
	if want := fmt.Sprintf("%s: schema version %d (was 0)\n", db, v); code != 0 || out != want || errs != "" {
		t.Fatalf("first migrate: exit %d, stdout %q (want %q), stderr %q", code, out, want, errs)
	}
	code, out, errs = runArgs("migrate", "--config", cfg)
	if want := fmt.Sprintf("%s: schema version %d, up to date\n", db, v); code != 0 || out != want || errs != "" {
		t.Fatalf("second migrate: exit %d, stdout %q (want %q), stderr %q", code, out, want, errs)
	}

	h, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Exec(fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		t.Fatal(err)
	}
	h.Close()
	code, out, errs = runArgs("migrate", "--config", cfg)
	if code != exitRefused || out != "" || !strings.Contains(errs, "newer than this smsgw") ||
		!strings.Contains(errs, fmt.Sprintf("schema version %d but this smsgw knows only up to %d", v+1, v)) {
		t.Fatalf("migrate of a newer database: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runArgs("serve", "--config", cfg, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, "newer than this smsgw") {
		t.Fatalf("serve on a newer database: exit %d, stderr %q", code, errs)
	}
	h, err = sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var got int
	if err := h.QueryRow("PRAGMA user_version").Scan(&got); err != nil || got != v+1 {
		t.Fatalf("the newer database's version is now %d, %v; want it left at %d", got, err, v+1)
	}
}
