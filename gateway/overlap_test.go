package gateway

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"smsgw"
	"smsgw/modem/sim"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// heldStore is a real store whose first MarkSent (the record of a
// message's last part) waits until released, as a commit stuck behind a
// slow disk does.
type heldStore struct {
	queue.Storage
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *heldStore) MarkSent(ctx context.Context, attemptID int64, parts ...queue.PartResult) (queue.Message, error) {
	if h.armed.CompareAndSwap(true, false) {
		close(h.entered)
		<-h.release
	}
	return h.Storage.MarkSent(ctx, attemptID, parts...)
}

// logSignal passes every record on and signals those with one message.
type logSignal struct {
	slog.Handler
	msg string
	ch  chan struct{}
}

func (l logSignal) Enabled(context.Context, slog.Level) bool { return true }

func (l logSignal) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == l.msg {
		select {
		case l.ch <- struct{}{}:
		default:
		}
	}
	if !l.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return l.Handler.Handle(ctx, r)
}
func (l logSignal) WithAttrs(as []slog.Attr) slog.Handler {
	return logSignal{Handler: l.Handler.WithAttrs(as), msg: l.msg, ch: l.ch}
}
func (l logSignal) WithGroup(g string) slog.Handler {
	return logSignal{Handler: l.Handler.WithGroup(g), msg: l.msg, ch: l.ch}
}

// While the previous message's last part is being recorded, the next
// message's AT+CMGS= already goes out and the modem prompts for it, but
// its PDU waits at the prompt until the record is committed (a SIGKILL
// leaves at most one unrecorded message per modem). A record slower than
// the hold's bound leaves the prompt with ESC and the PDU still waits.
func TestNextSendOverlapsRecord(t *testing.T) {
	w := newCMGSWatch()
	net := sim.NewNetwork(sim.NetworkOptions{Logger: slog.New(w)})
	defer net.Close(context.Background())
	r := newRig(t, rigOptions{modems: 1, net: net})
	r.stop()
	st, err := sqlite.Open(r.db, QueueOptions(r.opts), r.dopts)
	if err != nil {
		t.Fatal(err)
	}
	h := &heldStore{Storage: st, entered: make(chan struct{}), release: make(chan struct{})}
	h.armed.Store(true)
	released := false
	defer func() {
		if !released {
			close(h.release)
		}
	}()
	res, err := st.Enqueue(context.Background(), queue.NewMessage{To: []string{"+4915112345670", "+4915112345671"}, Text: "overlap"})
	if err != nil {
		t.Fatal(err)
	}
	o := r.gatewayOptions(h)
	gaveUp := make(chan struct{}, 1)
	o.Logger = slog.New(logSignal{Handler: r.log.Handler(), msg: "the previous message took long to record; waiting for it before sending this one", ch: gaveUp})
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.st, r.g = st, g
	t.Cleanup(r.stop)

	wait := func(what string, ch <-chan struct{}, cond func() bool) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for !cond() {
			select {
			case <-ch:
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	wait("the first message's record", h.entered, func() bool { return !h.armed.Load() })
	// The first record is held: the second message's command is written
	// anyway, and the modem reads it.
	wait("the second AT+CMGS= while the first record is held", w.sig, func() bool { return w.count("sim0") >= 2 })
	if n := len(net.Submitted()); n != 1 {
		t.Fatalf("%d submits while the first message's record is held; want 1 (the second PDU waits at the prompt)", n)
	}
	// Past the hold's bound the worker leaves the prompt and goes on
	// waiting: still nothing of the second message sent.
	select {
	case <-gaveUp:
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for the worker to stop holding the prompt")
	}
	if n := len(net.Submitted()); n != 1 {
		t.Fatalf("%d submits after the hold gave up with the record still held; want 1", n)
	}
	released = true
	close(h.release)
	r.waitStates(ids(res.Messages), 30*time.Second, smsgw.StateSent)
	sent := net.Submitted()
	if len(sent) != 2 {
		t.Fatalf("%d submits; want 2", len(sent))
	}
	// The first one sent was on record before the second left.
	for _, m := range res.Messages {
		if m := r.get(m.ID); m.To == sent[0].To && m.Parts[0].SentAt.After(sent[1].Time) {
			t.Fatalf("the first message recorded at %v, after the second was accepted at %v", m.Parts[0].SentAt, sent[1].Time)
		}
	}
}

// reportHeldStore is a real store whose first ApplyReport waits until
// released, as a commit stuck behind a slow disk does.
type reportHeldStore struct {
	queue.Storage
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *reportHeldStore) ApplyReport(ctx context.Context, r queue.Report) (queue.ReportMatch, error) {
	if h.armed.CompareAndSwap(true, false) {
		close(h.entered)
		<-h.release
	}
	return h.Storage.ApplyReport(ctx, r)
}

// A status report being applied does not hold up the sends: the
// receiver waits for the parts it may be about, the sender never waits
// for the receiver.
func TestSendsGoOnWhileAReportIsApplied(t *testing.T) {
	net := sim.NewNetwork(sim.NetworkOptions{})
	defer net.Close(context.Background())
	r := newRig(t, rigOptions{modems: 1, net: net, submitDelay: 20 * time.Millisecond})
	r.stop()
	st, err := sqlite.Open(r.db, QueueOptions(r.opts), r.dopts)
	if err != nil {
		t.Fatal(err)
	}
	h := &reportHeldStore{Storage: st, entered: make(chan struct{}), release: make(chan struct{})}
	h.armed.Store(true)
	released := false
	defer func() {
		if !released {
			close(h.release)
		}
	}()
	const n = 8
	var all []int64
	for i := 0; i < n; i++ {
		res, err := st.Enqueue(context.Background(), queue.NewMessage{To: []string{"+4915112345670"}, Text: "report " + string(rune('a'+i)), Report: true})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ids(res.Messages)...)
	}
	g, err := New(r.gatewayOptions(h))
	if err != nil {
		t.Fatal(err)
	}
	r.st, r.g = st, g
	t.Cleanup(r.stop)

	select {
	case <-h.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for the first status report")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := net.WaitSubmitted(ctx, n); err != nil {
		t.Fatalf("with the first report held, %d of %d messages sent: %v", len(net.Submitted()), n, err)
	}
	released = true
	close(h.release)
	r.waitStates(all, 30*time.Second, smsgw.StateDelivered)
}
