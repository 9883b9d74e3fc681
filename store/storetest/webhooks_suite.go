package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/hooks"
	"smsgw/queue"
)

// registry is the driver's webhook registry: every driver keeps webhook
// registrations, so one that does not is a failure, not a skip.
func registry(t testing.TB, st queue.Storage) hooks.Registry {
	t.Helper()
	reg, ok := st.(hooks.Registry)
	if !ok {
		t.Fatalf("%T does not implement hooks.Registry", st)
	}
	return reg
}

func mustWebhooks(t testing.TB, reg hooks.Registry) []hooks.Registration {
	t.Helper()
	got, err := reg.Webhooks(context.Background())
	if err != nil {
		t.Fatalf("Webhooks: %v", err)
	}
	return got
}

// testWebhookRegistry: add, list in id order, replace by id, delete, an
// unknown id is ErrNotFound, and the registrations survive a reopen.
func testWebhookRegistry(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	reg := registry(t, st)
	if got := mustWebhooks(t, reg); len(got) != 0 {
		t.Fatalf("fresh store has webhooks %+v", got)
	}
	b := hooks.Registration{ID: "b", URL: "https://example.com/b", Event: smsgw.EventReceived, DeviceID: "m1"}
	a := hooks.Registration{ID: "a", URL: "https://example.com/a"}
	for _, w := range []hooks.Registration{b, a} {
		if err := reg.PutWebhook(ctx, w); err != nil {
			t.Fatalf("PutWebhook(%+v): %v", w, err)
		}
	}
	if diff := cmp.Diff([]hooks.Registration{a, b}, mustWebhooks(t, reg)); diff != "" {
		t.Fatalf("after two adds (-want +got):\n%s", diff)
	}
	a2 := hooks.Registration{ID: "a", URL: "https://example.com/a2", Event: smsgw.EventSent}
	if err := reg.PutWebhook(ctx, a2); err != nil {
		t.Fatalf("replace: %v", err)
	}
	if diff := cmp.Diff([]hooks.Registration{a2, b}, mustWebhooks(t, reg)); diff != "" {
		t.Fatalf("after replacing a (-want +got):\n%s", diff)
	}
	if err := reg.DeleteWebhook(ctx, "b"); err != nil {
		t.Fatalf("DeleteWebhook(b): %v", err)
	}
	if err := reg.DeleteWebhook(ctx, "b"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("second DeleteWebhook(b) = %v, want ErrNotFound", err)
	}
	if err := reg.DeleteWebhook(ctx, "nope"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("DeleteWebhook(nope) = %v, want ErrNotFound", err)
	}
	c := hooks.Registration{ID: "c", URL: "https://example.com/c", DeviceID: "m2"}
	if err := reg.PutWebhook(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	reg2 := registry(t, d.reopen(t, queue.Options{Now: NewClock().Now}))
	if diff := cmp.Diff([]hooks.Registration{a2, c}, mustWebhooks(t, reg2)); diff != "" {
		t.Fatalf("after reopen (-want +got):\n%s", diff)
	}
}
