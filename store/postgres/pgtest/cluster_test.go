package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCluster: a cluster of the test's own answers, stops (connections
// fail) and starts again on the same port with its data.
func TestCluster(t *testing.T) {
	c := StartCluster(t)
	dsn := c.DSN(t, "clustertest")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	c.Stop(t)
	if _, err := conn.Exec(ctx, `SELECT 1`); err == nil {
		t.Fatal("a query succeeded on a stopped cluster")
	}
	conn.Close(ctx)
	c.Start(t)
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after the restart: %d, %v; want 42", v, err)
	}
}
