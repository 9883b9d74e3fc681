package gateway

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// recordHandler hands every record that says a hook will retry to a
// channel.
type recordHandler struct{ ch chan slog.Record }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "hook failed, will retry" {
		h.ch <- r
	}
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

// TestHookRetryLoggedIsStored: the retry a failing hook announces in the
// log is the one the durable outbox stored, not a figure of its own. The
// backoff is long so that nothing is retried (and nothing sleeps) during
// the test; the stored next attempt is read back from the queue.
func TestHookRetryLoggedIsStored(t *testing.T) {
	dir := t.TempDir()
	o := DefaultOptions()
	o.Webhook.Backoff = time.Hour
	o.Webhook.MaxBackoff = 4 * time.Hour
	records := make(chan slog.Record, 8)
	log := slog.New(recordHandler{records})
	o.Logger = log
	st, err := sqlite.Open(filepath.Join(dir, "smsgw.db"), QueueOptions(o), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	o.Store, o.Webhooks, o.WebhookImport = st, st, filepath.Join(dir, "webhooks.json")
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.AddConsumer(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+4915112345678", PDU: []byte{0}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d := hooks.NewDispatcher(g.outbox, log, hooks.Consumer{Name: "c", MaxAttempts: 5,
		Deliver: func(context.Context, smsgw.Event) error { return errors.New("receiver down") }})
	defer d.Close(ctx)

	var logged time.Time
	select {
	case r := <-records:
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "at" {
				logged, _ = a.Value.Any().(time.Time)
			}
			return true
		})
	case <-time.After(20 * time.Second):
		t.Fatal("no retry was logged")
	}
	if logged.IsZero() {
		t.Fatal("the retry log record carries no time")
	}
	evs, stored, err := st.NextEvents(ctx, "c", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("%d events due again at once", len(evs))
	}
	// The store keeps milliseconds.
	if diff := logged.Sub(stored).Abs(); diff > time.Millisecond {
		t.Errorf("logged retry at %v, stored %v (%v apart)", logged, stored, diff)
	}
	// The first wait is webhook.backoff less at most 20% jitter.
	if wait := stored.Sub(start); wait < 47*time.Minute || wait > time.Hour+time.Minute {
		t.Errorf("first retry %v after the failure, want 48m..1h", wait)
	}
}
