package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"smsgw"
	"smsgw/modem/pool"
	"smsgw/queue"
)

// TestResetModemReopensPort: a reset asked while a message is on the wire
// lets that message finish (sent once, not lost, not repeated), closes the
// port and opens it again, and the modem comes back ready and sends.
func TestResetModemReopensPort(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1, submitDelay: 300 * time.Millisecond})
	r.waitReady(1)
	m := r.member("sim0")
	before := m.Device()
	reconnects := m.Status().Reconnects

	msgs := r.enqueue(queue.NewMessage{To: []string{"+15557770001"}, Modem: "sim0", Text: "on the wire during a reset"})
	r.waitStates(ids(msgs), 20*time.Second, smsgw.StateSending, smsgw.StateSent)
	st, err := r.g.ResetModem(context.Background(), "sim0")
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != "sim0" {
		t.Fatalf("reset answered %+v", st)
	}
	r.waitFor("the port reopened", 30*time.Second, func() bool {
		d := m.Device()
		return m.State() == pool.StateReady && d != nil && d != before
	})
	if got := m.Status().Reconnects; got <= reconnects {
		t.Fatalf("reconnects %d after the reset, %d before", got, reconnects)
	}
	r.waitStates(ids(msgs), 20*time.Second, smsgw.StateSent, smsgw.StateDelivered)

	after := r.enqueue(queue.NewMessage{To: []string{"+15557770002"}, Modem: "sim0", Text: "after the reset"})
	r.waitStates(ids(after), 20*time.Second, smsgw.StateSent, smsgw.StateDelivered)
	counts := map[string]int{}
	for _, s := range r.net.Submitted() {
		counts[s.To]++
	}
	if counts["+15557770001"] != 1 || counts["+15557770002"] != 1 {
		t.Fatalf("submissions by number: %v", counts)
	}

	if _, err := r.g.ResetModem(context.Background(), "nope"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("unknown modem: %v", err)
	}
}
