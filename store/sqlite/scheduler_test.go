package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"smsgw/queue"

	"github.com/google/go-cmp/cmp"

	"smsgw"
)

func TestRecoveryPolicy(t *testing.T) {
	for _, pol := range []queue.Recovery{queue.AtLeastOnce, queue.AtMostOnce} {
		t.Run(string(pol), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "q.db")
			clk := newClock()
			st, err := Open(path, queue.Options{Now: clk.Now, Recovery: pol, Logger: quiet}, Options{NoHousekeeper: true})
			if err != nil {
				t.Fatal(err)
			}
			res, _ := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1", "+2", "+3"}, Text: "x"})
			j1, _ := st.TryClaim(ctx, modemA)
			st.MarkPartSent(ctx, j1.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: 3, MR: 9})
			j2, _ := st.TryClaim(ctx, modemB)
			st.MarkSent(ctx, j2.AttemptID)
			// A crash: the store is not told about the attempt's end.
			st.Close(ctx)

			st = mustOpen(t, path, queue.Options{Now: clk.Now, Recovery: pol, Logger: quiet}, Options{NoHousekeeper: true})
			m := mustGet(t, st, j1.ID)
			if m.AttemptLog[0].Outcome != "interrupted" {
				t.Errorf("attempt outcome = %q", m.AttemptLog[0].Outcome)
			}
			if pol == queue.AtLeastOnce {
				if m.State != smsgw.StateQueued || m.Reason != queue.ReasonRecovered {
					t.Fatalf("state %s reason %q, want queued/recovered", m.State, m.Reason)
				}
				j := mustClaim(t, st, modemA)
				if j.ID != j1.ID || j.Resume == nil || !cmp.Equal(j.Resume.Missing(), []int{2}) {
					t.Errorf("reclaim = %+v (resume %+v)", j.Message.ID, j.Resume)
				}
			} else {
				if m.State != smsgw.StateUncertain || m.Reason != queue.ReasonInterrupted {
					t.Fatalf("state %s reason %q, want uncertain/interrupted", m.State, m.Reason)
				}
				if diff := cmp.Diff([]queue.EventType{queue.EventUncertain}, eventTypes(t, st, j1.ID)); diff != "" {
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
	st := mustOpen(t, filepath.Join(t.TempDir(), "q.db"), queue.Options{}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan *queue.Job)
	go func() {
		j, err := st.Claim(ctx, modemA)
		if err != nil {
			t.Error(err)
		}
		got <- j
	}()
	// Wait until the claimer sleeps on the signal, then enqueue.
	waitFor(t, func() bool { st.hub.ready.mu.Lock(); defer st.hub.ready.mu.Unlock(); return st.hub.ready.ch != nil })
	id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
	if j := <-got; j == nil || j.ID != id {
		t.Fatalf("woken claim = %+v", j)
	}

	// A message due shortly: the claimer's timer fires without a new write.
	start := time.Now()
	id = mustEnqueue(t, st, queue.NewMessage{SendAfter: time.Now().Add(150 * time.Millisecond)})[0].ID
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
