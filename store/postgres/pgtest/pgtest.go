// Package pgtest gives tests a PostgreSQL database of their own. The
// server comes from SMSGW_TEST_POSTGRES, an administrator's DSN (a URL
// such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, or
// key=value pairs); each database is created for one test under a unique
// name and dropped when the test ends. Without the variable a test is
// skipped on a developer's machine and fails in CI (CI set), where .ci/run
// starts a throwaway server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the administrator's DSN of the test server.
const EnvVar = "SMSGW_TEST_POSTGRES"

// AdminDSN returns the administrator's DSN, skipping the test when it is
// not set (failing it under CI).
func AdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must provide a PostgreSQL server (see .ci/run)", EnvVar)
		}
		t.Skipf("%s is not set: no PostgreSQL server to test against", EnvVar)
	}
	return dsn
}

var unsafe = regexp.MustCompile(`[^a-z0-9_]+`)

// DatabaseName is a name for a fresh database of the test called name:
// readable, unique (a random suffix), at most 63 bytes.
func DatabaseName(name string) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	base := unsafe.ReplaceAllString(strings.ToLower(name), "_")
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	return "smsgw_t_" + strings.Trim(base, "_") + "_" + hex.EncodeToString(b[:])
}

// DSN creates a fresh database for the test (name labels it, usually the
// test's name) and returns the DSN that opens it. The database is dropped
// when the test ends, after the cleanups registered later (the stores
// opened on it) have run.
func DSN(t testing.TB, name string) string {
	t.Helper()
	admin := AdminDSN(t)
	db := DatabaseName(name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", db, err)
	}
	t.Cleanup(func() { drop(t, admin, db) })
	return WithDatabase(t, admin, db)
}

func drop(t testing.TB, admin, db string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("pgtest: drop %s: %v", db, err)
		return
	}
	defer conn.Close(context.Background())
	// FORCE: a store a failed test left open must not keep it alive.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop %s: %v", db, err)
	}
}

// WithDatabase returns dsn naming database db instead of its own.
func WithDatabase(t testing.TB, dsn, db string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("pgtest: %s does not parse as a URL", EnvVar)
		}
		u.Path = "/" + db
		return u.String()
	}
	return fmt.Sprintf("%s dbname=%s", dsn, db)
}
