package gateway

import (
	"fmt"
	"os"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// Three modems, a burst, and one modem that goes silent the moment it is
// handed a message: for a few seconds, or for good. The message it held
// goes back to the queue with nothing sent (not counted against it) when
// the prompt does not come, another modem sends it at once, every message
// is sent exactly once, and none waits more than 15 s beyond its turn (the
// time it was first handed to a modem). The prompt timeout is the default
// one. The silent modem is back in service once it answers again.
//
// SMSGW_TEST_FIGURES=1 prints the worst extra delay measured.
func TestSilentModemMidBurst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall time.Duration // 0: until lifted by the test
	}{
		{"silent for 4s", 4 * time.Second},
		{"silent for good", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			silentModemMidBurst(t, tc.stall)
		})
	}
}

func silentModemMidBurst(t *testing.T, stall time.Duration) {
	r := newRig(t, rigOptions{modems: 3, submitDelay: 100 * time.Millisecond})
	if r.opts.Retry.PromptTimeout != 10*time.Second {
		t.Fatalf("prompt timeout %v: the test measures the default", r.opts.Retry.PromptTimeout)
	}
	r.waitReady(3)
	silent := r.modems[0]

	const n = 30
	var all []int64
	for i := range n {
		all = append(all, ids(r.enqueue(queue.NewMessage{To: []string{fmt.Sprintf("+1555777%04d", i)}, Text: fmt.Sprintf("burst %d", i)}))...)
	}
	// Mid-burst: once a few are out, the next message sim0 is handed
	// finds it silent.
	r.waitFor("burst under way", 20*time.Second, func() bool { return len(r.net.Outbox()) >= 3 })
	silent.HangOnSubmit(stall)
	r.waitStates(all, 90*time.Second, smsgw.StateSent)

	worst, stalled := time.Duration(0), int64(0)
	for _, id := range all {
		m := r.get(id)
		if len(m.AttemptLog) == 0 {
			t.Fatalf("message %d: no attempts", id)
		}
		first, last := m.AttemptLog[0], m.AttemptLog[len(m.AttemptLog)-1]
		for _, a := range m.AttemptLog {
			if a.StartedAt.Before(first.StartedAt) {
				first = a
			}
			if a.StartedAt.After(last.StartedAt) {
				last = a
			}
			if a.Outcome != "sent" && a.Outcome != "released" {
				t.Errorf("message %d: attempt on %s ended %q (%s): a missing prompt is nothing sent", id, a.Modem, a.Outcome, a.Error)
			}
			if a.Outcome == "released" {
				stalled = id
			}
		}
		if m.Failures != 0 {
			t.Errorf("message %d: %d failures counted against it", id, m.Failures)
		}
		if extra := last.StartedAt.Sub(first.StartedAt); extra > worst {
			worst = extra
		}
	}
	if stalled == 0 {
		t.Fatal("no message was ever handed back: the stall never hit a send")
	}
	if worst > 15*time.Second {
		t.Errorf("a message waited %v beyond its turn (want at most 15s)", worst)
	}
	if os.Getenv("SMSGW_TEST_FIGURES") != "" {
		t.Logf("FIGURE silent modem (%v, prompt_timeout %v): worst extra delay %v (message %d)", stall, r.opts.Retry.PromptTimeout, worst, stalled)
	}
	sent := map[string]int{}
	for _, s := range r.net.Outbox() {
		sent[s.To]++
	}
	for i := range n {
		if to := fmt.Sprintf("+1555777%04d", i); sent[to] != 1 {
			t.Errorf("%s reached the network %d times", to, sent[to])
		}
	}

	// Back in service once it answers again.
	if stall <= 0 {
		r.waitFor("silent modem taken out of service", 60*time.Second, func() bool { return r.member("sim0").State() != "ready" })
		silent.Hang(false)
	}
	r.waitFor("silent modem ready again", 60*time.Second, func() bool { return r.member("sim0").State() == "ready" })
	again := r.enqueue(queue.NewMessage{To: []string{"+15557779999"}, Text: "after the stall", Modem: "sim0"})
	r.waitStates(ids(again), 60*time.Second, smsgw.StateSent)
}
