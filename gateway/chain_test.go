package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// The inbound chain: handlers see each received message in order, a reply
// goes back to the sender through the receiving modem as a durable
// transactional auto-reply, stop ends the chain, and a handler that fails
// makes the message pass again without a second reply.
func TestInboundChain(t *testing.T) {
	var mu sync.Mutex
	var first, second []string
	failOnce := true
	r := newRig(t, rigOptions{modems: 2, opts: func(o *Options) {
		o.InboundHandlers = []InboundHandler{
			{Name: "first", Handle: func(ctx context.Context, in *Inbound) (bool, error) {
				mu.Lock()
				first = append(first, in.Text)
				fail := in.Text == "flaky" && failOnce
				failOnce = failOnce && !fail
				mu.Unlock()
				if in.Modem != "sim1" || in.From != "+4915112345678" || in.ID == 0 {
					t.Errorf("inbound = %+v", in)
				}
				if _, err := in.Reply(ctx, "got "+in.Text); err != nil {
					return false, err
				}
				if fail {
					return false, errors.New("a passing fault")
				}
				return in.Text == "STOP", nil
			}},
			{Name: "second", Handle: func(ctx context.Context, in *Inbound) (bool, error) {
				mu.Lock()
				second = append(second, in.Text)
				mu.Unlock()
				return false, nil
			}},
		}
	}})
	r.waitReady(2)
	to := r.modems[1].Number()
	for _, text := range []string{"hello", "STOP", "flaky"} {
		if err := r.net.Deliver(to, "+4915112345678", text); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent, err := r.net.WaitSubmitted(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	r.waitFor("the chain's passes", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(second) == 2
	})
	mu.Lock()
	if len(first) != 4 || second[0] != "hello" || second[1] != "flaky" {
		t.Errorf("first saw %q, second %q; want 4 passes (flaky twice) and STOP stopping the chain", first, second)
	}
	mu.Unlock()
	got := map[string]int{}
	for _, s := range sent {
		txt, _ := s.Text()
		got[txt]++
		if s.From != to || s.To != "+4915112345678" {
			t.Errorf("reply %q from %s to %s; want from the receiving modem %s", txt, s.From, s.To, to)
		}
	}
	if got["got hello"] != 1 || got["got STOP"] != 1 || got["got flaky"] != 1 {
		t.Errorf("replies on the air %v; want one of each", got)
	}
	page, err := r.st.List(context.Background(), queue.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 3 {
		t.Fatalf("%d outbound messages, want 3 replies", len(page.Messages))
	}
	for _, m := range page.Messages {
		if !m.AutoReply || m.Category != smsgw.CategoryTransactional || m.RouteModem != "sim1" {
			t.Errorf("reply %d: auto_reply %v, category %q, route %q", m.ID, m.AutoReply, m.Category, m.RouteModem)
		}
	}
}
