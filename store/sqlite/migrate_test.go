package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/queue"

	"smsgw"
)

// TestMigrationFromV1 builds a database with the first schema exactly as
// released (testdata/schema_v1.sql), fills it the way version 1 did, and
// checks that Open upgrades it without losing or breaking anything.
func TestMigrationFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	v1, err := os.ReadFile("testdata/schema_v1.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(v1), "PRAGMA user_version = 1",
		`INSERT INTO messages (recipient, text, state, next_at, created_at, updated_at, priority)
			VALUES ('+4911', 'from v1', 'queued', 0, 1000, 1000, 2)`,
		`INSERT INTO messages (recipient, text, state, next_at, created_at, updated_at, modem, attempts)
			VALUES ('+4922', 'was sending', 'sending', 0, 1000, 1000, 'a', 1)`,
		`INSERT INTO attempts (message_id, modem, started_at) VALUES (2, 'a', 1000)`,
		`INSERT INTO requests (key, hash, first_id, count, created_at) VALUES ('k', x'00', 1, 1, 1000)`,
		`INSERT INTO inbound_parts (modem, sender, ref, total, seq, scts, digest, received_at, pdu)
			VALUES ('m1', '+4917000000', 42, 2, 1, 0, 1, 1000, x'313a6869')`,
		`INSERT INTO events (type, subject_id, at, data) VALUES ('message.sent', 7, 1000, '{}')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("v1 setup %.40q: %v", q, err)
		}
	}
	db.Close()

	st, clk := testStoreAt(t, path, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	var v int
	if err := st.rdb.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion() || v < 2 {
		t.Fatalf("schema version after upgrade = %d, %v; want %d", v, err, SchemaVersion())
	}
	m := wantState(t, st, 1, smsgw.StateQueued)
	if m.Text != "from v1" || m.Priority != 2 {
		t.Errorf("v1 message = %+v", m)
	}
	// The per-state counts start from the rows already there (the sending
	// one was handed back by recovery).
	if c, err := st.Counts(ctx); err != nil || c[smsgw.StateQueued] != 2 || c[smsgw.StateSending] != 0 {
		t.Errorf("counts after upgrade = %v, %v; want 2 queued", c, err)
	}
	// Recovery ran on the upgraded data.
	if m := wantState(t, st, 2, smsgw.StateQueued); m.Reason != queue.ReasonRecovered {
		t.Errorf("v1 sending message reason = %q", m.Reason)
	}
	// The v1 idempotency key still guards its message.
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1"}, Text: "x", IdempotencyKey: "k"}); !errors.Is(err, smsgw.ErrIdempotencyMismatch) {
		t.Errorf("v1 key err = %v", err)
	}
	// The waiting v1 part joins with a new one.
	res, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+4917000000", Ref: 42, Total: 2, Seq: 2, PDU: []byte("2: there")})
	if err != nil || res.InboxID == 0 {
		t.Fatalf("join with v1 part: %+v, %v", res, err)
	}
	in, _ := st.GetInbox(ctx, res.InboxID)
	if in.Text != "hi there" {
		t.Errorf("joined text %q", in.Text)
	}
	// Version 2 features work on the upgraded database.
	if err := st.AddConsumer(ctx, "hook"); err != nil {
		t.Fatal(err)
	}
	j := mustClaim(t, st, modemA)
	st.MarkSent(ctx, j.AttemptID)
	ds, _, err := st.NextEvents(ctx, "hook", 10)
	if err != nil || len(ds) != 1 || ds[0].Type != queue.EventSent {
		t.Errorf("events after upgrade = %+v, %v", ds, err)
	}
	_ = clk
}

func TestSchemaTooNewRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	st, _ := testStoreAt(t, path, queue.Options{})
	st.Close(context.Background())
	db, _ := sql.Open("sqlite3", path)
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(path, queue.Options{Logger: quiet}, Options{})
	if !errors.Is(err, queue.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("Open of a newer database err = %v, want ErrSchemaTooNew naming version 99", err)
	}
}

func TestEmbeddedV1MatchesTestdata(t *testing.T) {
	// The released first schema must never change under our feet.
	v1, _ := os.ReadFile("testdata/schema_v1.sql")
	steps, err := migrations()
	if err != nil || steps[0] != string(v1) {
		t.Fatalf("migrations/0001 differs from testdata/schema_v1.sql (err %v): edit a new migration instead", err)
	}
}
