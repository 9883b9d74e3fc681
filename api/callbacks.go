package api

import (
	"context"
	"errors"
	"net/http"
	"smsgw"
	"strings"

	"smsgw/hooks"
	"smsgw/internal/callback"
)

// Error codes of the callback rules.
const (
	CodeCallbackNotAllowed = "callback_not_allowed"
	CodeReservedMetadata   = "reserved_metadata"
)

// reservedMetaPrefix marks metadata keys the daemon itself acts on (the
// Kannel dlr-url among them); clients of the v1 API may not set them, or a
// send-scope token could make the daemon call any URL.
const reservedMetaPrefix = "kannel."

// checkReservedMetadata refuses client metadata under a reserved prefix.
func checkReservedMetadata(meta map[string]string) *Error {
	for k := range meta {
		if strings.HasPrefix(strings.ToLower(k), reservedMetaPrefix) {
			return errorf(http.StatusUnprocessableEntity, CodeReservedMetadata, "metadata."+clip(k, 64),
				"metadata keys starting with %q are reserved for the gateway", reservedMetaPrefix)
		}
	}
	return nil
}

// checkCallback validates a callback URL a client gives (dlr-url, webhook)
// against Options.Callbacks.
func (h *Handler) checkCallback(field, raw string) *Error {
	if err := h.opts.Callbacks.Check(raw); err != nil {
		if errors.Is(err, callback.ErrForbidden) {
			return errorf(http.StatusUnprocessableEntity, CodeCallbackNotAllowed, field, "%v", err)
		}
		return badField(field, "%v", err)
	}
	return nil
}

// readOnly reports whether the request was authenticated with a read-only
// scope: such callers see callback URLs without user info and query.
func readOnly(ctx context.Context) bool {
	c, _ := smsgw.CallerFrom(ctx)
	return c.Scope == ScopeRead
}

// redactMessage strips credentials from the callback URLs a message keeps.
func redactMessage(m *Message) {
	if v, ok := m.Metadata[MetaDLRURL]; ok {
		meta := make(map[string]string, len(m.Metadata))
		for k, x := range m.Metadata {
			meta[k] = x
		}
		meta[MetaDLRURL] = callback.Redact(v)
		m.Metadata = meta
	}
}

// guardedStore redacts callback URLs for read-only callers; everything else
// passes through.
type guardedStore struct{ Store }

func (s guardedStore) Message(ctx context.Context, id string) (Message, error) {
	m, err := s.Store.Message(ctx, id)
	if err == nil && readOnly(ctx) {
		redactMessage(&m)
	}
	return m, err
}

func (s guardedStore) Messages(ctx context.Context, f MessageFilter) (MessagePage, error) {
	p, err := s.Store.Messages(ctx, f)
	if err == nil && readOnly(ctx) {
		for i := range p.Messages {
			redactMessage(&p.Messages[i])
		}
	}
	return p, err
}

// guardedWebhooks checks registered URLs against the callback policy and
// redacts them for read-only callers.
type guardedWebhooks struct {
	inner Webhooks
	h     *Handler
}

func (g guardedWebhooks) Webhooks(ctx context.Context) ([]hooks.Registration, error) {
	list, err := g.inner.Webhooks(ctx)
	if err == nil && readOnly(ctx) {
		out := make([]hooks.Registration, len(list))
		for i, w := range list {
			w.URL = callback.Redact(w.URL)
			out[i] = w
		}
		list = out
	}
	return list, err
}

func (g guardedWebhooks) AddWebhook(ctx context.Context, w hooks.Registration) (hooks.Registration, error) {
	if e := g.h.checkCallback("url", w.URL); e != nil {
		return hooks.Registration{}, e
	}
	return g.inner.AddWebhook(ctx, w)
}

func (g guardedWebhooks) DeleteWebhook(ctx context.Context, id string) error {
	return g.inner.DeleteWebhook(ctx, id)
}
