package hooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"smsgw"
	"smsgw/internal/callback"
)

// KannelDLRConsumer is the name of the outbox consumer that makes the
// Kannel dlr-url callbacks.
const KannelDLRConsumer = "kannel-dlr"

// ErrNoDLR is KannelDLR.Deliver's answer for an event that asks for no
// callback: not a delivery report, or a message sent without a dlr-url. It
// wraps ErrSkip, so the outbox counts the event as skipped rather than
// delivered.
var ErrNoDLR = fmt.Errorf("kannel: event asks for no dlr-url callback: %w", ErrSkip)

// KannelDLROptions configure a KannelDLR.
type KannelDLROptions struct {
	// Target returns the dlr-url to call for a delivery-report event,
	// escapes expanded, or "" when the event's message asked for none of
	// this type (the Kannel API, which stores the dlr-url and mask with
	// the message, knows how). Required.
	Target func(ctx context.Context, ev smsgw.Event) (string, error)
	// Policy says which hosts a dlr-url may reach; the default client
	// enforces it on every connection.
	Policy callback.Policy
	// Client makes the calls (default: a client with a 10 s timeout that
	// enforces Policy and follows no redirect).
	Client *http.Client
	// Logger; nil uses slog.Default().
	Logger *slog.Logger
}

// KannelDLR makes the dlr-url callbacks of messages sent through the Kannel
// API when their sent, delivered or failed events leave the durable
// outbox, so a callback survives restarts and is retried with the outbox's
// backoff. It holds no goroutine: the outbox dispatcher running Consumer
// owns the calls.
type KannelDLR struct {
	target func(ctx context.Context, ev smsgw.Event) (string, error)
	client *http.Client
	log    *slog.Logger
}

// NewKannelDLR builds the dlr-url consumer.
func NewKannelDLR(o KannelDLROptions) (*KannelDLR, error) {
	if o.Target == nil {
		return nil, errors.New("hooks: kannel dlr: a Target is required")
	}
	if o.Client == nil {
		c, err := o.Policy.Client(10 * time.Second)
		if err != nil {
			return nil, fmt.Errorf("hooks: kannel dlr: callbacks: %w", err)
		}
		o.Client = c
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &KannelDLR{target: o.Target, client: o.Client, log: o.Logger}, nil
}

// Consumer runs Deliver from the outbox, at most maxAttempts times per
// event.
func (k *KannelDLR) Consumer(maxAttempts int) Consumer {
	return Consumer{Name: KannelDLRConsumer, Concurrency: 2, MaxAttempts: maxAttempts, Deliver: k.Deliver}
}

// Deliver makes the callback ev asks for, once. An error means the call is
// worth retrying (a 5xx answer, a network error); ErrNoDLR means there was
// nothing to call.
func (k *KannelDLR) Deliver(ctx context.Context, ev smsgw.Event) error {
	if ev.Event != smsgw.EventSent && ev.Event != smsgw.EventDelivered && ev.Event != smsgw.EventFailed {
		return ErrNoDLR // delivery reports concern sent messages only
	}
	target, err := k.target(ctx, ev)
	if err != nil {
		return err
	}
	if target == "" {
		return ErrNoDLR
	}
	return k.call(ctx, target)
}

// call makes one GET of target; a 5xx or a network error is worth a retry,
// a 4xx is not (the receiver refuses it).
func (k *KannelDLR) call(ctx context.Context, target string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil // a URL that cannot be built will not get better
	}
	req.Header.Set("User-Agent", "smsgw (Kannel compatible)")
	resp, err := k.client.Do(req)
	if errors.Is(err, callback.ErrForbidden) {
		// The name now resolves to an address callbacks may not reach
		// (DNS rebinding, or an internal name): retrying will not help.
		k.log.Warn("kannel: dlr-url refused", "url", callback.Redact(target), "err", callback.RedactError(err))
		return nil
	}
	if err != nil {
		// *url.Error repeats the whole URL, query and all; this error is
		// logged and stored with the delivery.
		return fmt.Errorf("kannel: dlr-url: %w", callback.RedactError(err))
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("kannel: dlr-url %s: %s", callback.Redact(target), resp.Status)
	}
	return nil
}
