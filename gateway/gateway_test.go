package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// A multipart Unicode text with emoji goes out of one emulated modem, is
// received by the other, joined by the queue and decoded whole.
func TestMultipartEmojiOutAndIn(t *testing.T) {
	r := newRig(t, rigOptions{modems: 2, submitDelay: 5 * time.Millisecond})
	r.waitReady(2)
	text := strings.Repeat("Grüße aus Köln 👋🏽 — ", 8) + "Ende 🎉"
	ms := r.enqueue(queue.NewMessage{To: []string{r.modems[1].Number()}, Text: text, Modem: "sim0"})
	r.waitStates(ids(ms), 30*time.Second, smsgw.StateSent, smsgw.StateDelivered)
	m := r.get(ms[0].ID)
	if len(m.Parts) < 3 || m.Modem != "sim0" {
		t.Fatalf("sent as %d parts by %q", len(m.Parts), m.Modem)
	}
	r.waitFor("inbox message", 20*time.Second, func() bool { return len(r.inbox()) == 1 })
	in := r.inbox()[0]
	if in.Text != text || in.From != r.modems[0].Number() || in.Modem != "sim1" || !in.Complete {
		t.Errorf("inbox: %+v\nwant text %q", in, text)
	}
	// Committed parts are gone from the receiving SIM.
	r.waitFor("SIM emptied", 10*time.Second, func() bool { return len(r.modems[1].Messages()) == 0 })
}

// Steady state: a single-part SMS costs the AT+CMGS alone; no CMGF, CSCA,
// CSMP or CNMI per message.
func TestSteadyStateATCommandsPerSMS(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.waitReady(1)
	r.waitSwept("sim0")
	warm := r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: "warm-up"})
	r.waitStates(ids(warm), 20*time.Second, smsgw.StateSent)
	before := r.g.ATCommands("sim0")
	const n = 20
	var all []int64
	for i := 0; i < n; i++ {
		all = append(all, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: "code 1234"}))...)
	}
	r.waitStates(all, 30*time.Second, smsgw.StateSent)
	per := float64(r.g.ATCommands("sim0")-before) / n
	t.Logf("AT commands per single-part SMS in steady state: %.2f", per)
	if per > 1.0 {
		lines, _ := r.g.Trace("sim0")
		t.Errorf("%.2f AT commands per SMS, want 1 (the CMGS); trace tail:\n%s", per, strings.Join(lines[max(0, len(lines)-20):], "\n"))
	}
	_ = context.Background()
}

// TestCloseIdempotent: Close ends a started gateway once; later calls,
// concurrent or not, return without redoing it.
func TestCloseIdempotent(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.waitReady(1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- r.g.Close(ctx) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if ready, _ := r.g.Pool().Ready(); ready != 0 {
		t.Errorf("%d modems still ready after Close", ready)
	}
	if err := r.g.Close(ctx); err != nil {
		t.Errorf("third Close: %v", err)
	}
}
