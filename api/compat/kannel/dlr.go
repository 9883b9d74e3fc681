package kannel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"smsgw"
	"smsgw/api"
	"smsgw/hooks"
	"smsgw/internal/callback"
)

// dlrNotifier calls the dlr-url of messages sent through /cgi-bin/sendsms
// when the daemon publishes their sent, delivered or failed events.
// Published report events wait in a bounded queue for one lookup worker
// (Publish never blocks; when the queue is full the event is dropped and
// logged); each callback then runs in its own goroutine, at most
// maxInflightDLR at once, retried with backoff. Close cancels and waits
// for all of them.
type dlrNotifier struct {
	h        *API
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	sem      chan struct{}
	jobs     chan smsgw.Event
	start    sync.Once
	backoff  smsgw.Backoff // between attempts
	attempts int
}

const (
	maxInflightDLR = 32
	dlrQueue       = 4096
)

func newDLRNotifier(h *API) *dlrNotifier {
	ctx, cancel := context.WithCancel(context.Background())
	return &dlrNotifier{h: h, ctx: ctx, cancel: cancel, sem: make(chan struct{}, maxInflightDLR),
		jobs: make(chan smsgw.Event, dlrQueue), attempts: 4,
		backoff: smsgw.Backoff{Initial: time.Second, Max: time.Minute}}
}

func isReportEvent(name string) bool {
	return name == smsgw.EventSent || name == smsgw.EventDelivered || name == smsgw.EventFailed
}

// target returns the dlr-url to call for ev, with its escapes expanded,
// or "" when ev is no delivery report for a Kannel message that asked for
// one of this type.
func (n *dlrNotifier) target(ctx context.Context, ev smsgw.Event) (string, error) {
	var typ int
	switch ev.Event {
	case smsgw.EventSent:
		typ = dlrSMSCAccepted
	case smsgw.EventDelivered:
		typ = dlrDelivered
	case smsgw.EventFailed:
		typ = dlrUndelivered // refined to 16 below when it never left
	default:
		return "", nil
	}
	var p api.EventPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.MessageID == "" {
		return "", nil
	}
	m, err := n.h.core.Backend().Store.Message(ctx, p.MessageID)
	if errors.Is(err, smsgw.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("kannel: dlr-url: message %s: %w", p.MessageID, err)
	}
	raw := m.Metadata[metaDLRURL]
	if raw == "" {
		return "", nil
	}
	mask, _ := strconv.Atoi(m.Metadata[metaDLRMask])
	if typ == dlrUndelivered && !wasSent(m) {
		typ = dlrSMSCRejected
	}
	if mask&typ == 0 {
		return "", nil
	}
	return expandDLR(raw, typ, m, p, ev), nil
}

// handle queues ev for the lookup worker (the Publish path).
func (n *dlrNotifier) handle(ev smsgw.Event) {
	if !isReportEvent(ev.Event) || n.ctx.Err() != nil {
		return
	}
	n.start.Do(func() {
		n.wg.Add(1)
		go n.worker()
	})
	select {
	case n.jobs <- ev:
	default:
		n.h.core.Logger().Warn("kannel: dlr-url queue full, event dropped", "event", ev.ID)
	}
}

// worker looks up each queued event's message and starts the callbacks.
func (n *dlrNotifier) worker() {
	defer n.wg.Done()
	for {
		var ev smsgw.Event
		select {
		case <-n.ctx.Done():
			return
		case ev = <-n.jobs:
		}
		ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
		target, err := n.target(ctx, ev)
		cancel()
		if err != nil || target == "" {
			continue
		}
		select {
		case n.sem <- struct{}{}:
		case <-n.ctx.Done():
			return
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			defer func() { <-n.sem }()
			n.retry(ev, target)
		}()
	}
}

func (n *dlrNotifier) retry(ev smsgw.Event, target string) {
	for i := 0; i < n.attempts; i++ {
		if i > 0 {
			t := time.NewTimer(n.backoff.Wait(i))
			select {
			case <-n.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if n.call(n.ctx, target) == nil {
			return
		}
	}
	n.h.core.Logger().Warn("kannel: dlr-url callback failed", "event", ev.ID, "attempts", n.attempts)
}

// KannelDLR makes the Kannel dlr-url callback for one event, once, and
// returns an error when the callback should be retried. A daemon that
// delivers events from a durable outbox registers it as a consumer (and
// sets Options.ExternalDLR so Publish does not call back as well); the
// callback then survives restarts and gets the outbox's retry policy.
// Events that are not delivery reports of Kannel messages with a dlr-url
// return ErrNoCallback, so that the outbox counts them as skipped rather
// than delivered.
func (h *API) KannelDLR(ctx context.Context, ev smsgw.Event) error {
	target, err := h.dlr.target(ctx, ev)
	if err != nil {
		return err
	}
	if target == "" {
		return ErrNoCallback
	}
	return h.dlr.call(ctx, target)
}

// ErrNoCallback is KannelDLR's answer for an event that asks for no
// callback: not a delivery report, or a message sent without a dlr-url. It
// wraps hooks.ErrSkip, so an outbox consumer running KannelDLR counts the
// event as skipped rather than delivered.
var ErrNoCallback = fmt.Errorf("kannel: event asks for no dlr-url callback: %w", hooks.ErrSkip)

// call makes one GET of target; a 5xx or a network error is worth a retry,
// a 4xx is not (the receiver refuses it).
func (n *dlrNotifier) call(ctx context.Context, target string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil // a URL that cannot be built will not get better
	}
	req.Header.Set("User-Agent", "smsgw (Kannel compatible)")
	resp, err := n.h.opts.HTTPClient.Do(req)
	if errors.Is(err, callback.ErrForbidden) {
		// The name now resolves to an address callbacks may not reach
		// (DNS rebinding, or an internal name): retrying will not help.
		n.h.core.Logger().Warn("kannel: dlr-url refused", "url", callback.Redact(target), "err", callback.RedactError(err))
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

func (n *dlrNotifier) close(ctx context.Context) error {
	n.cancel()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("kannel: waiting for dlr-url callbacks: %w", ctx.Err())
	}
}

func wasSent(m api.Message) bool {
	if m.SentAt != nil {
		return true
	}
	for _, p := range m.Parts {
		if p.MR != nil {
			return true
		}
	}
	return false
}

// expandDLR replaces Kannel's escapes in a dlr-url; every value is
// URL-escaped, as Kannel does.
func expandDLR(tmpl string, typ int, m api.Message, p api.EventPayload, ev smsgw.Event) string {
	at := time.Now()
	for _, s := range []string{p.DeliveredAt, p.FailedAt, p.SentAt} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			at = t
			break
		}
	}
	reply := map[int]string{dlrDelivered: "Delivered", dlrUndelivered: "Undelivered", dlrSMSCAccepted: "ACK/", dlrSMSCRejected: "NACK/"}[typ]
	if p.Reason != "" && typ != dlrDelivered && typ != dlrSMSCAccepted {
		reply += " " + p.Reason
	}
	mr := ""
	if len(m.Parts) > 0 && m.Parts[0].MR != nil {
		mr = strconv.Itoa(*m.Parts[0].MR)
	}
	coding, charset := "0", "UTF-8"
	if m.Coding == api.EncodingUCS2 {
		coding, charset = "2", "UTF-16BE"
	}
	modem := m.SentBy
	if modem == "" {
		modem = ev.DeviceID
	}
	keyword := ""
	if f := strings.Fields(m.Text); len(f) > 0 {
		keyword = strings.ToLower(f[0])
	}
	from := m.Metadata[metaFrom]
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '%' || i+1 == len(tmpl) {
			b.WriteByte(c)
			continue
		}
		i++
		var v string
		switch tmpl[i] {
		case 'd':
			v = strconv.Itoa(typ)
		case 'A':
			v = reply
		case 'F':
			v = mr
		case 'I':
			v = m.ID
		case 'p', 'q':
			v = m.To
		case 'P', 'Q':
			v = from
			if tmpl[i] == 'Q' && strings.HasPrefix(v, "00") {
				v = "+" + v[2:]
			}
		case 'a', 'b':
			v = m.Text
		case 't':
			v = at.UTC().Format("2006-01-02 15:04:05")
		case 'T':
			v = strconv.FormatInt(at.Unix(), 10)
		case 'i':
			v = modem
		case 'c':
			v = coding
		case 'C':
			v = charset
		case 'k':
			v = keyword
		case 'u', 'f', 'n', 'o', 'B', 'D':
			v = ""
		case '%':
			b.WriteByte('%')
			continue
		default:
			b.WriteByte('%')
			b.WriteByte(tmpl[i])
			continue
		}
		b.WriteString(url.QueryEscape(v))
	}
	return b.String()
}
