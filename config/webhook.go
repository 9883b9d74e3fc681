package config

import (
	"slices"
	"strings"
	"time"

	"smsgw"
)

// WebhookConfig is the [webhook] table.
type WebhookConfig struct {
	URL    string   `toml:"url"`
	URLs   []string `toml:"urls"`
	Secret Secret   `toml:"secret"`
	// Events to post; default all four.
	Events      []string `toml:"events"`
	Timeout     Duration `toml:"timeout"`
	MaxAttempts int      `toml:"max_attempts"`
	Backoff     Duration `toml:"backoff"`
	MaxBackoff  Duration `toml:"max_backoff"`
}

// Targets returns url and urls together, without duplicates, in order.
func (w WebhookConfig) Targets() []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range append([]string{w.URL}, w.URLs...) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func (w *WebhookConfig) applyDefaults() {
	if len(w.Events) == 0 {
		w.Events = append([]string(nil), smsgw.WebhookEvents...)
	}
	defaultDuration(&w.Timeout, 10*time.Second)
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 10
	}
	defaultDuration(&w.Backoff, 5*time.Second)
	defaultDuration(&w.MaxBackoff, time.Hour)
}

func (w WebhookConfig) validate(bad badFunc) {
	for _, u := range w.Targets() {
		if err := validURL(u); err != nil {
			bad("webhook.url", "%v", err)
		}
	}
	for _, e := range w.Events {
		if !slices.Contains(smsgw.WebhookEvents, e) {
			bad("webhook.events", "%q: want one of %s", e, strings.Join(smsgw.WebhookEvents, ", "))
		}
	}
	nonNegative(bad, "webhook.timeout", w.Timeout)
	if w.MaxAttempts < 1 {
		bad("webhook.max_attempts", "%d: want at least 1", w.MaxAttempts)
	}
	nonNegative(bad, "webhook.backoff", w.Backoff)
	nonNegative(bad, "webhook.max_backoff", w.MaxBackoff)
}
