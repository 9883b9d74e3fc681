package api_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/api"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// queueLog replays the test queue's outbox the way the gateway does, with
// only the names mapped (the gateway builds the full payloads).
type queueLog struct{ q *sqlite.Store }

func (l queueLog) EventsAfter(ctx context.Context, after string, limit int) ([]smsgw.Event, string, error) {
	n, err := strconv.ParseInt(after, 10, 64)
	if err != nil {
		return nil, after, smsgw.ErrNotFound
	}
	list, err := l.q.Events(ctx, n, limit)
	if err != nil {
		return nil, after, err
	}
	names := map[queue.EventType]string{queue.EventSent: "sms:sent", queue.EventDelivered: "sms:delivered", queue.EventFailed: "sms:failed", queue.EventReceived: "sms:received"}
	var out []smsgw.Event
	next := after
	for _, e := range list {
		next = strconv.FormatInt(e.ID, 10)
		if name, ok := names[e.Type]; ok {
			out = append(out, smsgw.Event{ID: next, Event: name, Payload: []byte(fmt.Sprintf(`{"messageId":"%d"}`, e.SubjectID))})
		}
	}
	return out, next, nil
}

// streamFrom opens /v1/events with a Last-Event-ID and collects the ids of
// the events it carries until one with id stop arrives.
func streamFrom(t *testing.T, srv *httptest.Server, query, last, stop string) []string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/events%s HTTP/1.1\r\nHost: localhost\r\nLast-Event-ID: %s\r\n\r\n", query, last)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	sc := bufio.NewScanner(conn)
	var ids []string
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids = append(ids, id)
			if id == stop {
				return ids
			}
		}
	}
	t.Fatalf("stream ended before event %s (got %v): %v", stop, ids, sc.Err())
	return nil
}

// TestEventsResumeAfterLastEventID: a client that reconnects with the id
// of the last event it saw gets every later event from the outbox, once.
func TestEventsResumeAfterLastEventID(t *testing.T) {
	e := newEnv(t, api.Options{})
	e.Rebuild(func(b *api.Backend) { b.Events = queueLog{e.Q} })
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	defer e.API.Close(context.Background())

	id1 := e.SendOne("+4915112345671", "one")
	id2 := e.SendOne("+4915112345672", "two")
	e.MarkSent(id1, 1)
	e.MarkSent(id2, 2)
	e.Report(id1, 1, true)
	all, err := e.Q.Events(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string // outbox ids of the sent and delivered events
	for _, ev := range all {
		if ev.Type == queue.EventSent || ev.Type == queue.EventDelivered {
			kept = append(kept, strconv.FormatInt(ev.ID, 10))
		}
	}
	if len(kept) != 3 {
		t.Fatalf("outbox: %+v", all)
	}
	last := kept[len(kept)-1]
	// After the first sms:sent, the client gets the second one and the
	// delivery, in order.
	got := streamFrom(t, srv, "", kept[0], last)
	if strings.Join(got, ",") != strings.Join(kept[1:], ",") {
		t.Fatalf("replayed %v, want %v", got, kept[1:])
	}
	// The filter applies to the replay too.
	got = streamFrom(t, srv, "?event=sms:delivered", "0", last)
	if len(got) != 1 || got[0] != last {
		t.Fatalf("filtered replay %v", got)
	}
	// An event that is both replayed and published live goes out once,
	// whichever comes first.
	waitFor(t, func() bool { return api.Subscribers(e.API) == 0 }, "earlier streams gone")
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/events HTTP/1.1\r\nHost: localhost\r\nLast-Event-ID: %s\r\n\r\n", kept[0])
	waitFor(t, func() bool { return api.Subscribers(e.API) == 1 }, "subscribed")
	e.Stack.Publish(smsgw.Event{ID: kept[1], Event: "sms:sent", Payload: []byte(`{}`)})
	e.Stack.Publish(smsgw.Event{ID: "999999", Event: "sms:sent", Payload: []byte(`{}`)})
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	sc := bufio.NewScanner(conn)
	var ids []string
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids = append(ids, id)
			if id == "999999" {
				break
			}
		}
	}
	want := append(append([]string{}, kept[1:]...), "999999")
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("stream %v, want %v", ids, want)
	}
}
