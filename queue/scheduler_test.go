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

func TestStateTransitions(t *testing.T) {
	ctx := context.Background()
	retry := RetryPolicy{MaxAttempts: 2, MaxModemFaults: 2, Backoff: time.Minute, MaxBackoff: time.Hour, Jitter: 0.5}
	tests := []struct {
		name   string
		run    func(t *testing.T, st *Store, clk *fakeClock, id int64)
		want   smsgw.State
		events []EventType
	}{
		{"queued to sent", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			wantState(t, st, id, smsgw.StateSending)
			m, err := st.MarkSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 1, MR: 1})
			if err != nil || m.State != smsgw.StateSent {
				t.Fatalf("MarkSent = %v, %v", m.State, err)
			}
		}, smsgw.StateSent, []EventType{EventSent}},
		{"sent to delivered", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			if err := st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 2, Ref: 9, MR: 10}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.MarkSent(ctx, j.AttemptID, PartResult{Seq: 2, Total: 2, Ref: 9, MR: 11}); err != nil {
				t.Fatal(err)
			}
			r, err := st.ApplyReport(ctx, Report{Modem: "a", MR: 10, Recipient: "+4915112345678", Status: ReportDelivered})
			if err != nil || r.State != smsgw.StateSent || r.Seq != 1 {
				t.Fatalf("first report = %+v, %v", r, err)
			}
			if _, err := st.ApplyReport(ctx, Report{Modem: "a", MR: 11, Recipient: "+4915112345678", Status: ReportPending, Code: 0x20}); err != nil {
				t.Fatal(err)
			}
			wantState(t, st, id, smsgw.StateSent)
			r, err = st.ApplyReport(ctx, Report{Modem: "a", MR: 11, Recipient: "015112345678", Status: ReportDelivered})
			if err != nil || r.State != smsgw.StateDelivered || r.Seq != 2 {
				t.Fatalf("second report = %+v, %v", r, err)
			}
		}, smsgw.StateDelivered, []EventType{EventSent, EventDelivered}},
		{"sent to failed by report", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 1, MR: 200})
			if _, err := st.ApplyReport(ctx, Report{Modem: "a", MR: 200, Recipient: "+4915112345678", Status: ReportFailed, Code: 0x41}); err != nil {
				t.Fatal(err)
			}
			m := mustGet(t, st, id)
			if m.ErrorCode != 0x41 || m.Parts[0].Status != PartFailed {
				t.Errorf("after failed report: %+v", m)
			}
		}, smsgw.StateFailed, []EventType{EventSent, EventFailed}},
		{"permanent error fails at once", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			m, err := st.MarkFailed(ctx, j.AttemptID, Failure{Class: Permanent, Err: "+CMS ERROR: 21", Code: 21})
			if err != nil || m.State != smsgw.StateFailed || m.Error != "+CMS ERROR: 21" || m.ErrorClass != Permanent {
				t.Fatalf("MarkFailed = %+v, %v", m, err)
			}
		}, smsgw.StateFailed, []EventType{EventFailed}},
		{"temporary errors until attempts are used up", func(t *testing.T, st *Store, clk *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			m, _ := st.MarkFailed(ctx, j.AttemptID, Failure{Class: Temporary, Err: "busy"})
			if m.State != smsgw.StateQueued || m.Reason != ReasonRetry || m.Failures != 1 {
				t.Fatalf("after first failure: %+v", m)
			}
			noClaim(t, st, modemA) // backing off
			clk.Advance(time.Minute)
			j = mustClaim(t, st, modemA)
			if j.Attempts != 2 {
				t.Errorf("attempts = %d", j.Attempts)
			}
			m, _ = st.MarkFailed(ctx, j.AttemptID, Failure{Err: "busy again"})
			if m.State != smsgw.StateFailed || m.Failures != 2 || len(m.AttemptLog) != 2 || m.AttemptLog[1].Outcome != string(Temporary) {
				t.Fatalf("after second failure: %+v", m)
			}
		}, smsgw.StateFailed, []EventType{EventFailed}},
		{"modem fault requeues at once", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			m, _ := st.MarkFailed(ctx, j.AttemptID, Failure{Class: ModemFault, Err: "port closed"})
			if m.State != smsgw.StateQueued || m.Faults != 1 || m.Failures != 0 {
				t.Fatalf("after fault: %+v", m)
			}
			j = mustClaim(t, st, modemB)
			m, _ = st.MarkFailed(ctx, j.AttemptID, Failure{Class: ModemFault, Err: "hung"})
		}, smsgw.StateFailed, []EventType{EventFailed}},
		{"release", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			if err := st.Release(ctx, j.AttemptID); err != nil {
				t.Fatal(err)
			}
			m := wantState(t, st, id, smsgw.StateQueued)
			if m.Reason != ReasonReleased || m.Failures != 0 || m.AttemptLog[0].Outcome != "released" {
				t.Errorf("after release: %+v", m)
			}
			if err := st.Release(ctx, j.AttemptID); !errors.Is(err, ErrNotClaimed) {
				t.Errorf("second release err = %v", err)
			}
		}, smsgw.StateQueued, nil},
		{"cancel", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			m, err := st.Cancel(ctx, id)
			if err != nil || m.State != smsgw.StateCancelled {
				t.Fatalf("Cancel = %+v, %v", m, err)
			}
			noClaim(t, st, modemA)
			if _, err := st.Cancel(ctx, id); !errors.Is(err, ErrNotCancellable) {
				t.Errorf("second cancel err = %v", err)
			}
		}, smsgw.StateCancelled, []EventType{EventCancelled}},
		{"cancel while sending is refused", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			mustClaim(t, st, modemA)
			if _, err := st.Cancel(ctx, id); !errors.Is(err, ErrNotCancellable) {
				t.Errorf("cancel err = %v", err)
			}
		}, smsgw.StateSending, nil},
		{"expiry", func(t *testing.T, st *Store, clk *fakeClock, id int64) {
			clk.Advance(2 * time.Hour)
			next, err := st.Sweep(ctx)
			if err != nil || !next.IsZero() {
				t.Fatalf("Sweep = %v, %v", next, err)
			}
			if _, err := st.Cancel(ctx, id); !errors.Is(err, ErrNotCancellable) {
				t.Errorf("cancel after expiry err = %v", err)
			}
		}, smsgw.StateExpired, []EventType{EventExpired}},
		{"expiry found by claim", func(t *testing.T, st *Store, clk *fakeClock, id int64) {
			clk.Advance(2 * time.Hour)
			noClaim(t, st, modemA)
		}, smsgw.StateExpired, []EventType{EventExpired}},
		{"requeue after failure", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkFailed(ctx, j.AttemptID, Failure{Class: Permanent, Err: "no"})
			m, err := st.Requeue(ctx, id)
			if err != nil || m.State != smsgw.StateQueued || m.Reason != ReasonRequeued {
				t.Fatalf("Requeue = %+v, %v", m, err)
			}
			if _, err := st.Requeue(ctx, id); !errors.Is(err, ErrBadState) {
				t.Errorf("requeue of queued err = %v", err)
			}
		}, smsgw.StateQueued, []EventType{EventFailed}},
		{"results of a finished attempt are refused", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 1})
			if _, err := st.MarkFailed(ctx, j.AttemptID, Failure{Err: "late"}); !errors.Is(err, ErrNotClaimed) {
				t.Errorf("MarkFailed after sent err = %v", err)
			}
			if err := st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 1}); !errors.Is(err, ErrNotClaimed) {
				t.Errorf("MarkPartSent after sent err = %v", err)
			}
			if _, err := st.MarkSent(ctx, 12345); !errors.Is(err, smsgw.ErrNotFound) {
				t.Errorf("MarkSent unknown attempt err = %v", err)
			}
		}, smsgw.StateSent, []EventType{EventSent}},
		{"sent needs every part", func(t *testing.T, st *Store, _ *fakeClock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 3, Ref: 1, MR: 1})
			if _, err := st.MarkSent(ctx, j.AttemptID); !errors.Is(err, ErrBadState) {
				t.Errorf("MarkSent with parts missing err = %v", err)
			}
		}, smsgw.StateSending, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, clk := testStore(t, Options{Retry: retry})
			id := mustEnqueue(t, st, NewMessage{ExpiresAt: clk.Now().Add(time.Hour)})[0].ID
			tc.run(t, st, clk, id)
			wantState(t, st, id, tc.want)
			if diff := cmp.Diff(tc.events, eventTypes(t, st, id)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClaimOrder(t *testing.T) {
	st, clk := testStore(t, Options{})
	low1 := mustEnqueue(t, st, NewMessage{Priority: 0})[0].ID
	clk.Advance(time.Second)
	high := mustEnqueue(t, st, NewMessage{Priority: 5})[0].ID
	clk.Advance(time.Second)
	low2 := mustEnqueue(t, st, NewMessage{Priority: 0})[0].ID
	later := mustEnqueue(t, st, NewMessage{Priority: 9, SendAfter: clk.Now().Add(time.Minute)})[0].ID
	neg := mustEnqueue(t, st, NewMessage{Priority: -1})[0].ID
	var got []int64
	for range 4 {
		got = append(got, mustClaim(t, st, modemA).ID)
	}
	if diff := cmp.Diff([]int64{high, low1, low2, neg}, got); diff != "" {
		t.Errorf("claim order (-want +got):\n%s", diff)
	}
	noClaim(t, st, modemA)
	next, err := st.NextDue(context.Background(), modemA)
	if err != nil || !next.Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("NextDue = %v, %v", next, err)
	}
	clk.Advance(time.Minute)
	if id := mustClaim(t, st, modemA).ID; id != later {
		t.Errorf("claimed %d, want the send-after message %d", id, later)
	}
}

func TestClaimRouting(t *testing.T) {
	st, _ := testStore(t, Options{})
	toB := mustEnqueue(t, st, NewMessage{Modem: "b", Priority: 3})[0].ID
	tagged := mustEnqueue(t, st, NewMessage{Tags: []string{"vodafone", "o2"}, Priority: 2})[0].ID
	any := mustEnqueue(t, st, NewMessage{Priority: 1})[0].ID
	both := mustEnqueue(t, st, NewMessage{Modem: "c", Tags: []string{"x"}})[0].ID

	a := ClaimOptions{Modem: "a", Tags: []string{"telekom"}}
	if id := mustClaim(t, st, a).ID; id != any {
		t.Errorf("modem a claimed %d, want the unrouted %d", id, any)
	}
	noClaim(t, st, a)
	c := ClaimOptions{Modem: "c", Tags: []string{"o2"}}
	if id := mustClaim(t, st, c).ID; id != tagged {
		t.Errorf("modem c (o2) claimed %d, want the tagged %d", id, tagged)
	}
	noClaim(t, st, c) // "both" needs tag x too
	if id := mustClaim(t, st, ClaimOptions{Modem: "c", Tags: []string{"x"}}).ID; id != both {
		t.Errorf("modem c (x) claimed %d, want %d", id, both)
	}
	if id := mustClaim(t, st, ClaimOptions{Modem: "b"}).ID; id != toB {
		t.Errorf("modem b claimed %d, want %d", id, toB)
	}
	if _, err := st.TryClaim(context.Background(), ClaimOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("claim without modem err = %v", err)
	}
}

func TestClaimRateLimit(t *testing.T) {
	st, clk := testStore(t, Options{})
	ctx := context.Background()
	for range 5 {
		mustEnqueue(t, st, NewMessage{})
	}
	co := ClaimOptions{Modem: "a", Limits: []RateLimit{{N: 2, Per: time.Minute}, {N: 3, Per: time.Hour}}}
	for range 2 {
		j := mustClaim(t, st, co)
		st.MarkSent(ctx, j.AttemptID)
		clk.Advance(time.Second)
	}
	noClaim(t, st, co)
	next, _ := st.NextDue(ctx, co)
	if want := clk.Now().Add(time.Minute - 2*time.Second + time.Millisecond); !next.Equal(want) {
		t.Errorf("NextDue = %v, want %v", next, want)
	}
	mustClaim(t, st, modemB) // other modems are not limited
	clk.Advance(time.Minute)
	mustClaim(t, st, co)
	noClaim(t, st, co) // hourly limit: 3 in the last hour
	clk.Advance(time.Hour)
	mustClaim(t, st, co)
}

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

func TestPartialResend(t *testing.T) {
	ctx := context.Background()
	st, clk := testStore(t, Options{})
	id := mustEnqueue(t, st, NewMessage{Text: "long"})[0].ID
	j := mustClaim(t, st, modemA)
	if j.Resume != nil {
		t.Fatalf("fresh claim has Resume %+v", j.Resume)
	}
	st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: 1, Total: 3, Ref: 77, MR: 1})
	st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: 3, Total: 3, Ref: 77, MR: 2})
	st.MarkFailed(ctx, j.AttemptID, Failure{Class: ModemFault, Err: "gone"})

	// The same modem sends only the missing part, with the same reference.
	j = mustClaim(t, st, modemA)
	want := &Resume{Ref: 77, Total: 3, Sent: []int{1, 3}}
	if diff := cmp.Diff(want, j.Resume); diff != "" {
		t.Fatalf("Resume (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2}, j.Resume.Missing()); diff != "" {
		t.Errorf("Missing:\n%s", diff)
	}
	st.MarkFailed(ctx, j.AttemptID, Failure{Class: ModemFault, Err: "gone again"})

	// Another modem waits a while for modem a to come back (ResumeAffinity)...
	noClaim(t, st, modemB)
	next, err := st.NextDue(ctx, modemB)
	if want := clk.Now().Add(time.Minute + time.Millisecond); err != nil || !next.Equal(want) {
		t.Errorf("NextDue(b) = %v, %v; want %v", next, err, want)
	}
	clk.Advance(time.Minute)
	// ...then sends everything again; the old parts are forgotten.
	j = mustClaim(t, st, modemB)
	if j.Resume != nil || j.PartsTotal != 0 || j.ConcatRef != -1 {
		t.Fatalf("other modem claim: Resume %+v parts %d ref %d", j.Resume, j.PartsTotal, j.ConcatRef)
	}
	if m := mustGet(t, st, id); len(m.Parts) != 0 {
		t.Errorf("parts left after handing to another modem: %+v", m.Parts)
	}
	for seq := 1; seq <= 3; seq++ {
		st.MarkPartSent(ctx, j.AttemptID, PartResult{Seq: seq, Total: 3, Ref: 5, MR: 100 + seq})
	}
	m, err := st.MarkSent(ctx, j.AttemptID)
	if err != nil || m.State != smsgw.StateSent || len(m.Parts) != 3 || m.Parts[0].Modem != "b" || m.ConcatRef != 5 {
		t.Fatalf("MarkSent = %+v, %v", m, err)
	}
}

func TestRecoveryPolicy(t *testing.T) {
	for _, pol := range []Recovery{AtLeastOnce, AtMostOnce} {
		t.Run(string(pol), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "q.db")
			clk := newClock()
			st, err := Open(path, Options{Now: clk.Now, noBackground: true, Recovery: pol, Logger: quiet})
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

			st = mustOpen(t, path, Options{Now: clk.Now, noBackground: true, Recovery: pol, Logger: quiet})
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
