package api

import (
	"context"
	"fmt"
	"smsgw"
	"smsgw/hooks"
	"sync"
)

// fakeModems stands in for the gateway's live modem pool.
type fakeModems struct {
	mu     sync.Mutex
	modems []smsgw.ModemStatus
	ussd   map[string]string // code -> reply
}

func (f *fakeModems) Modems(ctx context.Context) ([]smsgw.ModemStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smsgw.ModemStatus(nil), f.modems...), nil
}

func (f *fakeModems) Modem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.modems {
		if m.ID == id {
			return m, nil
		}
	}
	return smsgw.ModemStatus{}, fmt.Errorf("modem %q: %w", id, smsgw.ErrNotFound)
}

func (f *fakeModems) USSD(ctx context.Context, id, code string) (string, error) {
	if _, err := f.Modem(ctx, id); err != nil {
		return "", err
	}
	if code == "*999#" {
		return "", fmt.Errorf("a USSD session is open: %w", smsgw.ErrConflict)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.ussd[code]; ok {
		return r, nil
	}
	<-ctx.Done()
	return "", ctx.Err()
}

func (f *fakeModems) set(ms ...smsgw.ModemStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.modems = ms
}

// memWebhooks is a webhook registry for tests.
type memWebhooks struct {
	mu    sync.Mutex
	hooks []hooks.Registration
}

func (m *memWebhooks) Webhooks(ctx context.Context) ([]hooks.Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]hooks.Registration(nil), m.hooks...), nil
}

func (m *memWebhooks) AddWebhook(ctx context.Context, w hooks.Registration) (hooks.Registration, error) {
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

func (m *memWebhooks) DeleteWebhook(ctx context.Context, id string) error {
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
