package queue

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
)

func TestBackoffDelay(t *testing.T) {
	p := RetryPolicy{Backoff: 30 * time.Second, MaxBackoff: 10 * time.Minute, Jitter: 0.2}
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 5: 8 * time.Minute, 6: 10 * time.Minute, 60: 10 * time.Minute} {
		if got := p.delay(n, 0); got != want {
			t.Errorf("delay(%d, 0) = %v, want %v", n, got, want)
		}
		if got := p.delay(n, 0.999999); got < want*8/10 || got > want {
			t.Errorf("delay(%d, max jitter) = %v, want within 20%% below %v", n, got, want)
		}
	}
	// Through the store: the recorded next attempt falls in the window.
	st, clk := testStore(t, Options{Retry: RetryPolicy{MaxAttempts: 10, Backoff: time.Minute, MaxBackoff: time.Hour, Jitter: 0.5}})
	id := mustEnqueue(t, st, NewMessage{})[0].ID
	spread := map[time.Duration]bool{}
	for n := 1; n <= 4; n++ {
		j := mustClaim(t, st, modemA)
		m, _ := st.MarkFailed(context.Background(), j.AttemptID, Failure{Err: "busy"})
		d := m.NextAttempt.Sub(clk.Now())
		full := time.Minute << (n - 1)
		if d < full/2 || d > full {
			t.Fatalf("after failure %d: next attempt in %v, want %v..%v", n, d, full/2, full)
		}
		spread[d*time.Minute/full] = true
		clk.Advance(d)
	}
	if len(spread) < 2 {
		t.Errorf("no jitter: every delay was the same fraction %v", spread)
	}
	wantState(t, st, id, smsgw.StateQueued)
}

func TestRecoveryPolicy(t *testing.T) {
	for _, pol := range []Recovery{AtLeastOnce, AtMostOnce} {
		t.Run(string(pol), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "q.db")
			clk := newClock()
			st, err := Open(path, Options{Now: clk.Now, NoHousekeeper: true, Recovery: pol, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			res, _ := st.Enqueue(ctx, NewMessage{To: []string{"+1", "+2", "+3"}, Text: "x"})
			j1, _ := st.TryClaim(ctx, modemA)
			st.MarkPartSent(ctx, j1.AttemptID, PartResult{Seq: 1, Total: 2, Ref: 3, MR: 9})
			j2, _ := st.TryClaim(ctx, modemB)
			st.MarkSent(ctx, j2.AttemptID)
			// A crash: the store is not told about the attempt's end.
			st.Close(ctx)

			st = mustOpen(t, path, Options{Now: clk.Now, NoHousekeeper: true, Recovery: pol, Logger: quiet})
			m := mustGet(t, st, j1.ID)
			if m.AttemptLog[0].Outcome != "interrupted" {
				t.Errorf("attempt outcome = %q", m.AttemptLog[0].Outcome)
			}
			if pol == AtLeastOnce {
				if m.State != smsgw.StateQueued || m.Reason != ReasonRecovered {
					t.Fatalf("state %s reason %q, want queued/recovered", m.State, m.Reason)
				}
				j := mustClaim(t, st, modemA)
				if j.ID != j1.ID || j.Resume == nil || !cmp.Equal(j.Resume.Missing(), []int{2}) {
					t.Errorf("reclaim = %+v (resume %+v)", j.Message.ID, j.Resume)
				}
			} else {
				if m.State != smsgw.StateUncertain || m.Reason != ReasonInterrupted {
					t.Fatalf("state %s reason %q, want uncertain/interrupted", m.State, m.Reason)
				}
				if diff := cmp.Diff([]EventType{EventUncertain}, eventTypes(t, st, j1.ID)); diff != "" {
					t.Errorf("events:\n%s", diff)
				}
				j := mustClaim(t, st, modemA)
				if j.ID != res.Messages[2].ID {
					t.Errorf("claimed %d, want the untouched third message", j.ID)
				}
			}
			wantState(t, st, j2.ID, smsgw.StateSent)
		})
	}
}

func TestClaimWaits(t *testing.T) {
	// Real clock: Claim must wake on a new message and on a due time.
	st := mustOpen(t, filepath.Join(t.TempDir(), "q.db"), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan *Job)
	go func() {
		j, err := st.Claim(ctx, modemA)
		if err != nil {
			t.Error(err)
		}
		got <- j
	}()
	// Wait until the claimer sleeps on the signal, then enqueue.
	waitFor(t, func() bool { st.ready.mu.Lock(); defer st.ready.mu.Unlock(); return st.ready.ch != nil })
	id := mustEnqueue(t, st, NewMessage{})[0].ID
	if j := <-got; j == nil || j.ID != id {
		t.Fatalf("woken claim = %+v", j)
	}

	// A message due shortly: the claimer's timer fires without a new write.
	start := time.Now()
	id = mustEnqueue(t, st, NewMessage{SendAfter: time.Now().Add(150 * time.Millisecond)})[0].ID
	j, err := st.Claim(ctx, modemA)
	if err != nil || j.ID != id {
		t.Fatalf("timed claim = %+v, %v", j, err)
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Errorf("claimed after %v, before the send-after time", d)
	}

	// Cancellation ends the wait.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := st.Claim(cctx, modemA); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled claim err = %v", err)
	}
}

// waitFor polls a condition that has no event of its own (test-only
// introspection), with a generous failure guard.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
