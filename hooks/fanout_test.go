package hooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"smsgw"
)

// A Fanout hands events in order to each subscriber, caps subscriptions,
// drops a subscriber that lags without blocking the others, and Close
// cuts the blocked writes and refuses new subscribers.
func TestFanout(t *testing.T) {
	f := NewFanout()
	cuts := 0
	a, err := f.Subscribe(2, func() { cuts++ })
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Subscribe(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Subscribe(2, nil); !errors.Is(err, ErrFanoutFull) {
		t.Fatalf("third subscriber at a cap of 2: %v", err)
	}
	deliver := f.Consumer().Deliver
	for i := 0; i < FanoutBuffer; i++ {
		if err := deliver(context.Background(), smsgw.Event{ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < FanoutBuffer; i++ {
		if ev := <-a.C; ev.ID != fmt.Sprint(i) {
			t.Fatalf("a got %s, want %d", ev.ID, i)
		}
	}
	f.Publish(smsgw.Event{ID: "more"}) // b's buffer is full: b is cut off
	select {
	case <-b.Dropped():
	default:
		t.Fatal("a lagging subscriber was not dropped")
	}
	if ev := <-a.C; ev.ID != "more" || f.Subscribers() != 1 {
		t.Fatalf("a got %s, %d subscribers", ev.ID, f.Subscribers())
	}
	f.Close(context.Background())
	f.Close(context.Background())
	select {
	case <-f.Done():
	default:
		t.Fatal("Done not closed")
	}
	if cuts != 1 {
		t.Fatalf("%d cuts, want 1", cuts)
	}
	if _, err := f.Subscribe(0, nil); !errors.Is(err, ErrFanoutClosed) {
		t.Fatalf("subscribe after Close: %v", err)
	}
	f.Publish(smsgw.Event{ID: "late"}) // no subscriber, no panic
}

// KannelDLR looks up targets for delivery reports only, skips an event
// without a dlr-url as ErrSkip, asks for a retry on a 5xx and not on a 4xx.
func TestKannelDLR(t *testing.T) {
	status := make(chan int, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(<-status) }))
	defer srv.Close()
	looked := 0
	k, err := NewKannelDLR(KannelDLROptions{Client: srv.Client(), Target: func(_ context.Context, ev smsgw.Event) (string, error) {
		looked++
		if ev.ID == "none" {
			return "", nil
		}
		return srv.URL + "/dlr", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := k.Deliver(ctx, smsgw.Event{ID: "r", Event: smsgw.EventReceived}); !errors.Is(err, ErrSkip) || looked != 0 {
		t.Fatalf("a received message: %v after %d lookups", err, looked)
	}
	if err := k.Deliver(ctx, smsgw.Event{ID: "none", Event: smsgw.EventDelivered}); !errors.Is(err, ErrNoDLR) || !errors.Is(err, ErrSkip) {
		t.Fatalf("no dlr-url: %v", err)
	}
	status <- 503
	if err := k.Deliver(ctx, smsgw.Event{ID: "d", Event: smsgw.EventDelivered}); err == nil {
		t.Fatal("a 503 did not ask for a retry")
	}
	status <- 404
	if err := k.Deliver(ctx, smsgw.Event{ID: "d", Event: smsgw.EventDelivered}); err != nil {
		t.Fatalf("a 404 is final: %v", err)
	}
	if _, err := NewKannelDLR(KannelDLROptions{}); err == nil {
		t.Fatal("no Target accepted")
	}
	if c := k.Consumer(3); c.Name != KannelDLRConsumer || c.MaxAttempts != 3 {
		t.Fatalf("consumer %+v", c)
	}
}
