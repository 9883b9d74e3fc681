package gateway

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// Routing by modem id and tag, the priority lane and per-modem rate limits.
func TestRoutingPriorityAndRate(t *testing.T) {
	r := newRig(t, rigOptions{modems: 3, submitDelay: 30 * time.Millisecond, opts: func(c *Options) {
		c.Modems[0].Tags = []string{"otp"}
		c.Modems[2].Rate = []queue.RateLimit{{N: 2, Per: time.Second}}
		c.Modems[2].Tags = []string{"slow"}
	}})
	r.waitReady(3)

	t.Run("tag and id routing", func(t *testing.T) {
		var tagged, pinned []int64
		for i := 0; i < 6; i++ {
			tagged = append(tagged, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770010"}, Text: fmt.Sprintf("tag %d", i), Tags: []string{"otp"}}))...)
			pinned = append(pinned, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770010"}, Text: fmt.Sprintf("pin %d", i), Modem: "sim1"}))...)
		}
		r.waitStates(append(tagged, pinned...), 20*time.Second, smsgw.StateSent)
		for _, id := range tagged {
			if m := r.get(id); m.Modem != "sim0" {
				t.Errorf("tagged message %d sent by %s", id, m.Modem)
			}
		}
		for _, id := range pinned {
			if m := r.get(id); m.Modem != "sim1" {
				t.Errorf("pinned message %d sent by %s", id, m.Modem)
			}
		}
	})

	t.Run("priority lane", func(t *testing.T) {
		var bulk []int64
		for i := 0; i < 15; i++ {
			bulk = append(bulk, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770011"}, Text: fmt.Sprintf("bulk %d", i), Modem: "sim1"}))...)
		}
		otp := r.enqueue(queue.NewMessage{To: []string{"+15557770011"}, Text: "code 424242", Modem: "sim1", Priority: 100})
		queued := time.Now()
		r.waitStates(append(bulk, otp[0].ID), 30*time.Second, smsgw.StateSent)
		otpAt := r.get(otp[0].ID).Parts[0].SentAt
		// The bulk messages still waiting when the code was queued are the
		// ones it must overtake; how many went out while the others were
		// being queued depends on the machine's speed, not on the lane.
		waiting, later := 0, 0
		for _, id := range bulk {
			if w, ok := r.firstCMGS(id); ok && w.Before(queued) {
				continue
			}
			waiting++
			if r.get(id).Parts[0].SentAt.After(otpAt) {
				later++
			}
		}
		// At most one more bulk message was claimed before the code came.
		if waiting < 5 {
			t.Logf("only %d bulk messages were still waiting when the code was queued", waiting)
		}
		if later < waiting-1 {
			t.Errorf("the one-time code overtook only %d of the %d bulk messages still waiting", later, waiting)
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		var slow []int64
		for i := 0; i < 6; i++ {
			slow = append(slow, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770012"}, Text: fmt.Sprintf("slow %d", i), Tags: []string{"slow"}}))...)
		}
		r.waitStates(slow, 30*time.Second, smsgw.StateSent)
		// The limiter gates when a send starts, so the AT+CMGS write times
		// are what it shapes; the recorded send times add the network's
		// answer and the store's commit, which a loaded machine stretches
		// unevenly.
		var at []time.Time
		for _, id := range slow {
			w, ok := r.firstCMGS(id)
			if !ok {
				t.Fatalf("message %d sent without a recorded AT+CMGS", id)
			}
			at = append(at, w)
		}
		sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
		// 2 per second: any three consecutive sends span about 1 s. The
		// margin absorbs a late write of the first of the three; without
		// the limit the six go out within a few tens of milliseconds.
		for i := 2; i < len(at); i++ {
			if d := at[i].Sub(at[i-2]); d < 750*time.Millisecond {
				t.Errorf("sends %d..%d within %v: rate 2/sec not held", i-2, i, d)
			}
		}
	})
}

// A graceful stop lets the part on the wire finish and be recorded; an
// abort cuts it off and hands the message back.
func TestGracefulStopAndAbort(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.waitReady(1)
	r.modems[0].SetSubmitDelay(700 * time.Millisecond)
	ms := r.enqueue(queue.NewMessage{To: []string{"+15557770013"}, Text: "finish me"})
	r.waitFor("on the wire", 10*time.Second, func() bool { _, ok := r.firstCMGS(ms[0].ID); return ok })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if m := r.get(ms[0].ID); m.State != smsgw.StateSent {
		t.Errorf("after a graceful stop the message on the wire is %s, want sent", m.State)
	}
	r.st.Close(ctx)
	r.g, r.st = nil, nil

	// Abort: the send is cut off; the message goes back to the queue.
	r.modems[0].SetSubmitDelay(5 * time.Second)
	r.start()
	r.waitReady(1)
	ms = r.enqueue(queue.NewMessage{To: []string{"+15557770013"}, Text: "cut me"})
	r.waitFor("on the wire", 10*time.Second, func() bool { _, ok := r.firstCMGS(ms[0].ID); return ok })
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	start := time.Now()
	r.g.Close(short) // the deadline passes: the gateway aborts what is left
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("abort took %v", d)
	}
	r.waitFor("message handed back", 10*time.Second, func() bool { return r.get(ms[0].ID).State == smsgw.StateQueued })
	r.modems[0].SetSubmitDelay(0)
}
