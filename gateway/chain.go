package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/queue"
)

// The inbound chain: every received message, once committed, passes
// through Options.InboundHandlers in order (consent keywords first, then
// keyword rules). A handler may answer the sender through the modem that
// received the message (Inbound.Reply) and may end the chain (stop).
//
// The chain runs as a durable consumer of the event outbox, like the
// scripts and webhooks: a message committed just before a crash or a
// restart still goes through it afterwards. The cost is that a message may
// go through the chain more than once (after a crash, or when a handler
// fails and the message is retried from the first handler), so a handler
// must tolerate seeing a message again. Replies are keyed by the message,
// the handler and their order, so a repeated pass never sends the same
// reply twice.

// chainConsumer names the chain's outbox consumer.
const chainConsumer = "inbound-chain"

// InboundHandler is one step of the inbound chain.
type InboundHandler struct {
	// Name identifies the handler in logs and in its replies' idempotency
	// keys; keep it stable across restarts.
	Name string
	// Handle sees one received message. stop ends the chain for it. An
	// error sends the message through the whole chain again later (the
	// outbox's retry schedule); it is given up after the webhook attempts.
	Handle func(ctx context.Context, in *Inbound) (stop bool, err error)
}

// Inbound is a received message as the inbound handlers see it.
type Inbound struct {
	ID         int64  // the inbox id
	Modem      string // the modem that received it
	From       string
	Text       string
	ReceivedAt time.Time
	// Incomplete: parts were missing when the message was joined.
	Incomplete bool

	g       *Gateway
	handler string
	replies int
}

// Reply queues text for the sender, through the modem that received the
// message, so the person sees the number they wrote to. The reply is an
// ordinary outbound message: durable, transactional, and marked as an
// auto-reply (rules never answer it; an opt-out does not hold it back).
// The same reply of a repeated pass returns the message queued the first
// time.
func (in *Inbound) Reply(ctx context.Context, text string) (queue.Message, error) {
	in.replies++
	key := fmt.Sprintf("inbound:%d:%s:%d", in.ID, in.handler, in.replies)
	res, err := in.g.store.Enqueue(ctx, queue.NewMessage{
		To: []string{in.From}, Text: text, Modem: in.Modem, Report: true,
		Category: smsgw.CategoryTransactional, AutoReply: true, IdempotencyKey: key,
	})
	if errors.Is(err, smsgw.ErrIdempotencyMismatch) {
		// This pass composed another text (a template changed since):
		// the first one went, and one answer is all the sender gets.
		ms, kerr := in.g.store.ByKey(ctx, key)
		if kerr == nil && len(ms) > 0 {
			return ms[0], nil
		}
	}
	if err != nil {
		return queue.Message{}, fmt.Errorf("reply to inbox %d: %w", in.ID, err)
	}
	return res.Messages[0], nil
}

// chainConsumerOf is the outbox consumer that drives the chain, or false
// when no handler is configured.
func (g *Gateway) chainConsumerOf() (hooks.Consumer, bool) {
	if len(g.opts.InboundHandlers) == 0 {
		return hooks.Consumer{}, false
	}
	return hooks.Consumer{Name: chainConsumer, Concurrency: 1, MaxAttempts: max(g.opts.Webhook.MaxAttempts, 1),
		Deliver: g.runChain}, true
}

// runChain passes one received message through the handlers.
func (g *Gateway) runChain(ctx context.Context, ev smsgw.Event) error {
	if ev.Event != smsgw.EventReceived {
		return nil
	}
	var r hooks.Received
	if err := json.Unmarshal(ev.Payload, &r); err != nil {
		return &hooks.PermanentError{Err: fmt.Errorf("inbound chain: payload: %w", err)}
	}
	if r.Undecodable || r.From == "" {
		return nil
	}
	id, _ := strconv.ParseInt(r.ID, 10, 64)
	in := &Inbound{ID: id, Modem: r.Modem, From: r.From, Text: r.Text, Incomplete: r.Incomplete, g: g}
	in.ReceivedAt, _ = time.Parse(time.RFC3339, r.ReceivedAt)
	for _, h := range g.opts.InboundHandlers {
		in.handler, in.replies = h.Name, 0
		stop, err := h.Handle(ctx, in)
		if err != nil {
			g.log.Warn("inbound handler failed; the message will pass the chain again", "handler", h.Name, "inbox", id, "err", err)
			return fmt.Errorf("inbound handler %s: %w", h.Name, err)
		}
		if stop {
			break
		}
	}
	return nil
}
