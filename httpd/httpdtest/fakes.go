package httpdtest

import (
	"context"
	"fmt"
	"sync"

	"smsgw"
	"smsgw/hooks"
)

// Modems stands in for the gateway's live modem pool: a fixed list, and
// USSD codes with canned replies ("*999#" is a session already open; an
// unknown code waits for the request's context).
type Modems struct {
	mu     sync.Mutex
	modems []smsgw.ModemStatus
	ussd   map[string]string // code -> reply
	resets []string          // ids reset, in order
}

// NewModems returns a pool of ms answering the USSD codes in ussd.
func NewModems(ussd map[string]string, ms ...smsgw.ModemStatus) *Modems {
	return &Modems{ussd: ussd, modems: ms}
}

// Modems implements api.Modems.
func (f *Modems) Modems(ctx context.Context) ([]smsgw.ModemStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smsgw.ModemStatus(nil), f.modems...), nil
}

// Modem implements api.Modems.
func (f *Modems) Modem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.modems {
		if m.ID == id {
			return m, nil
		}
	}
	return smsgw.ModemStatus{}, fmt.Errorf("modem %q: %w", id, smsgw.ErrNotFound)
}

// USSD implements api.Modems.
func (f *Modems) USSD(ctx context.Context, id, code string) (string, error) {
	if _, err := f.Modem(ctx, id); err != nil {
		return "", err
	}
	if code == "*999#" {
		return "", fmt.Errorf("a USSD session is open: %w", smsgw.ErrConflict)
	}
	f.mu.Lock()
	r, ok := f.ussd[code]
	f.mu.Unlock()
	if ok {
		return r, nil
	}
	<-ctx.Done()
	return "", ctx.Err()
}

// ResetModem implements api.Modems: a ready modem is recorded as reset and
// answered as recovering; a modem in any other state is a conflict, as the
// gateway answers.
func (f *Modems) ResetModem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	m, err := f.Modem(ctx, id)
	if err != nil {
		return smsgw.ModemStatus{}, err
	}
	if m.State != "ready" {
		return smsgw.ModemStatus{}, fmt.Errorf("modem %q is %s: %w", id, m.State, smsgw.ErrConflict)
	}
	f.mu.Lock()
	f.resets = append(f.resets, id)
	f.mu.Unlock()
	m.State = "recovering"
	return m, nil
}

// Resets returns the ids ResetModem accepted, in order.
func (f *Modems) Resets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.resets...)
}

// Set replaces the pool's modems.
func (f *Modems) Set(ms ...smsgw.ModemStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.modems = ms
}

// Webhooks is a webhook registry in memory (the gateway keeps the real one
// in the database).
type Webhooks struct {
	mu    sync.Mutex
	hooks []hooks.Registration
}

// Webhooks implements api.Webhooks.
func (m *Webhooks) Webhooks(ctx context.Context) ([]hooks.Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]hooks.Registration(nil), m.hooks...), nil
}

// AddWebhook implements api.Webhooks.
func (m *Webhooks) AddWebhook(ctx context.Context, w hooks.Registration) (hooks.Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, h := range m.hooks {
		if h.ID == w.ID {
			m.hooks[i] = w
			return w, nil
		}
	}
	m.hooks = append(m.hooks, w)
	return w, nil
}

// DeleteWebhook implements api.Webhooks.
func (m *Webhooks) DeleteWebhook(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, h := range m.hooks {
		if h.ID == id {
			m.hooks = append(m.hooks[:i], m.hooks[i+1:]...)
			return nil
		}
	}
	return smsgw.ErrNotFound
}
