package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/queue"
)

func testStateTransitions(t *testing.T, d driver) {
	ctx := context.Background()
	retry := queue.RetryPolicy{MaxAttempts: 2, MaxModemFaults: 2, Backoff: time.Minute, MaxBackoff: time.Hour, Jitter: 0.5}
	tests := []struct {
		name   string
		run    func(t *testing.T, st queue.Storage, clk *Clock, id int64)
		want   smsgw.State
		events []queue.EventType
	}{
		{"queued to sent", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			wantState(t, st, id, smsgw.StateSending)
			m, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 1})
			if err != nil || m.State != smsgw.StateSent {
				t.Fatalf("MarkSent = %v, %v", m.State, err)
			}
		}, smsgw.StateSent, []queue.EventType{queue.EventSent}},
		{"sent to delivered", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			if err := st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: 9, MR: 10}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 2, Total: 2, Ref: 9, MR: 11}); err != nil {
				t.Fatal(err)
			}
			r, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 10, Recipient: "+4915112345678", Status: queue.ReportDelivered})
			if err != nil || r.State != smsgw.StateSent || r.Seq != 1 {
				t.Fatalf("first report = %+v, %v", r, err)
			}
			if _, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 11, Recipient: "+4915112345678", Status: queue.ReportPending, Code: 0x20}); err != nil {
				t.Fatal(err)
			}
			wantState(t, st, id, smsgw.StateSent)
			r, err = st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 11, Recipient: "015112345678", Status: queue.ReportDelivered})
			if err != nil || r.State != smsgw.StateDelivered || r.Seq != 2 {
				t.Fatalf("second report = %+v, %v", r, err)
			}
		}, smsgw.StateDelivered, []queue.EventType{queue.EventSent, queue.EventDelivered}},
		{"sent to failed by report", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 200})
			if _, err := st.ApplyReport(ctx, queue.Report{Modem: "a", MR: 200, Recipient: "+4915112345678", Status: queue.ReportFailed, Code: 0x41}); err != nil {
				t.Fatal(err)
			}
			m := mustGet(t, st, id)
			if m.ErrorCode != 0x41 || m.Parts[0].Status != queue.PartFailed {
				t.Errorf("after failed report: %+v", m)
			}
		}, smsgw.StateFailed, []queue.EventType{queue.EventSent, queue.EventFailed}},
		{"permanent error fails at once", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			m, err := st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21", Code: 21})
			if err != nil || m.State != smsgw.StateFailed || m.Error != "+CMS ERROR: 21" || m.ErrorClass != queue.Permanent {
				t.Fatalf("MarkFailed = %+v, %v", m, err)
			}
		}, smsgw.StateFailed, []queue.EventType{queue.EventFailed}},
		{"temporary errors until attempts are used up", func(t *testing.T, st queue.Storage, clk *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			m, _ := st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Temporary, Err: "busy"})
			if m.State != smsgw.StateQueued || m.Reason != queue.ReasonRetry || m.Failures != 1 {
				t.Fatalf("after first failure: %+v", m)
			}
			noClaim(t, st, modemA) // backing off
			clk.Advance(time.Minute)
			j = mustClaim(t, st, modemA)
			if j.Attempts != 2 {
				t.Errorf("attempts = %d", j.Attempts)
			}
			m, _ = st.MarkFailed(ctx, j.AttemptID, queue.Failure{Err: "busy again"})
			if m.State != smsgw.StateFailed || m.Failures != 2 || len(m.AttemptLog) != 2 || m.AttemptLog[1].Outcome != string(queue.Temporary) {
				t.Fatalf("after second failure: %+v", m)
			}
		}, smsgw.StateFailed, []queue.EventType{queue.EventFailed}},
		{"modem fault requeues at once", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			m, _ := st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.ModemFault, Err: "port closed"})
			if m.State != smsgw.StateQueued || m.Faults != 1 || m.Failures != 0 {
				t.Fatalf("after fault: %+v", m)
			}
			j = mustClaim(t, st, modemB)
			m, _ = st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.ModemFault, Err: "hung"})
		}, smsgw.StateFailed, []queue.EventType{queue.EventFailed}},
		{"release", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			if err := st.Release(ctx, j.AttemptID); err != nil {
				t.Fatal(err)
			}
			m := wantState(t, st, id, smsgw.StateQueued)
			if m.Reason != queue.ReasonReleased || m.Failures != 0 || m.AttemptLog[0].Outcome != "released" {
				t.Errorf("after release: %+v", m)
			}
			if err := st.Release(ctx, j.AttemptID); !errors.Is(err, queue.ErrNotClaimed) {
				t.Errorf("second release err = %v", err)
			}
		}, smsgw.StateQueued, nil},
		{"cancel", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			m, err := st.Cancel(ctx, id)
			if err != nil || m.State != smsgw.StateCancelled {
				t.Fatalf("Cancel = %+v, %v", m, err)
			}
			noClaim(t, st, modemA)
			if _, err := st.Cancel(ctx, id); !errors.Is(err, queue.ErrNotCancellable) {
				t.Errorf("second cancel err = %v", err)
			}
		}, smsgw.StateCancelled, []queue.EventType{queue.EventCancelled}},
		{"cancel while sending is refused", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			mustClaim(t, st, modemA)
			if _, err := st.Cancel(ctx, id); !errors.Is(err, queue.ErrNotCancellable) {
				t.Errorf("cancel err = %v", err)
			}
		}, smsgw.StateSending, nil},
		{"expiry", func(t *testing.T, st queue.Storage, clk *Clock, id int64) {
			clk.Advance(2 * time.Hour)
			next, err := st.Sweep(ctx)
			if err != nil || !next.IsZero() {
				t.Fatalf("Sweep = %v, %v", next, err)
			}
			if _, err := st.Cancel(ctx, id); !errors.Is(err, queue.ErrNotCancellable) {
				t.Errorf("cancel after expiry err = %v", err)
			}
		}, smsgw.StateExpired, []queue.EventType{queue.EventExpired}},
		{"expiry found by claim", func(t *testing.T, st queue.Storage, clk *Clock, id int64) {
			clk.Advance(2 * time.Hour)
			noClaim(t, st, modemA)
		}, smsgw.StateExpired, []queue.EventType{queue.EventExpired}},
		{"requeue after failure", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Permanent, Err: "no"})
			m, err := st.Requeue(ctx, id)
			if err != nil || m.State != smsgw.StateQueued || m.Reason != queue.ReasonRequeued {
				t.Fatalf("Requeue = %+v, %v", m, err)
			}
			if _, err := st.Requeue(ctx, id); !errors.Is(err, queue.ErrBadState) {
				t.Errorf("requeue of queued err = %v", err)
			}
		}, smsgw.StateQueued, []queue.EventType{queue.EventFailed}},
		{"results of a finished attempt are refused", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1})
			if _, err := st.MarkFailed(ctx, j.AttemptID, queue.Failure{Err: "late"}); !errors.Is(err, queue.ErrNotClaimed) {
				t.Errorf("MarkFailed after sent err = %v", err)
			}
			if err := st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1}); !errors.Is(err, queue.ErrNotClaimed) {
				t.Errorf("MarkPartSent after sent err = %v", err)
			}
			if _, err := st.MarkSent(ctx, 12345); !errors.Is(err, smsgw.ErrNotFound) {
				t.Errorf("MarkSent unknown attempt err = %v", err)
			}
		}, smsgw.StateSent, []queue.EventType{queue.EventSent}},
		{"sent needs every part", func(t *testing.T, st queue.Storage, _ *Clock, id int64) {
			j := mustClaim(t, st, modemA)
			st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 3, Ref: 1, MR: 1})
			if _, err := st.MarkSent(ctx, j.AttemptID); !errors.Is(err, queue.ErrBadState) {
				t.Errorf("MarkSent with parts missing err = %v", err)
			}
		}, smsgw.StateSending, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, clk := d.testStore(t, queue.Options{Retry: retry})
			id := mustEnqueue(t, st, queue.NewMessage{ExpiresAt: clk.Now().Add(time.Hour)})[0].ID
			tc.run(t, st, clk, id)
			wantState(t, st, id, tc.want)
			if diff := cmp.Diff(tc.events, eventTypes(t, st, id)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func testClaimOrder(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{})
	low1 := mustEnqueue(t, st, queue.NewMessage{Priority: 0})[0].ID
	clk.Advance(time.Second)
	high := mustEnqueue(t, st, queue.NewMessage{Priority: 5})[0].ID
	clk.Advance(time.Second)
	low2 := mustEnqueue(t, st, queue.NewMessage{Priority: 0})[0].ID
	later := mustEnqueue(t, st, queue.NewMessage{Priority: 9, SendAfter: clk.Now().Add(time.Minute)})[0].ID
	neg := mustEnqueue(t, st, queue.NewMessage{Priority: -1})[0].ID
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

func testClaimRouting(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	toB := mustEnqueue(t, st, queue.NewMessage{Modem: "b", Priority: 3})[0].ID
	tagged := mustEnqueue(t, st, queue.NewMessage{Tags: []string{"vodafone", "o2"}, Priority: 2})[0].ID
	any := mustEnqueue(t, st, queue.NewMessage{Priority: 1})[0].ID
	both := mustEnqueue(t, st, queue.NewMessage{Modem: "c", Tags: []string{"x"}})[0].ID

	a := queue.ClaimOptions{Modem: "a", Tags: []string{"telekom"}}
	if id := mustClaim(t, st, a).ID; id != any {
		t.Errorf("modem a claimed %d, want the unrouted %d", id, any)
	}
	noClaim(t, st, a)
	c := queue.ClaimOptions{Modem: "c", Tags: []string{"o2"}}
	if id := mustClaim(t, st, c).ID; id != tagged {
		t.Errorf("modem c (o2) claimed %d, want the tagged %d", id, tagged)
	}
	noClaim(t, st, c) // "both" needs tag x too
	if id := mustClaim(t, st, queue.ClaimOptions{Modem: "c", Tags: []string{"x"}}).ID; id != both {
		t.Errorf("modem c (x) claimed %d, want %d", id, both)
	}
	if id := mustClaim(t, st, queue.ClaimOptions{Modem: "b"}).ID; id != toB {
		t.Errorf("modem b claimed %d, want %d", id, toB)
	}
	if _, err := st.TryClaim(context.Background(), queue.ClaimOptions{}); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("claim without modem err = %v", err)
	}
}

func testClaimRateLimit(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{})
	ctx := context.Background()
	for range 5 {
		mustEnqueue(t, st, queue.NewMessage{})
	}
	co := queue.ClaimOptions{Modem: "a", Limits: []queue.RateLimit{{N: 2, Per: time.Minute}, {N: 3, Per: time.Hour}}}
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

func testPartialResend(t *testing.T, d driver) {
	ctx := context.Background()
	st, clk := d.testStore(t, queue.Options{})
	id := mustEnqueue(t, st, queue.NewMessage{Text: "long"})[0].ID
	j := mustClaim(t, st, modemA)
	if j.Resume != nil {
		t.Fatalf("fresh claim has Resume %+v", j.Resume)
	}
	st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 3, Ref: 77, MR: 1})
	st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 3, Total: 3, Ref: 77, MR: 2})
	st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.ModemFault, Err: "gone"})

	// The same modem sends only the missing part, with the same reference.
	j = mustClaim(t, st, modemA)
	want := &queue.Resume{Ref: 77, Total: 3, Sent: []int{1, 3}}
	if diff := cmp.Diff(want, j.Resume); diff != "" {
		t.Fatalf("Resume (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2}, j.Resume.Missing()); diff != "" {
		t.Errorf("Missing:\n%s", diff)
	}
	st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.ModemFault, Err: "gone again"})

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
		st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: seq, Total: 3, Ref: 5, MR: 100 + seq})
	}
	m, err := st.MarkSent(ctx, j.AttemptID)
	if err != nil || m.State != smsgw.StateSent || len(m.Parts) != 3 || m.Parts[0].Modem != "b" || m.ConcatRef != 5 {
		t.Fatalf("MarkSent = %+v, %v", m, err)
	}
}

// A failed attempt's next attempt falls in the retry policy's window, and
// jitter spreads it.
func testRetryBackoff(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{Retry: queue.RetryPolicy{MaxAttempts: 10, Backoff: time.Minute, MaxBackoff: time.Hour, Jitter: 0.5}})
	id := mustEnqueue(t, st, queue.NewMessage{})[0].ID
	spread := map[time.Duration]bool{}
	for n := 1; n <= 4; n++ {
		j := mustClaim(t, st, modemA)
		m, _ := st.MarkFailed(context.Background(), j.AttemptID, queue.Failure{Err: "busy"})
		wait := m.NextAttempt.Sub(clk.Now())
		full := time.Minute << (n - 1)
		if wait < full/2 || wait > full {
			t.Fatalf("after failure %d: next attempt in %v, want %v..%v", n, wait, full/2, full)
		}
		spread[wait*time.Minute/full] = true
		clk.Advance(wait)
	}
	if len(spread) < 2 {
		t.Errorf("no jitter: every delay was the same fraction %v", spread)
	}
	wantState(t, st, id, smsgw.StateQueued)
}

// Claimers racing on several modems never get the same message, and every
// message is handed out exactly once. A driver shared by several gateways
// has to hold this across connections, not only within one process.
func testConcurrentClaims(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	ctx := context.Background()
	const messages, claimers = 60, 6
	to := make([]string, messages)
	for i := range to {
		to[i] = fmt.Sprintf("+49151%07d", i)
	}
	enq := mustEnqueue(t, st, queue.NewMessage{To: to})
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for c := range claimers {
		modem := fmt.Sprintf("m%d", c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, err := st.TryClaim(ctx, queue.ClaimOptions{Modem: modem})
				if errors.Is(err, queue.ErrNoMessage) {
					return
				}
				if err != nil {
					errs <- fmt.Errorf("%s: TryClaim: %w", modem, err)
					return
				}
				mu.Lock()
				prev, dup := seen[j.ID]
				seen[j.ID] = modem
				mu.Unlock()
				if dup {
					errs <- fmt.Errorf("message %d handed to %s and %s", j.ID, prev, modem)
					return
				}
				if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: int(j.ID % 256)}); err != nil {
					errs <- fmt.Errorf("%s: MarkSent %d: %w", modem, j.ID, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != messages {
		t.Errorf("%d messages handed out, want %d", len(seen), messages)
	}
	for _, m := range enq {
		wantState(t, st, m.ID, smsgw.StateSent)
	}
}
