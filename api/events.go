package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// subscriberBuffer is how many events a slow event-stream client may lag
// before it is cut off (it reconnects with Last-Event-ID and lists the gap
// through the REST routes).
const subscriberBuffer = 256

// hub fans events out to the /v1/events streams.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
	done   chan struct{}
}

type subscriber struct {
	ch      chan Event
	dropped chan struct{} // closed when cut off for lagging
	once    sync.Once
}

func newHub() *hub {
	return &hub{subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
}

func (h *hub) subscribe() (*subscriber, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	s := &subscriber{ch: make(chan Event, subscriberBuffer), dropped: make(chan struct{})}
	h.subs[s] = struct{}{}
	return s, true
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.ch <- ev:
		default:
			s.once.Do(func() { close(s.dropped) })
			delete(h.subs, s)
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// subscribers reports the number of open streams (tests, metrics).
func (h *hub) subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

var knownEvents = []string{"sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping"}

// events streams gateway events as server-sent events: each is
// "id: <event id>\nevent: <name>\ndata: <JSON envelope>\n\n". The optional
// event query parameter (comma-separated) filters by name. A comment line
// every 25 s keeps proxies from closing an idle stream.
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
				return badField("event", "unknown event %q; events are %s", e, strings.Join(knownEvents, ", "))
			}
			want[e] = true
		}
	}
	sub, ok := h.hub.subscribe()
	if !ok {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "the server is shutting down")
	}
	defer h.hub.unsubscribe(sub)
	rc := http.NewResponseController(w)
	// The server's read/write timeouts would cut a long-lived stream.
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": smsgw events\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-h.hub.done:
			return nil
		case <-sub.dropped:
			fmt.Fprint(w, "event: overflow\ndata: {}\n\n")
			_ = rc.Flush()
			return nil
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		case ev := <-sub.ch:
			if len(want) > 0 && !want[ev.Event] {
				continue
			}
			b, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", oneLine(ev.ID), oneLine(ev.Event), b)
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
