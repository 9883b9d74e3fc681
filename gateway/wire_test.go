package gateway

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// Once the PDU of a part is on the wire, a cancelled send or a port that
// closes under it leaves the part uncertain: retry.policy decides, and the
// attempt is never released as "nothing sent".
func TestCutOffAfterWriteIsUncertain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy string
		cut    func(r *rig)
	}{
		{"abort, at-most-once", policyAtMostOnce, closeAborted},
		{"port closed, at-most-once", policyAtMostOnce, func(r *rig) {
			if err := r.modems[0].Unplug(); err != nil {
				r.t.Fatal(err)
			}
		}},
		{"abort, at-least-once", policyAtLeastOnce, closeAborted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) { c.Retry.AtMostOnce = tc.policy == policyAtMostOnce }})
			r.waitReady(1)
			r.modems[0].HangOnPDU(0) // takes the PDU, never answers
			id := r.enqueue(queue.NewMessage{To: []string{"+15557770100"}, Text: "on the wire"})[0].ID
			r.waitFor("PDU on the wire", 20*time.Second, func() bool { return r.modems[0].Hung() })
			tc.cut(r)

			r.waitFor("attempt ended", 20*time.Second, func() bool {
				m := r.get(id)
				return len(m.AttemptLog) > 0 && m.AttemptLog[0].Outcome != ""
			})
			m := r.get(id)
			a := m.AttemptLog[0]
			if a.Outcome == "released" {
				t.Fatalf("a part on the wire was released as nothing sent: %+v", a)
			}
			switch tc.policy {
			case policyAtMostOnce:
				if m.State != smsgw.StateUncertain || a.Outcome != "uncertain" {
					t.Errorf("at-most-once: message %s, attempt %q (%s); want uncertain", m.State, a.Outcome, a.Error)
				}
			default:
				if a.Outcome != string(queue.Temporary) || !strings.Contains(a.Error, "uncertain") || m.Failures != 1 {
					t.Errorf("at-least-once: attempt %q (%s), %d failures; want a temporary failure marked uncertain", a.Outcome, a.Error, m.Failures)
				}
			}
		})
	}
}

// Recording a sent part survives a store that refuses writes for a while
// (another connection holds the database's write lock past the busy
// timeout): the record is retried until it goes in, the message ends
// sent, and it is not sent twice.
func TestRecordSentRetried(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1, submitDelay: 500 * time.Millisecond,
		sqliteOpts: sqlite.Options{BusyTimeout: 50 * time.Millisecond}})
	r.waitReady(1)
	db, err := sql.Open("sqlite3", "file:"+r.db+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	id := r.enqueue(queue.NewMessage{To: []string{"+15557770200"}, Text: "record me"})[0].ID
	r.waitFor("message claimed", 20*time.Second, func() bool { return r.get(id).State == smsgw.StateSending })
	// The part is in the modem's hands (its answer comes after the submit
	// delay); lock the store out before the answer arrives.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("part accepted by the network", 20*time.Second, func() bool { return len(r.net.Outbox()) == 1 })
	// Keep the lock well past several record attempts (busy timeout 50 ms).
	time.Sleep(time.Second)
	if st := r.get(id).State; st != smsgw.StateSending {
		t.Fatalf("message %s while the store refused writes", st)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	r.waitStates([]int64{id}, 20*time.Second, smsgw.StateSent)
	if m := r.get(id); len(m.AttemptLog) != 1 || len(r.net.Outbox()) != 1 {
		t.Errorf("%d attempts, %d copies on the network; want 1 and 1", len(m.AttemptLog), len(r.net.Outbox()))
	}
}

// closeAborted closes the gateway with its drain already over, as a second
// signal does: sends on the wire are aborted, not waited for.
func closeAborted(r *rig) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.g.Close(ctx); err == nil {
		r.t.Error("closing with no time to drain a send on the wire reported no error")
	}
}
