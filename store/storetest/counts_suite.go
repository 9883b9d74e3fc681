package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/queue"
)

// listCounts tallies the state of every stored message by listing them
// all: an independent path to the numbers Counts returns.
func listCounts(t testing.TB, st queue.Storage) map[smsgw.State]int64 {
	t.Helper()
	out := make(map[smsgw.State]int64, len(smsgw.States))
	for _, s := range smsgw.States {
		out[s] = 0
	}
	f := queue.Filter{Limit: 1000}
	for {
		pg, err := st.List(context.Background(), f)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, m := range pg.Messages {
			out[m.State]++
		}
		if pg.Next == 0 {
			return out
		}
		f.Cursor = pg.Next
	}
}

// wantCounts fails the test when Counts differs from the messages stored,
// and adds the states it found to seen (when not nil).
func wantCounts(t testing.TB, st queue.Storage, when string, seen map[smsgw.State]bool) {
	t.Helper()
	got, err := st.Counts(context.Background())
	if err != nil {
		t.Fatalf("%s: Counts: %v", when, err)
	}
	stored := listCounts(t, st)
	if diff := cmp.Diff(stored, got); diff != "" {
		t.Fatalf("%s: Counts differ from the stored messages (-stored +Counts):\n%s", when, diff)
	}
	for s, n := range stored {
		if n > 0 && seen != nil {
			seen[s] = true
		}
	}
}

// CountsExact: whatever moves messages between states (enqueue with and
// without a replayed key, claim, part sent, sent, temporary and permanent
// failure with retries, uncertain, release, status reports, cancel,
// requeue, expiry, purge, event pruning, recovery after a restart), Counts
// stays equal to the messages actually stored in each state. A driver may
// keep the counts incrementally; this is what keeps it honest.
func testCountsExact(t *testing.T, d driver) {
	opt := queue.Options{Retry: queue.RetryPolicy{MaxAttempts: 2, Backoff: time.Second, MaxBackoff: time.Second},
		Consent: denyEnding("3")}
	st, clk := d.testStore(t, opt)
	opt.Now = clk.Now
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(12, 1))
	seen := map[smsgw.State]bool{}
	wantCounts(t, st, "empty", seen)

	var ids []int64
	pick := func() int64 {
		if len(ids) == 0 {
			return 1
		}
		return ids[rng.IntN(len(ids))]
	}
	type sent struct {
		mr int
		to string
	}
	var reportable []sent
	mr := 0
	var open []*queue.Job // claimed, not yet ended
	modems := []queue.ClaimOptions{modemA, modemB}
	for step := 0; step < 600; step++ {
		switch op := rng.IntN(12); op {
		case 0, 1, 2: // enqueue one to five recipients, sometimes replaying a key
			m := queue.NewMessage{Text: "hello", Report: rng.IntN(2) == 0}
			if rng.IntN(3) == 0 {
				m.Category = smsgw.CategoryMarketing
			}
			for i := range 1 + rng.IntN(5) {
				m.To = append(m.To, fmt.Sprintf("+49151%04d%03d", step, i))
			}
			if rng.IntN(4) == 0 {
				m.ExpiresAt = clk.Now().Add(time.Duration(1+rng.IntN(20)) * time.Second)
			}
			if rng.IntN(5) == 0 {
				m.IdempotencyKey = fmt.Sprintf("k%d", rng.IntN(5))
			}
			res, err := st.Enqueue(ctx, m)
			if err != nil {
				continue // a key reused for another request
			}
			if !res.Replayed {
				for _, msg := range res.Messages {
					ids = append(ids, msg.ID)
				}
			}
		case 3, 4: // claim
			j, err := st.TryClaim(ctx, modems[rng.IntN(2)])
			if err == nil {
				open = append(open, j)
			}
		case 5, 6: // end an open attempt one way or another
			if len(open) == 0 {
				continue
			}
			k := rng.IntN(len(open))
			j := open[k]
			open = append(open[:k], open[k+1:]...)
			mr = (mr + 1) % 256
			var err error
			switch rng.IntN(6) {
			case 0:
				_, err = st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: mr})
				if err == nil && j.Report {
					reportable = append(reportable, sent{mr, j.To})
				}
			case 1:
				_, err = st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Temporary, Err: "+CMS ERROR: 42", Code: 42})
			case 2:
				_, err = st.MarkFailed(ctx, j.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21", Code: 21})
			case 3:
				_, err = st.MarkUncertain(ctx, j.AttemptID, "no answer to AT+CMGS")
			case 4:
				err = st.Release(ctx, j.AttemptID)
			case 5: // one part of two out, the rest never: left sending
				err = st.MarkPartSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: mr, MR: mr})
			}
			if err != nil {
				t.Fatalf("step %d: ending attempt %d: %v", step, j.AttemptID, err)
			}
		case 7: // a status report
			if len(reportable) == 0 {
				continue
			}
			r := reportable[0]
			reportable = reportable[1:]
			status, code := queue.ReportDelivered, 0
			if rng.IntN(3) == 0 {
				status, code = queue.ReportFailed, 0x41
			}
			st.ApplyReport(ctx, queue.Report{Modem: "a", MR: r.mr, Recipient: r.to, Status: status, Code: code})
			st.ApplyReport(ctx, queue.Report{Modem: "b", MR: r.mr, Recipient: r.to, Status: status, Code: code})
		case 8: // cancel, which may well be refused
			st.Cancel(ctx, pick())
		case 9: // requeue, which may well be refused
			st.Requeue(ctx, pick())
		case 10: // time passes: retries fall due, messages expire
			clk.Advance(time.Duration(1+rng.IntN(5)) * time.Second)
			if _, err := st.Sweep(ctx); err != nil {
				t.Fatalf("step %d: Sweep: %v", step, err)
			}
		case 11: // retention
			if _, err := st.Purge(ctx, clk.Now().Add(-time.Duration(rng.IntN(30))*time.Second)); err != nil {
				t.Fatalf("step %d: Purge: %v", step, err)
			}
			if _, err := st.PruneEvents(ctx, clk.Now()); err != nil {
				t.Fatalf("step %d: PruneEvents: %v", step, err)
			}
		}
		if step%25 == 0 {
			wantCounts(t, st, fmt.Sprintf("step %d", step), seen)
		}
	}
	wantCounts(t, st, "after the workload", seen)
	// The check means little unless every state was reached.
	for _, s := range smsgw.States {
		if !seen[s] {
			t.Errorf("the workload never had a message %s", s)
		}
	}

	// A restart hands the interrupted messages back (or marks them
	// uncertain) in its own recovery pass: the counts follow.
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = d.reopen(t, opt)
	wantCounts(t, st, "after a restart", nil)
	if n := listCounts(t, st)[smsgw.StateSending]; n != 0 {
		t.Errorf("%d messages still sending after a restart", n)
	}
	if _, err := st.Purge(ctx, clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, st, "after purging everything finished", nil)
}

// denyEnding is a consent policy that refuses every number ending in the
// suffix, as a deny list would.
type denyEnding string

func (d denyEnding) Refuse(to string, _ smsgw.Category, _, _ bool) string {
	if strings.HasSuffix(to, string(d)) {
		return queue.ReasonDenied
	}
	return ""
}
