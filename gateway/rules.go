package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/internal/callback"
	"smsgw/queue"
	"smsgw/rules"
)

// RulesHandler is the inbound chain's step for keyword rules: it asks the
// engine what the rules do with the message (loop protection applied) and
// carries it out. Replies go through the receiving modem (Inbound.Reply);
// forwards to any modem; both are auto-replies, keyed so that a repeated
// pass of the chain queues nothing twice. Webhooks and programs get the
// message as an sms:received event, as [inbound] ones do; a repeated pass
// may run them again. Each rule that fired is an rule:fired event. The
// chain stops when a rule that fired says so.
func RulesHandler(e *rules.Engine) InboundHandler {
	return InboundHandler{Name: "rules", Handle: func(ctx context.Context, in *Inbound) (bool, error) {
		return in.g.applyRules(ctx, e, in)
	}}
}

func (g *Gateway) applyRules(ctx context.Context, e *rules.Engine, in *Inbound) (stop bool, err error) {
	m := rules.Message{InboxID: in.ID, From: in.From, Text: in.Text, Modem: in.Modem, To: g.ownNumber(in.Modem)}
	plan, err := e.Plan(ctx, m)
	if err != nil {
		return false, err
	}
	var failed []error
	for _, f := range plan.Fired {
		for i, s := range f.Steps {
			if s.Skipped != "" {
				g.log.Info("rule step skipped", "rule", f.Rule.ID, "action", s.Type, "inbox", in.ID,
					"from", redactNumber(in.From), "reason", s.Skipped)
				continue
			}
			if err := g.ruleStep(ctx, e, in, f.Rule, i, s); err != nil {
				g.log.Warn("rule step failed", "rule", f.Rule.ID, "action", s.Type, "inbox", in.ID, "err", err)
				failed = append(failed, fmt.Errorf("rule %s action %d (%s): %w", f.Rule.ID, i+1, s.Type, err))
			}
		}
		if err := e.Record(ctx, f.Event(m, time.Now())); err != nil {
			failed = append(failed, err)
		}
		if f.Rule.Then != rules.ThenContinue {
			stop = true
		}
	}
	return stop, errors.Join(failed...)
}

func (g *Gateway) ruleStep(ctx context.Context, e *rules.Engine, in *Inbound, r rules.Rule, i int, s rules.Step) error {
	switch s.Type {
	case rules.ActionReply:
		_, err := in.Reply(ctx, s.Text)
		return err
	case rules.ActionForward:
		key := fmt.Sprintf("rule:%d:%s:%d", in.ID, r.ID, i)
		_, err := g.store.Enqueue(ctx, queue.NewMessage{To: []string{s.To}, Text: s.Text, Report: true,
			Category: smsgw.CategoryTransactional, AutoReply: true, IdempotencyKey: key})
		if errors.Is(err, smsgw.ErrIdempotencyMismatch) {
			return nil // queued by an earlier pass with a text since changed
		}
		return err
	case rules.ActionTag:
		return e.Tag(ctx, in.From, s.Tag)
	case rules.ActionGroupAdd:
		return e.AddToGroup(ctx, in.From, s.Group)
	case rules.ActionGroupRemove:
		return e.RemoveFromGroup(ctx, in.From, s.Group)
	case rules.ActionWebhook, rules.ActionExec:
		ev, err := g.ruleEvent(ctx, in, r, i)
		if err != nil {
			return err
		}
		if s.Type == rules.ActionExec {
			x := &hooks.Exec{Argv: s.Argv, Timeout: g.opts.Inbound.Timeout}
			return x.Deliver(ctx, ev)
		}
		wh := &hooks.Webhook{URL: s.URL, ID: "rule-" + r.ID, Secret: g.opts.Webhook.Secret, Timeout: g.opts.Webhook.Timeout}
		if r.Source != rules.SourceConfig {
			// Written by an API client, not the operator: the callback
			// policy applies, as for webhooks registered through the API.
			client, err := g.opts.Callbacks.Client(g.opts.Webhook.Timeout)
			if err != nil {
				client, _ = callback.Policy{}.Client(g.opts.Webhook.Timeout)
			}
			wh.Client = client
		}
		return wh.Deliver(ctx, ev)
	}
	return nil
}

// ruleEvent is the sms:received event a rule's webhook or program gets:
// the message as [inbound] hooks see it, under an id of its own (stable
// across passes, so receivers can drop a repeat).
func (g *Gateway) ruleEvent(ctx context.Context, in *Inbound, r rules.Rule, i int) (smsgw.Event, error) {
	rec := g.received(ctx, queue.InboxEvent{ID: in.ID, From: in.From, Modem: in.Modem, Text: in.Text,
		Complete: !in.Incomplete, ReceivedAt: in.ReceivedAt})
	b, err := json.Marshal(rec)
	if err != nil {
		return smsgw.Event{}, err
	}
	return smsgw.Event{ID: fmt.Sprintf("rule-%d-%s-%d", in.ID, r.ID, i+1), DeviceID: in.Modem, Event: smsgw.EventReceived,
		Payload: b, Created: time.Now(), Attempt: 1}, nil
}
