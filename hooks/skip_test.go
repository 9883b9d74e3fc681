package hooks

import (
	"context"
	"testing"

	"smsgw"
)

// TestDispatcherSkipIsDone: an event the consumer filters out is finished
// for it at once: not retried, not dropped with a reason.
func TestDispatcherSkipIsDone(t *testing.T) {
	ob := NewMemOutbox()
	wh := &Webhook{URL: "http://127.0.0.1:9/never", Events: []string{"sms:received"}}
	d := NewDispatcher(ob, nil, Consumer{Name: "wh", MaxAttempts: 5, Deliver: wh.Deliver})
	ev := ob.Add(smsgw.Event{Event: "sms:sent"})
	defer d.Close(context.Background())
	waitFor(t, func() bool { return ob.Pending("wh") == 0 })
	if n, why := ob.Attempts("wh", ev.ID); n != 1 || why != "" {
		t.Fatalf("skipped event: %d attempts, reason %q", n, why)
	}
}
