package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"smsgw"
	"smsgw/hooks"
	"smsgw/internal/callback"
)

// webhookRegistry keeps webhooks registered through the API in a JSON file
// next to the database (written atomically), so they survive restarts. Each
// is a queue outbox consumer "webhook:<id>" with its own retry state.
type webhookRegistry struct {
	path  string
	mu    sync.Mutex
	hooks map[string]hooks.Registration
}

func loadWebhookRegistry(path string) (*webhookRegistry, error) {
	r := &webhookRegistry{path: path, hooks: map[string]hooks.Registration{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	var list []hooks.Registration
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("webhooks %s: %w", path, err)
	}
	for _, w := range list {
		r.hooks[w.ID] = w
	}
	return r, nil
}

func (r *webhookRegistry) list() []hooks.Registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]hooks.Registration, 0, len(r.hooks))
	for _, w := range r.hooks {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// saveLocked writes the file atomically: temp file, fsync, rename.
func (r *webhookRegistry) saveLocked() error {
	list := make([]hooks.Registration, 0, len(r.hooks))
	for _, w := range r.hooks {
		list = append(list, w)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.path), ".webhooks-*")
	if err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	return os.Rename(tmp.Name(), r.path)
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
	return g.registry.list(), nil
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
	r := g.registry
	r.mu.Lock()
	old, replaced := r.hooks[w.ID]
	r.hooks[w.ID] = w
	if err := r.saveLocked(); err != nil {
		if replaced {
			r.hooks[w.ID] = old
		} else {
			delete(r.hooks, w.ID)
		}
		r.mu.Unlock()
		return hooks.Registration{}, err
	}
	r.mu.Unlock()
	if g.runCtx != nil {
		g.stopConsumer(ctx, "webhook:"+w.ID)
		if err := g.startConsumer(g.registeredConsumer(w)); err != nil {
			return hooks.Registration{}, err
		}
	}
	return w, nil
}

// DeleteWebhook implements the HTTP API's Webhooks.
func (g *Gateway) DeleteWebhook(ctx context.Context, id string) error {
	if g.registry == nil {
		return smsgw.ErrUnavailable
	}
	r := g.registry
	r.mu.Lock()
	old, ok := r.hooks[id]
	if !ok {
		r.mu.Unlock()
		return fmt.Errorf("webhook %q: %w", id, smsgw.ErrNotFound)
	}
	delete(r.hooks, id)
	if err := r.saveLocked(); err != nil {
		r.hooks[id] = old
		r.mu.Unlock()
		return err
	}
	r.mu.Unlock()
	g.stopConsumer(ctx, "webhook:"+id)
	if err := g.store.RemoveConsumer(ctx, "webhook:"+id); err != nil {
		g.log.Warn("remove webhook consumer", "id", id, "err", err)
	}
	return nil
}
