package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"smsgw/queue"
)

// --wait with a send-only token cannot follow the message: it says so and
// stops before anything is queued, so a wrapper that retries sends once.
func TestSendWaitSendOnlyTokenRefusedBeforeSending(t *testing.T) {
	e := newCLIEnv(t)
	t.Setenv("SMSGW_TOKEN", "sendtok")
	code, out, errs := e.run("send", "--to", "+4915112345678", "--text", "otp", "--wait", "--timeout", "20s")
	if code != exitUsage || !strings.Contains(errs, "may only send") || !strings.Contains(errs, "nothing was sent") {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitUsage, out, errs)
	}
	if n := e.queued(); n != 0 {
		t.Fatalf("%d message(s) queued by a refused --wait", n)
	}
	// The same without an event stream (an older daemon): the read probe
	// finds the same refusal.
	e.setFront(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v1/events" {
			http.NotFound(w, r)
			return true
		}
		return false
	})
	if code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "otp", "--wait"); code != exitUsage || e.queued() != 0 {
		t.Fatalf("without a stream: exit %d, %d queued\n%s", code, e.queued(), errs)
	}
	// Without --wait the send-only token queues, exit 0.
	if code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "otp"); code != exitOK || e.queued() != 1 {
		t.Fatalf("plain send: exit %d, %d queued\n%s", code, e.queued(), errs)
	}
}

// Without an event stream --wait reads the message every 2 s, and does.
func TestSendWaitPollsWithoutEventStream(t *testing.T) {
	e := newCLIEnv(t)
	e.setFront(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v1/events" {
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"code":"too_many_streams","message":"too many event streams"}}`)
			return true
		}
		return false
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.deliver(true) }()
	code, out, errs := e.run("send", "--to", "+4915112345678", "--text", "otp", "--wait", "--timeout", "60s")
	wg.Wait()
	if code != exitOK || !strings.Contains(out, "delivered") || !strings.Contains(errs, "checking every 2 s") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}

func TestSendUncertainIsUnknownNotFailed(t *testing.T) {
	e := newCLIEnv(t)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx := context.Background()
		job, err := e.q.Claim(ctx, queue.ClaimOptions{Modem: "office"})
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := e.q.MarkUncertain(ctx, job.AttemptID, "no answer to AT+CMGS"); err != nil {
			t.Error(err)
		}
		e.publish("sms:failed", fmt.Sprint(job.ID))
	}()
	code, out, errs := e.run("send", "--to", "+4915112345678", "--text", "otp", "--wait", "--timeout", "60s")
	wg.Wait()
	if code != exitUnknown || !strings.Contains(out, "uncertain") || !strings.Contains(errs, "do not send it again") {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitUnknown, out, errs)
	}
}

func TestSendDaemonUnreachableOrFailing(t *testing.T) {
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("SMSGW_TOKEN", "tok")
	var o, eb strings.Builder
	for _, args := range [][]string{
		{"send", "--addr", addr, "--to", "+4915112345678", "--text", "x"},
		{"send", "--addr", addr, "--to", "+4915112345678", "--text", "x", "--wait"},
		{"status", "--addr", addr, "1"},
		{"modems", "--addr", addr},
	} {
		o.Reset()
		eb.Reset()
		if code := run(args, &o, &eb); code != exitUnreachable || !strings.Contains(eb.String(), "cannot reach") {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUnreachable, eb.String())
		}
	}

	// A daemon that answers 500: nothing was queued, try later.
	e := newCLIEnv(t)
	e.setFront(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"error":{"code":"internal","message":"database is locked"}}`)
			return true
		}
		return false
	})
	if code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "x"); code != exitUnreachable || !strings.Contains(errs, "nothing was queued") {
		t.Fatalf("500: exit %d: %s", code, errs)
	}
}

// The request reaches the daemon, which queues it, and the connection dies
// before the answer: the client cannot know, and must not say "error".
func TestSendAnswerLostIsUnknown(t *testing.T) {
	e := newCLIEnv(t)
	e.setFront(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		e.h.ServeHTTP(httptest.NewRecorder(), r) // queued, answer dropped
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	})
	code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "x")
	if code != exitUnknown || !strings.Contains(errs, "may have been queued") {
		t.Fatalf("exit %d, want %d: %s", code, exitUnknown, errs)
	}
	if n := e.queued(); n != 1 {
		t.Fatalf("%d queued, want 1", n)
	}
}

// The daemon goes away while --wait follows a queued message: at the
// timeout the state is unknown (5), not a plain timeout (4) or an error.
func TestSendWaitDaemonLost(t *testing.T) {
	e := newCLIEnv(t)
	var dead atomic.Bool
	e.setFront(func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.URL.Path == "/v1/events":
			http.NotFound(w, r)
			return true
		case r.Method == http.MethodPost:
			dead.Store(true) // every read after this send finds no daemon
			return false
		case dead.Load():
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return true
		}
		return false
	})
	code, _, errs := e.run("send", "--to", "+4915112345678", "--text", "x", "--wait", "--timeout", "3s")
	if code != exitUnknown || !strings.Contains(errs, "state unknown") || !strings.Contains(errs, "trying again every 2 s") {
		t.Fatalf("exit %d, want %d: %s", code, exitUnknown, errs)
	}
	if n := e.queued(); n != 1 {
		t.Fatalf("%d queued, want 1", n)
	}
}
