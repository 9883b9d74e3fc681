package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"smsgw"
	"smsgw/hooks"
	"smsgw/internal/callback"
)

// importWebhookFile moves the registrations of a webhooks.json (where
// earlier versions kept them, beside the database) into the registry, then
// renames the file to <path>.imported so the import runs once and upgrades
// keep their registrations. A missing file is nothing to do.
func importWebhookFile(ctx context.Context, reg hooks.Registry, path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("webhooks: %w", err)
	}
	var list []hooks.Registration
	if err := json.Unmarshal(b, &list); err != nil {
		return 0, fmt.Errorf("webhooks %s: %w", path, err)
	}
	for _, w := range list {
		if w.ID == "" {
			return 0, fmt.Errorf("webhooks %s: a registration has no id", path)
		}
		if err := reg.PutWebhook(ctx, w); err != nil {
			return 0, fmt.Errorf("webhooks %s: import: %w", path, err)
		}
	}
	if err := os.Rename(path, path+".imported"); err != nil {
		return 0, fmt.Errorf("webhooks %s: imported, but: %w", path, err)
	}
	return len(list), nil
}

func (g *Gateway) registeredConsumer(w hooks.Registration) hooks.Consumer {
	var events []string
	if w.Event != "" {
		events = []string{w.Event}
	}
	// Registered through the API by a client, not written by the
	// operator: the callback policy applies on every connection.
	client, err := g.opts.Callbacks.Client(g.opts.Webhook.Timeout)
	if err != nil {
		// Validate refuses a bad policy before this; fall back to the
		// strictest one rather than to none.
		client, _ = callback.Policy{}.Client(g.opts.Webhook.Timeout)
	}
	wh := &hooks.Webhook{URL: w.URL, ID: w.ID, Secret: g.opts.Webhook.Secret, Events: events, Client: client}
	deliver := wh.Deliver
	if w.DeviceID != "" {
		deliver = func(ctx context.Context, ev smsgw.Event) error {
			if ev.DeviceID != w.DeviceID {
				return hooks.ErrSkip
			}
			return wh.Deliver(ctx, ev)
		}
	}
	return hooks.Consumer{Name: "webhook:" + w.ID, Deliver: deliver, Concurrency: 4, MaxAttempts: g.opts.Webhook.MaxAttempts}
}

// Webhooks implements the HTTP API's Webhooks.
func (g *Gateway) Webhooks(ctx context.Context) ([]hooks.Registration, error) {
	if g.registry == nil {
		return nil, smsgw.ErrUnavailable
	}
	return g.registry.Webhooks(ctx)
}

// AddWebhook implements the HTTP API's Webhooks: it stores w and starts delivering
// the events that happen from now on.
func (g *Gateway) AddWebhook(ctx context.Context, w hooks.Registration) (hooks.Registration, error) {
	if g.registry == nil {
		return hooks.Registration{}, smsgw.ErrUnavailable
	}
	if w.Event != "" && !slices.Contains(smsgw.WebhookEvents, w.Event) {
		return hooks.Registration{}, fmt.Errorf("event %q: want one of %v: %w", w.Event, smsgw.WebhookEvents, smsgw.ErrConflict)
	}
	if err := g.opts.Callbacks.Check(w.URL); err != nil {
		return hooks.Registration{}, fmt.Errorf("url: %w: %w", err, smsgw.ErrConflict)
	}
	if w.ID == "" {
		var b [8]byte
		rand.Read(b[:])
		w.ID = hex.EncodeToString(b[:])
	}
	if err := g.registry.PutWebhook(ctx, w); err != nil {
		return hooks.Registration{}, err
	}
	g.stopConsumer(ctx, "webhook:"+w.ID)
	if err := g.startConsumer(g.registeredConsumer(w)); err != nil {
		return hooks.Registration{}, err
	}
	return w, nil
}

// DeleteWebhook implements the HTTP API's Webhooks.
func (g *Gateway) DeleteWebhook(ctx context.Context, id string) error {
	if g.registry == nil {
		return smsgw.ErrUnavailable
	}
	if err := g.registry.DeleteWebhook(ctx, id); err != nil {
		return fmt.Errorf("webhook %q: %w", id, err)
	}
	g.stopConsumer(ctx, "webhook:"+id)
	if err := g.store.RemoveConsumer(ctx, "webhook:"+id); err != nil {
		g.log.Warn("remove webhook consumer", "id", id, "err", err)
	}
	return nil
}
