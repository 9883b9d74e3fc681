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
	"sync"
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

// DSN creates a fresh, empty database for the test (name labels it,
// usually the test's name) and returns the DSN that opens it. The database
// is dropped when the test ends, after the cleanups registered later (the
// stores opened on it) have run.
func DSN(t testing.TB, name string) string {
	t.Helper()
	return create(t, name, "")
}

// Template is a database prepared once (migrated, say) that fresh test
// databases are copied from, which is quicker than preparing each.
type Template struct {
	once  sync.Once
	setup func(dsn string) error
	name  string
	err   error
	admin string
}

// NewTemplate returns a template that setup prepares, given its DSN, the
// first time a database is made from it. Drop it when the tests are done
// (TestMain).
func NewTemplate(setup func(dsn string) error) *Template { return &Template{setup: setup} }

// DSN creates a fresh database for the test, a copy of the template, and
// returns the DSN that opens it; it is dropped when the test ends.
func (tp *Template) DSN(t testing.TB, name string) string {
	t.Helper()
	admin := AdminDSN(t)
	tp.once.Do(func() {
		tp.admin = admin
		tp.name = DatabaseName("template")
		if tp.err = exec(admin, "CREATE DATABASE "+pgx.Identifier{tp.name}.Sanitize()); tp.err != nil {
			return
		}
		tp.err = tp.setup(withDatabase(admin, tp.name))
	})
	if tp.err != nil {
		t.Fatalf("pgtest: prepare the template database: %v", tp.err)
	}
	return create(t, name, tp.name)
}

// Drop removes the template's database, if one was made.
func (tp *Template) Drop() error {
	if tp.name == "" {
		return nil
	}
	return exec(tp.admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{tp.name}.Sanitize()+" WITH (FORCE)")
}

func create(t testing.TB, name, template string) string {
	t.Helper()
	admin := AdminDSN(t)
	db := DatabaseName(name)
	q := "CREATE DATABASE " + pgx.Identifier{db}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := exec(admin, q); err != nil {
		t.Fatalf("pgtest: create database %s: %v", db, err)
	}
	t.Cleanup(func() {
		// FORCE: a store a failed test left open must not keep it alive.
		if err := exec(admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", db, err)
		}
	})
	return withDatabase(admin, db)
}

// exec runs one statement on the server as the administrator.
func exec(admin, q string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", EnvVar, err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, q)
	return err
}

// withDatabase returns dsn naming database db instead of its own.
func withDatabase(dsn, db string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			u.Path = "/" + db
			return u.String()
		}
	}
	return fmt.Sprintf("%s dbname=%s", dsn, db)
}
