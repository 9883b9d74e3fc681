package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"smsgw/api"
	"smsgw/httpd/httpdtest"
	"strings"
	"testing"
	"time"

	"smsgw"
)

func TestRequestLimits(t *testing.T) {
	e := newEnv(t, api.Options{Limits: api.Limits{Recipients: 3, Tags: 2, TagBytes: 8, MetadataKeys: 2, MetadataBytes: 64, BodyBytes: 4096}})
	check := func(body any, status int, code, field string) {
		t.Helper()
		r := e.Do("POST", "/v1/messages", body)
		e.Want(r, status)
		c, f := r.ErrCode(t)
		if c != code || f != field {
			t.Fatalf("code %s field %s, want %s %s: %s", c, f, code, field, r.Body)
		}
	}
	to := []string{"+4915112345671", "+4915112345672", "+4915112345673", "+4915112345674"}
	check(map[string]any{"to": to, "text": "x"}, 422, api.CodeTooManyRecipients, "to")
	check(map[string]any{"to": to[0], "text": "x", "tags": []string{"a", "b", "c"}}, 422, api.CodeTooManyTags, "tags")
	check(map[string]any{"to": to[0], "text": "x", "tags": []string{"a", "123456789"}}, 422, api.CodeTagTooLong, "tags[1]")
	check(map[string]any{"to": to[0], "text": "x", "metadata": map[string]string{"a": "1", "b": "2", "c": "3"}}, 422, api.CodeTooManyMetadataKeys, "metadata")
	check(map[string]any{"to": to[0], "text": "x", "metadata": map[string]string{"a": strings.Repeat("x", 80)}}, 413, api.CodeMetadataTooLarge, "metadata")
	check(`{"to":"+4915112345671","text":"`+strings.Repeat("x", 5000)+`"}`, 413, api.CodeBodyTooLarge, "")
	// Within every limit it goes through; the SMSGate and Kannel routes
	// share the recipient cap.
	e.Want(e.Do("POST", "/v1/messages", map[string]any{"to": to[:3], "text": "x", "tags": []string{"a", "12345678"}, "metadata": map[string]string{"a": "1", "b": "2"}}), 202)
	r := e.Do("POST", "/message", map[string]any{"message": "x", "phoneNumbers": to})
	if r.Code < 400 || r.Code >= 500 {
		t.Fatalf("SMSGate over the cap: %d %s", r.Code, r.Body)
	}
	if r := e.Do("GET", "/cgi-bin/sendsms?text=x&to="+strings.Join(to, "+"), nil); r.Code < 400 || r.Code >= 500 {
		t.Fatalf("Kannel over the cap: %d %s", r.Code, r.Body)
	}
	// The default recipient cap is 10,000.
	if api.DefaultLimits().Recipients != 10000 {
		t.Fatal(api.DefaultLimits())
	}
}

// openStream connects a raw event-stream client and waits for its
// subscription; it reads nothing further unless asked.
func openStream(t *testing.T, e *httpdtest.Env, srv *httptest.Server, want int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
	waitFor(t, func() bool { return api.Subscribers(e.API) == want }, "stream subscribed")
	return conn
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventStreamCap(t *testing.T) {
	e := newEnv(t, api.Options{Limits: api.Limits{EventStreams: 2}})
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	defer e.API.Close(context.Background()) // streams end before the server waits for them
	openStream(t, e, srv, 1)
	c2 := openStream(t, e, srv, 2)
	r := e.Do("GET", "/v1/events", nil)
	e.Want(r, http.StatusTooManyRequests)
	if code, _ := r.ErrCode(t); code != api.CodeTooManyStreams || r.Header.Get("Retry-After") == "" {
		t.Fatalf("%s %v", r.Body, r.Header)
	}
	// A closed stream frees its place.
	c2.Close()
	waitFor(t, func() bool { return api.Subscribers(e.API) == 1 }, "closed stream leaves")
	openStream(t, e, srv, 2)
}

// bigEvents publishes n events of 64 KiB: more than the socket buffers
// hold, fewer than the subscriber buffer, so a client that does not read
// blocks the stream's writer rather than overflowing.
func bigEvents(e *httpdtest.Env, n int) {
	big := json.RawMessage(`{"messageId":"1","message":"` + strings.Repeat("x", 64<<10) + `"}`)
	for i := 0; i < n; i++ {
		e.Stack.Publish(smsgw.Event{ID: fmt.Sprint(i), Event: "sms:received", Payload: big})
	}
}

// TestStalledStreamCutOff: a client that stops reading does not pin its
// stream: the write deadline ends it.
func TestStalledStreamCutOff(t *testing.T) {
	e := newEnv(t, api.Options{Limits: api.Limits{StreamWriteTimeout: 500 * time.Millisecond}})
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	defer e.API.Close(context.Background()) // streams end before the server waits for them
	openStream(t, e, srv, 1)
	bigEvents(e, 200)
	waitFor(t, func() bool { return api.Subscribers(e.API) == 0 }, "stalled stream cut off by its write deadline")
}

// TestCloseEndsStalledStream: shutdown does not wait for a client that
// stopped reading, even with a long write deadline.
func TestCloseEndsStalledStream(t *testing.T) {
	e := newEnv(t, api.Options{Limits: api.Limits{StreamWriteTimeout: time.Hour}})
	srv := httptest.NewUnstartedServer(e.Handler)
	srv.Start()
	openStream(t, e, srv, 1)
	bigEvents(e, 200)
	if err := e.API.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown waited for a stalled stream: %v", err)
	}
	if n := api.Subscribers(e.API); n != 0 {
		t.Fatalf("%d streams left", n)
	}
}

func TestSystemPing(t *testing.T) {
	e := newEnv(t, api.Options{})
	api.SetPingEvery(e.API, 20*time.Millisecond)
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	defer e.API.Close(context.Background()) // streams end before the server waits for them
	conn := openStream(t, e, srv, 1)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	sc := bufio.NewScanner(conn)
	got := false
	for sc.Scan() {
		if sc.Text() == "event: system:ping" {
			got = true
			break
		}
	}
	conn.Close()
	if !got {
		t.Fatalf("no system:ping: %v", sc.Err())
	}
	waitFor(t, func() bool { return api.Subscribers(e.API) == 0 }, "stream closed")
	// A filter without system:ping gets comment lines instead.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/events?event=sms:received HTTP/1.1\r\nHost: localhost\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	sc = bufio.NewScanner(conn)
	for sc.Scan() {
		if sc.Text() == "event: system:ping" {
			t.Fatal("system:ping sent to a stream that filtered it out")
		}
		if sc.Text() == ": keepalive" {
			return
		}
	}
	t.Fatalf("no keepalive: %v", sc.Err())
}
