package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"smsgw/queue"

	"smsgw"
)

// The crash test runs a child process (this test binary again) that
// enqueues, claims, sends and receives as fast as it can, printing a line
// for everything the store acknowledged. The parent kills it with SIGKILL
// at a random moment, then checks the database against the lines: nothing
// acknowledged is missing, and every message is in exactly one consistent
// state. The next round continues on the same database, after recovery.

const crashEnv = "SMSGW_QUEUE_CRASH_DB"

func TestCrashRecovery(t *testing.T) {
	rounds, maxRun := 20, 300*time.Millisecond
	if os.Getenv("SMSGW_SOAK") == "1" {
		rounds, maxRun = 300, time.Second
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	acked := map[string]bool{} // every acknowledged fact of every round
	for round := 0; round < rounds; round++ {
		lines := runChildUntilKilled(t, path, round, time.Duration(rng.Int64N(int64(maxRun)))+20*time.Millisecond)
		recent := map[string]bool{}
		for _, l := range lines {
			acked[l] = true
			recent[l] = true
		}
		checkCrashedDB(t, path, acked, recent, round)
	}
	// Once more with every fact of every round checked in full.
	checkCrashedDB(t, path, acked, acked, rounds)
	var n int
	for l := range acked {
		if strings.HasPrefix(l, "A ") {
			n++
		}
	}
	if n < rounds {
		t.Errorf("only %d enqueues acknowledged in %d rounds: the child did not get to work", n, rounds)
	}
	t.Logf("%d rounds, %d acknowledged facts (%d enqueues)", rounds, len(acked), n)
}

func runChildUntilKilled(t *testing.T, path string, round int, after time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("SMSGW_QUEUE_CRASH_ROUND=%d", round))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			l := sc.Text()
			if l == "READY" {
				once.Do(func() { close(ready) })
				continue
			}
			lines = append(lines, l)
		}
		once.Do(func() { close(ready) })
	}()
	// Count the time from when the child has opened the store (recovery
	// included), so every round kills it in the middle of work.
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("child never became ready")
	}
	time.Sleep(after)
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child ended by itself (%v) instead of being killed", err)
	}
	return lines
}

// TestCrashChild is the child side; it does nothing unless started by
// TestCrashRecovery.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child of TestCrashRecovery")
	}
	round, _ := strconv.Atoi(os.Getenv("SMSGW_QUEUE_CRASH_ROUND"))
	st, err := Open(path, queue.Options{Logger: quiet, Retry: queue.RetryPolicy{Backoff: time.Millisecond, MaxAttempts: 3},
		JoinText: joinPlain}, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
		mu.Unlock()
	}
	say("READY")
	ctx := context.Background()
	// A guard: never outlive a parent that died.
	go func() { time.Sleep(60 * time.Second); os.Exit(4) }()
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				m := queue.NewMessage{To: []string{fmt.Sprintf("+49%d%02d%06d", round, g, i)}, Text: "crash test"}
				if i%5 == 0 {
					m.To = append(m.To, m.To[0]+"1", m.To[0]+"2")
				}
				if i%3 == 0 {
					m.IdempotencyKey = fmt.Sprintf("r%d-g%d-%d", round, g, i)
				}
				res, err := st.Enqueue(ctx, m)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child enqueue:", err)
					os.Exit(3)
				}
				for _, msg := range res.Messages {
					say("A %d", msg.ID)
				}
				if m.IdempotencyKey != "" {
					say("K %s %d %d", m.IdempotencyKey, res.Messages[0].ID, len(res.Messages))
				}
			}
		}()
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			modem := fmt.Sprintf("m%d", w)
			for i := 0; ; i++ {
				j, err := st.Claim(ctx, queue.ClaimOptions{Modem: modem})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child claim:", err)
					os.Exit(3)
				}
				switch i % 4 {
				case 0, 1:
					st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: i % 256, MR: i % 256})
					if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 2, Total: 2, Ref: i % 256, MR: (i + 1) % 256}); err != nil {
						fmt.Fprintln(os.Stderr, "child mark sent:", err)
						os.Exit(3)
					}
					say("S %d", j.ID)
				case 2:
					if _, err := st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Temporary, Err: "busy"}); err != nil {
						os.Exit(3)
					}
				case 3:
					st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: i % 256})
					if _, err := st.MarkSent(ctx, j.AttemptID); err != nil {
						os.Exit(3)
					}
					say("S %d", j.ID)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			p := queue.InboundPart{Modem: "m0", Sender: fmt.Sprintf("+%d", round), Ref: (i / 2) % 65536, Total: 2, Seq: 1 + i%2,
				PDU: []byte(fmt.Sprintf("%d:part%d", 1+i%2, i))}
			if _, err := st.AddInboundPart(ctx, p); err != nil {
				os.Exit(3)
			}
			say("I %s %d %d", p.Sender, p.Ref, p.Seq)
		}
	}()
	wg.Wait()
}

// checkCrashedDB inspects the database as the crash left it (before any
// recovery), then opens it once to run recovery and checks again.
//
// Messages are checked against every fact acknowledged so far (cheap map
// lookups); keys and inbound parts, one query each, only for the recent
// facts, and for all of them at the end of the test.
func checkCrashedDB(t *testing.T, path string, acked, recent map[string]bool, round int) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := map[int64]string{}
	rows, err := db.Query(`SELECT id, state FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var st string
		rows.Scan(&id, &st)
		ids[id] = st
	}
	rows.Close()
	for l := range acked {
		f := strings.Fields(l)
		if (f[0] == "K" || f[0] == "I") && !recent[l] {
			continue
		}
		switch f[0] {
		case "A":
			id, _ := strconv.ParseInt(f[1], 10, 64)
			if _, ok := ids[id]; !ok {
				t.Fatalf("round %d: acknowledged message %d is missing", round, id)
			}
		case "S":
			id, _ := strconv.ParseInt(f[1], 10, 64)
			if st := ids[id]; st != string(smsgw.StateSent) {
				t.Fatalf("round %d: message %d acknowledged as sent is %q", round, id, st)
			}
		case "K":
			var first, n int64
			if err := db.QueryRow(`SELECT first_id, count FROM requests WHERE key = ?`, f[1]).Scan(&first, &n); err != nil {
				t.Fatalf("round %d: acknowledged key %s: %v", round, f[1], err)
			}
			if fmt.Sprint(first) != f[2] || fmt.Sprint(n) != f[3] {
				t.Fatalf("round %d: key %s points to %d+%d, acknowledged %s+%s", round, f[1], first, n, f[2], f[3])
			}
		case "I":
			var n int
			db.QueryRow(`SELECT count(*) FROM inbound_parts WHERE modem = 'm0' AND sender = ? AND ref = ? AND seq = ?`,
				f[1], f[2], f[3]).Scan(&n)
			if n != 1 {
				t.Fatalf("round %d: acknowledged inbound part %v stored %d times", round, f[1:], n)
			}
		}
	}
	// One state per message, and the rest of the database agrees with it.
	for _, q := range []struct{ what, sql string }{
		{"unknown state", `SELECT count(*) FROM messages WHERE state NOT IN ('queued','sending','sent','delivered','failed','expired','cancelled','uncertain')`},
		{"sending without exactly one open attempt", `SELECT count(*) FROM messages m WHERE state = 'sending'
			AND (SELECT count(*) FROM attempts WHERE message_id = m.id AND outcome = '') != 1`},
		{"open attempt on a message not sending", `SELECT count(*) FROM attempts a JOIN messages m ON m.id = a.message_id
			WHERE a.outcome = '' AND m.state != 'sending'`},
		{"sent with parts missing", `SELECT count(*) FROM messages m WHERE state = 'sent'
			AND (SELECT count(*) FROM parts WHERE message_id = m.id) != parts_total`},
		{"sent without exactly one sent event", `SELECT count(*) FROM messages m LEFT JOIN
			(SELECT subject_id, count(*) AS n FROM events WHERE type = 'message.sent' GROUP BY subject_id) e
			ON e.subject_id = m.id WHERE m.state = 'sent' AND coalesce(e.n, 0) != 1`},
		{"sent event for a message not sent", `SELECT count(*) FROM events e JOIN messages m ON m.id = e.subject_id
			WHERE e.type = 'message.sent' AND m.state != 'sent'`},
		{"failed without exactly one failed event", `SELECT count(*) FROM messages m LEFT JOIN
			(SELECT subject_id, count(*) AS n FROM events WHERE type = 'message.failed' GROUP BY subject_id) e
			ON e.subject_id = m.id WHERE m.state = 'failed' AND coalesce(e.n, 0) != 1`},
		{"attempt counter disagrees", `SELECT count(*) FROM messages m WHERE attempts != (SELECT count(*) FROM attempts WHERE message_id = m.id)`},
		{"queued with a claim mark", `SELECT count(*) FROM messages WHERE state = 'queued' AND reason NOT IN ('', 'retry', 'recovered')`},
		{"idempotency key past the messages", `SELECT count(*) FROM requests WHERE first_id + count - 1 > (SELECT max(id) FROM messages)`},
		{"inbound part joined twice", `SELECT count(*) FROM (SELECT inbox_id FROM inbound_parts WHERE inbox_id IS NOT NULL
			GROUP BY inbox_id HAVING count(*) > 2)`},
		{"inbox message without its event", `SELECT count(*) FROM inbox i LEFT JOIN
			(SELECT subject_id, count(*) AS n FROM events WHERE type = 'inbox.received' GROUP BY subject_id) e
			ON e.subject_id = i.id WHERE coalesce(e.n, 0) != 1`},
	} {
		var n int
		if err := db.QueryRow(q.sql).Scan(&n); err != nil {
			t.Fatalf("round %d: %s: %v", round, q.what, err)
		}
		if n != 0 {
			t.Fatalf("round %d: %d messages %s", round, n, q.what)
		}
	}

	// Alternate the recovery policies; either way nothing stays sending.
	pol := queue.AtLeastOnce
	if round%2 == 1 {
		pol = queue.AtMostOnce
	}
	var before, uncertainBefore int64
	db.QueryRow(`SELECT count(*) FROM messages WHERE state = 'sending'`).Scan(&before)
	db.QueryRow(`SELECT count(*) FROM messages WHERE state = 'uncertain'`).Scan(&uncertainBefore)
	db.Close()
	st, err := Open(path, queue.Options{Logger: quiet, Recovery: pol}, Options{NoHousekeeper: true})
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer st.Close(context.Background())
	c, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c[smsgw.StateSending] != 0 {
		t.Fatalf("round %d: %d messages still sending after recovery", round, c[smsgw.StateSending])
	}
	if pol == queue.AtMostOnce {
		if got := c[smsgw.StateUncertain] - uncertainBefore; got != before {
			t.Fatalf("round %d: %d were sending, %d became uncertain", round, before, got)
		}
	}
}
