package hooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"smsgw"
	"smsgw/internal/callback"
)

// Webhook posts events to one URL with the android-sms-gateway envelope
//
//	{"id": ..., "webhookId": ..., "deviceId": ..., "event": ..., "payload": {...}}
//
// and, when a secret is set, the headers X-Timestamp (unix seconds) and
// X-Signature = hex(HMAC-SHA256(secret, body || timestamp)), so receivers
// written for that app verify it unchanged. Safe for concurrent use.
type Webhook struct {
	URL    string
	ID     string // the webhookId in the envelope
	Secret string
	// Events this webhook wants; nil means all.
	Events []string
	// Client defaults to one with a Timeout limit.
	Client *http.Client
	// Timeout bounds one request when Client is nil; default 10 s.
	Timeout time.Duration
	// Now is the clock for X-Timestamp (tests set it).
	Now func() time.Time
}

// HTTPError is a non-2xx answer from the receiver.
type HTTPError struct {
	Status int
	Body   string // the start of the answer, for the log
}

func (e *HTTPError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// Wants reports whether the webhook subscribes to kind.
func (w *Webhook) Wants(kind string) bool {
	if w.Events == nil {
		return true
	}
	for _, e := range w.Events {
		if e == kind {
			return true
		}
	}
	return false
}

// Sign returns the X-Signature value for body sent at timestamp ts.
func Sign(secret string, body []byte, ts string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	mac.Write([]byte(ts))
	return hex.EncodeToString(mac.Sum(nil))
}

// Deliver posts one event. A 2xx answer is success; 4xx answers other than
// 408 and 429 are permanent (the receiver refuses this body); anything else
// is worth a retry.
func (w *Webhook) Deliver(ctx context.Context, ev smsgw.Event) error {
	if !w.Wants(ev.Event) {
		return ErrSkip
	}
	payload := ev.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	env := smsgw.Event{ID: ev.ID, WebhookID: w.ID, DeviceID: ev.DeviceID, Event: ev.Event, Payload: payload}
	body, err := json.Marshal(env)
	if err != nil {
		return &PermanentError{fmt.Errorf("webhook: encode event %s: %w", ev.ID, err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{fmt.Errorf("webhook: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "smsgw")
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req.Header.Set("X-Timestamp", ts)
	if w.Secret != "" {
		req.Header.Set("X-Signature", Sign(w.Secret, body, ts))
	}
	client := w.Client
	if client == nil {
		client = defaultClient
		if w.Timeout > 0 {
			client = &http.Client{Timeout: w.Timeout, CheckRedirect: noRedirect}
		}
	}
	if client.CheckRedirect == nil {
		// A redirect would send the signed body, and the receiver's
		// trust, to wherever the answer points.
		c := *client
		c.CheckRedirect = noRedirect
		client = &c
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, query and all: the error is logged
		// and stored with the delivery.
		err = callback.RedactError(err)
		if errors.Is(err, callback.ErrForbidden) {
			return &PermanentError{fmt.Errorf("webhook %s: %w", redactURL(w.URL), err)}
		}
		return fmt.Errorf("webhook %s: %w", redactURL(w.URL), err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	herr := &HTTPError{Status: resp.StatusCode, Body: string(bytes.TrimSpace(snippet))}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &PermanentError{fmt.Errorf("webhook %s: %w (redirects are not followed)", redactURL(w.URL), herr)}
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429 {
		return &PermanentError{fmt.Errorf("webhook %s: %w", redactURL(w.URL), herr)}
	}
	return fmt.Errorf("webhook %s: %w", redactURL(w.URL), herr)
}

var defaultClient = &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirect}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// redactURL drops user info and the query (either may carry a secret) from
// a URL before it reaches a log line.
func redactURL(s string) string { return callback.Redact(s) }
