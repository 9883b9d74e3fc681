package gateway

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"smsgw/hooks"
	"smsgw/store/sqlite"
)

// TestWebhookFileImported: a webhooks.json left by an earlier version is
// moved into the database at New and renamed .imported, so an upgrade keeps
// its registrations; the next start finds them in the database alone.
func TestWebhookFileImported(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "webhooks.json")
	if err := os.WriteFile(file, []byte(`[
  {"id": "b2", "url": "https://example.com/in", "event": "sms:received", "deviceId": "m1"},
  {"id": "a1", "url": "https://example.com/all", "event": ""}
]`), 0o600); err != nil {
		t.Fatal(err)
	}
	want := []hooks.Registration{
		{ID: "a1", URL: "https://example.com/all"},
		{ID: "b2", URL: "https://example.com/in", Event: "sms:received", DeviceID: "m1"},
	}
	db := filepath.Join(dir, "smsgw.db")
	start := func() []hooks.Registration {
		t.Helper()
		o := DefaultOptions()
		st, err := sqlite.Open(db, QueueOptions(o), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close(ctx)
		o.Store, o.Webhooks, o.WebhookImport = st, st, file
		g, err := New(o)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		got, err := g.Webhooks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff(want, start()); diff != "" {
		t.Fatalf("after import (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("webhooks.json still there after import: %v", err)
	}
	if _, err := os.Stat(file + ".imported"); err != nil {
		t.Fatalf("webhooks.json.imported: %v", err)
	}
	if diff := cmp.Diff(want, start()); diff != "" {
		t.Fatalf("after restart (-want +got):\n%s", diff)
	}
}

// TestWebhookFileUnreadable: a damaged webhooks.json stops the start with
// its name and is left in place, rather than being renamed with its
// registrations lost.
func TestWebhookFileUnreadable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "webhooks.json")
	if err := os.WriteFile(file, []byte(`[{"id": "a1", "url":`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	st, err := sqlite.Open(filepath.Join(dir, "smsgw.db"), QueueOptions(o), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	o.Store, o.Webhooks, o.WebhookImport = st, st, file
	if _, err := New(o); err == nil {
		t.Fatal("New accepted a damaged webhooks.json")
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("damaged webhooks.json was moved: %v", err)
	}
}
