package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"smsgw"
	"smsgw/hooks"
)

// EventLog replays the durable event outbox, implemented by the gateway.
type EventLog interface {
	// EventsAfter returns the events that follow the one with id after,
	// oldest first, at most limit outbox entries read, and the id of the
	// last entry read (after itself when there is nothing more). An id
	// that is no outbox id is smsgw.ErrNotFound.
	EventsAfter(ctx context.Context, after string, limit int) (events []smsgw.Event, next string, err error)
}

// Replay bounds: a client that was away for longer than this many events
// gets the rest through the REST routes.
const (
	replayPage     = 500
	maxReplayPages = 100
)

// pingInterval is how often an idle stream carries system:ping, which
// also keeps proxies from closing it.
const pingInterval = 25 * time.Second

var knownEvents = append(append([]string(nil), smsgw.WebhookEvents...), smsgw.EventPing)

// events streams gateway events as server-sent events: each is
// "id: <event id>\nevent: <name>\ndata: <JSON envelope>\n\n". The optional
// event query parameter (comma-separated) filters by name. An idle stream
// carries system:ping every 25 s (a comment line instead when the filter
// leaves it out), which keeps proxies from closing it. A client that
// reconnects with Last-Event-ID (or ?last_event_id=) first gets the events
// it missed from Backend.Events. At most
// Limits.EventStreams streams are open at once (429 too_many_streams
// beyond); a client that does not accept a write within
// Limits.StreamWriteTimeout is cut off, and Close ends every stream.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) *Error {
	want := map[string]bool{}
	for _, v := range r.URL.Query()["event"] {
		for _, e := range strings.Split(v, ",") {
			if e == "" {
				continue
			}
			ok := false
			for _, k := range knownEvents {
				ok = ok || k == e
			}
			if !ok {
				return badField("event", "unknown event %q; events are %s", clip(e, 64), strings.Join(knownEvents, ", "))
			}
			want[e] = true
		}
	}
	rc := http.NewResponseController(w)
	sub, err := h.fanout.Subscribe(h.opts.Limits.EventStreams, func() { _ = rc.SetWriteDeadline(time.Now()) })
	switch {
	case errors.Is(err, hooks.ErrFanoutFull):
		w.Header().Set("Retry-After", "30")
		return errorf(http.StatusTooManyRequests, CodeTooManyStreams, "",
			"%d event streams are open; the limit is %d ([limits] event_streams)", h.opts.Limits.EventStreams, h.opts.Limits.EventStreams)
	case err != nil:
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "the server is shutting down")
	}
	defer h.fanout.Unsubscribe(sub)
	// The server's read timeout would cut a long-lived stream; each write
	// gets its own deadline instead.
	_ = rc.SetReadDeadline(time.Time{})
	timeout := h.opts.Limits.StreamWriteTimeout
	flush := func() bool {
		if rc.SetWriteDeadline(time.Now().Add(timeout)) != nil {
			return false
		}
		// Checked after the deadline is set: a close that came first is
		// seen here, one that comes later cuts the new deadline itself.
		select {
		case <-h.fanout.Done():
			_ = rc.SetWriteDeadline(time.Now())
			return false
		default:
		}
		return rc.Flush() == nil
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": smsgw events\n\n")
	if !flush() {
		return nil
	}
	// Subscribed first, replayed second: an event committed meanwhile is
	// either in the replay or in the subscription, and skipped in the
	// latter when it was in both.
	replayed, ok := h.replay(w, r, want, flush)
	if !ok {
		return nil
	}
	every := h.pingEvery
	if every <= 0 {
		every = pingInterval
	}
	ping := time.NewTicker(every)
	defer ping.Stop()
	pings := 0
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-h.fanout.Done():
			return nil
		case <-sub.Dropped():
			fmt.Fprint(w, "event: overflow\ndata: {}\n\n")
			_ = flush()
			return nil
		case <-ping.C:
			if len(want) > 0 && !want[smsgw.EventPing] {
				fmt.Fprint(w, ": keepalive\n\n")
				break
			}
			pings++
			ev := smsgw.Event{ID: fmt.Sprintf("ping-%d-%d", h.started.Unix(), pings), Event: smsgw.EventPing, Payload: json.RawMessage(`{}`)}
			b, _ := json.Marshal(ev)
			// No id: line, so a browser's Last-Event-ID stays the last
			// outbox event's.
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Event, b)
		case ev := <-sub.C:
			if len(want) > 0 && !want[ev.Event] {
				continue
			}
			if replayed >= 0 {
				if n, err := strconv.ParseInt(ev.ID, 10, 64); err == nil && n <= replayed {
					continue // sent by the replay
				}
			}
			b, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", oneLine(ev.ID), oneLine(ev.Event), b)
		}
		if !flush() {
			return nil
		}
	}
}

// replay writes the outbox events after the request's Last-Event-ID and
// returns the id of the last outbox entry read (-1 when nothing was
// replayed); ok is false when the client is gone.
func (h *Handler) replay(w http.ResponseWriter, r *http.Request, want map[string]bool, flush func() bool) (int64, bool) {
	last := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if last == "" {
		last = r.URL.Query().Get("last_event_id") // for clients that cannot set headers
	}
	if last == "" || h.b.Events == nil {
		return -1, true
	}
	if n, err := strconv.ParseInt(last, 10, 64); err != nil || n < 0 {
		return -1, true // not an outbox id: the stream starts now
	}
	cur := last
	for page := 0; page < maxReplayPages; page++ {
		evs, next, err := h.b.Events.EventsAfter(r.Context(), cur, replayPage)
		if err != nil {
			if !errors.Is(err, smsgw.ErrNotFound) && r.Context().Err() == nil {
				h.log.Warn("api: event replay failed", "after", cur, "err", err)
			}
			break
		}
		for _, ev := range evs {
			if len(want) > 0 && !want[ev.Event] {
				continue
			}
			b, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", oneLine(ev.ID), oneLine(ev.Event), b)
		}
		if !flush() {
			return -1, false
		}
		if next == cur {
			break
		}
		cur = next
	}
	n, err := strconv.ParseInt(cur, 10, 64)
	if err != nil {
		return -1, true
	}
	return n, true
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
