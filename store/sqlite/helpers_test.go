package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/queue"
	"smsgw/store/storetest"

	"smsgw"
)

// fakeClock is the injected Now of tests.
type fakeClock = storetest.Clock

func newClock() *fakeClock { return storetest.NewClock() }

// testStore opens a store in a temp dir with a fake clock and no
// housekeeping goroutine (tests call Sweep themselves).
func testStore(t testing.TB, opt queue.Options) (*Store, *fakeClock) {
	t.Helper()
	return testStoreAt(t, filepath.Join(t.TempDir(), "q.db"), opt)
}

func testStoreAt(t testing.TB, path string, opt queue.Options) (*Store, *fakeClock) {
	t.Helper()
	clk := newClock()
	if opt.Now == nil {
		opt.Now = clk.Now
	}
	if opt.Logger == nil {
		opt.Logger = quiet
	}
	// Power-cut durability is not what these tests are about, and an
	// fsync per commit makes them slow on a busy machine.
	st := mustOpen(t, path, opt, Options{NoHousekeeper: true, Sync: SyncNormal})
	return st, clk
}

func mustOpen(t testing.TB, path string, opt queue.Options, dopt Options) *Store {
	t.Helper()
	st, err := Open(path, opt, dopt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func mustEnqueue(t testing.TB, st *Store, m queue.NewMessage) []queue.Message {
	t.Helper()
	if m.Text == "" {
		m.Text = "hello"
	}
	if len(m.To) == 0 {
		m.To = []string{"+4915112345678"}
	}
	res, err := st.Enqueue(context.Background(), m)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return res.Messages
}

func mustClaim(t testing.TB, st *Store, co queue.ClaimOptions) *queue.Job {
	t.Helper()
	j, err := st.TryClaim(context.Background(), co)
	if err != nil {
		t.Fatalf("TryClaim(%+v): %v", co, err)
	}
	return j
}

func noClaim(t testing.TB, st *Store, co queue.ClaimOptions) {
	t.Helper()
	j, err := st.TryClaim(context.Background(), co)
	if !errors.Is(err, queue.ErrNoMessage) {
		t.Fatalf("TryClaim(%+v) = %+v, %v; want ErrNoMessage", co, j, err)
	}
}

func mustGet(t testing.TB, st *Store, id int64) queue.Message {
	t.Helper()
	m, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return m
}

func wantState(t testing.TB, st *Store, id int64, want smsgw.State) queue.Message {
	t.Helper()
	m := mustGet(t, st, id)
	if m.State != want {
		t.Fatalf("message %d state = %s (reason %q), want %s", id, m.State, m.Reason, want)
	}
	return m
}

// eventTypes lists the outbox event types for one subject, in order.
func eventTypes(t testing.TB, st *Store, subject int64) []queue.EventType {
	t.Helper()
	evs, err := st.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []queue.EventType
	for _, e := range evs {
		if e.SubjectID == subject {
			out = append(out, e.Type)
		}
	}
	return out
}

var modemA = queue.ClaimOptions{Modem: "a"}
var modemB = queue.ClaimOptions{Modem: "b"}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// joinPlain is the tests' JoinText: each fake PDU is "<seq>:<text>".
func joinPlain(parts [][]byte) (string, string, error) {
	var b strings.Builder
	for _, p := range parts {
		_, text, ok := strings.Cut(string(p), ":")
		if !ok {
			return "", "", fmt.Errorf("bad fake pdu %q", p)
		}
		b.WriteString(text)
	}
	return b.String(), "gsm7", nil
}

func part(seq, total int, text string) queue.InboundPart {
	return queue.InboundPart{Modem: "m1", Sender: "+4917000000", Ref: 42, Total: total, Seq: seq,
		SCTS: time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC), PDU: []byte(fmt.Sprintf("%d:%s", seq, text))}
}

// keepInserted does for rows a test inserted straight into messages what
// the enqueue does for the rows it inserts (see wtx.inserted): counts them
// by state and brings their conversations up to date.
func keepInserted(t testing.TB, st *Store) {
	t.Helper()
	for _, q := range []string{`DELETE FROM state_counts`,
		`INSERT INTO state_counts (state, n) SELECT state, count(*) FROM messages GROUP BY state`} {
		if _, err := st.wdb.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.wdb.Exec(upsertConversations, 0, int64(1)<<62); err != nil {
		t.Fatal(err)
	}
}
