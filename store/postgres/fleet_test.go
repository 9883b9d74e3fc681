package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/postgres"
	"smsgw/store/postgres/pgtest"
)

// joinParts is the fleet tests' JoinText: each fake PDU is its text.
func joinParts(parts [][]byte) (string, string, error) {
	var s string
	for _, p := range parts {
		s += string(p)
	}
	return s, "gsm7", nil
}

// TestFleetInboundJoinsOnce: the parts of one multipart SMS committed at
// the same moment through two handles on one database (a gateway's node
// name on both, as the parts of one message are its modem's) are joined
// into exactly one inbox message, every time, whichever commit comes last.
func TestFleetInboundJoinsOnce(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	ctx := context.Background()
	opt := queue.Options{Node: "gw1", JoinText: joinParts}
	a, b := openFleet(t, dsn, opt), openFleet(t, dsn, opt)
	handles := []*postgres.Store{a, b}
	const rounds, total = 40, 4
	for r := 0; r < rounds; r++ {
		start := make(chan struct{})
		var wg sync.WaitGroup
		res := make([]queue.InboundResult, total)
		errs := make([]error, total)
		for seq := 1; seq <= total; seq++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st := handles[(seq+r)%2]
				res[seq-1], errs[seq-1] = st.AddInboundPart(ctx, queue.InboundPart{
					Modem: "m1", Sender: "+4917000000", Ref: r, Total: total, Seq: seq,
					PDU: []byte(fmt.Sprintf("[%d/%d]", seq, total)),
				})
			}()
		}
		close(start)
		wg.Wait()
		joined := 0
		for i := range res {
			if errs[i] != nil {
				t.Fatalf("round %d part %d: %v", r, i+1, errs[i])
			}
			if res[i].InboxID != 0 {
				joined++
			}
		}
		if joined != 1 {
			t.Fatalf("round %d: %d parts report a joined message, want exactly 1: %+v", r, joined, res)
		}
	}
	pg, err := b.Inbox(ctx, queue.InboxFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Messages) != rounds {
		t.Fatalf("inbox has %d messages, want %d", len(pg.Messages), rounds)
	}
	for _, m := range pg.Messages {
		if !m.Complete || m.PartsReceived != total || m.Text != "[1/4][2/4][3/4][4/4]" {
			t.Errorf("message %d = %+v", m.ID, m)
		}
	}
	evs, err := a.Events(ctx, 0, 1000)
	if err != nil || len(evs) != rounds {
		t.Fatalf("events = %d, %v; want one per message (%d)", len(evs), err, rounds)
	}
}

// TestFleetEventsDeliveredOnce: two gateways (nodes a and b) run the same
// hook consumer on one database while events are being appended through
// both; every event is handed out to exactly one of them, and none is
// left behind.
func TestFleetEventsDeliveredOnce(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := openFleet(t, dsn, queue.Options{Node: "a", JoinText: joinParts})
	b := openFleet(t, dsn, queue.Options{Node: "b", JoinText: joinParts})
	for _, st := range []*postgres.Store{a, b} {
		if err := st.AddConsumer(ctx, "hook"); err != nil {
			t.Fatal(err)
		}
	}
	const n = 300
	var mu sync.Mutex
	got := map[int64]string{} // event id → node that got it
	var dups []string
	done := make(chan struct{})
	consume := func(st *postgres.Store) error {
		for {
			wake := st.EventsAvailable()
			ds, _, err := st.NextEvents(ctx, "hook", 7)
			if err != nil {
				return err
			}
			for _, d := range ds {
				mu.Lock()
				if prev, ok := got[d.ID]; ok {
					dups = append(dups, fmt.Sprintf("event %d to %s and %s", d.ID, prev, st.Node()))
				}
				got[d.ID] = st.Node()
				if len(got) == n {
					select {
					case <-done:
					default:
						close(done)
					}
				}
				mu.Unlock()
				if err := st.AckEvent(ctx, "hook", d.ID); err != nil {
					return err
				}
			}
			if len(ds) > 0 {
				continue
			}
			select {
			case <-done:
				return nil
			case <-wake:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	// Both gateways receive SMS, each an inbox.received event: half of
	// them before the consumers start (a backlog both take from at once),
	// half while they run.
	errs := make(chan error, 8)
	produce := func(st *postgres.Store, from, to int) error {
		for k := from; k < to; k++ {
			if _, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+4917000000", PDU: []byte(fmt.Sprint(k))}); err != nil {
				return err
			}
		}
		return nil
	}
	if err := produce(a, 0, n/4); err != nil {
		t.Fatal(err)
	}
	if err := produce(b, n/4, n/2); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, st := range []*postgres.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- consume(st)
		}()
	}
	var pw sync.WaitGroup
	for i, st := range []*postgres.Store{a, b} {
		pw.Add(1)
		go func() {
			defer pw.Done()
			errs <- produce(st, n/2+i*n/4, n/2+(i+1)*n/4)
		}()
	}
	pw.Wait()
	wg.Wait()
	close(errs)
	if len(dups) > 0 {
		t.Fatalf("%d events delivered twice: %v", len(dups), dups)
	}
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != n {
		t.Fatalf("%d events delivered, want %d", len(got), n)
	}
	by := map[string]int{}
	for _, node := range got {
		by[node]++
	}
	t.Logf("deliveries by gateway: %v", by)
	for _, st := range []*postgres.Store{a, b} {
		if ds, next, err := st.NextEvents(ctx, "hook", 100); err != nil || len(ds) != 0 || !next.IsZero() {
			t.Errorf("%s: left over %d deliveries (next %v), %v", st.Node(), len(ds), next, err)
		}
	}
}

func openFleet(t *testing.T, dsn string, opt queue.Options) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn, opt, postgres.Options{NoHousekeeper: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// TestFleetSweepJoinsOnce: two gateways sweeping at the same moment find
// the same timed-out parts; each group becomes one incomplete message
// with one event, whichever sweep gets to it.
func TestFleetSweepJoinsOnce(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	clk := func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	opt := func(node string) queue.Options {
		return queue.Options{Node: node, JoinText: joinParts, JoinTimeout: time.Minute, Now: clk}
	}
	a, b := openFleet(t, dsn, opt("a")), openFleet(t, dsn, opt("b"))
	const groups = 60
	for g := 0; g < groups; g++ {
		st := []*postgres.Store{a, b}[g%2]
		// Part 1 of 3 only: each waits for siblings that never come.
		if _, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "m1", Sender: "+4917000000", Ref: g, Total: 3, Seq: 1,
			PDU: []byte(fmt.Sprint(g))}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Lock()
	now = now.Add(2 * time.Minute)
	clock.Unlock()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			next, err := []*postgres.Store{a, b}[i%2].Sweep(ctx)
			if err == nil && !next.IsZero() {
				err = fmt.Errorf("next deadline %v after the sweep, want none", next)
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sweep %d: %v", i, err)
		}
	}
	pg, err := a.Inbox(ctx, queue.InboxFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Messages) != groups {
		t.Fatalf("inbox has %d messages, want one per group (%d)", len(pg.Messages), groups)
	}
	for _, m := range pg.Messages {
		if m.Complete || m.PartsReceived != 1 || m.PartsTotal != 3 {
			t.Errorf("message %d = %+v, want incomplete with 1 of 3 parts", m.ID, m)
		}
	}
	if evs, err := b.Events(ctx, 0, 1000); err != nil || len(evs) != groups {
		t.Fatalf("events = %d, %v; want %d", len(evs), err, groups)
	}
}

// TestFleetReportsSettleOnce: the status reports of a message's two parts
// arrive at the same moment through two connections of the gateway that
// sent it; each is applied, and the message is delivered, with one event,
// whichever commits last.
func TestFleetReportsSettleOnce(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	ctx := context.Background()
	opt := queue.Options{Node: "gw1"}
	a, b := openFleet(t, dsn, opt), openFleet(t, dsn, opt)
	const rounds = 30
	to := "+4915100000001"
	ids := make([]int64, rounds)
	for r := range ids {
		res, err := a.Enqueue(ctx, queue.NewMessage{To: []string{to}, Text: "two parts", Report: true})
		if err != nil {
			t.Fatal(err)
		}
		ids[r] = res.Messages[0].ID
		j, err := a.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"})
		if err != nil || j.ID != ids[r] {
			t.Fatalf("claim = %+v, %v; want message %d", j, err, ids[r])
		}
		if _, err := a.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: r, MR: 2 * r},
			queue.PartResult{Seq: 2, Total: 2, Ref: r, MR: 2*r + 1}); err != nil {
			t.Fatal(err)
		}
	}
	for r, id := range ids {
		start := make(chan struct{})
		var wg sync.WaitGroup
		res := make([]queue.ReportMatch, 2)
		errs := make([]error, 2)
		for i, st := range []*postgres.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res[i], errs[i] = st.ApplyReport(ctx, queue.Report{Modem: "m1", MR: 2*r + i, Recipient: to, Status: queue.ReportDelivered})
			}()
		}
		close(start)
		wg.Wait()
		for i := range errs {
			if errs[i] != nil || res[i].MessageID != id || res[i].Seq != i+1 {
				t.Fatalf("round %d, report of part %d = %+v, %v; want message %d", r, i+1, res[i], errs[i], id)
			}
		}
		m, err := b.Get(ctx, id)
		if err != nil || m.State != smsgw.StateDelivered {
			t.Fatalf("round %d: message %d is %s (%v) after both reports, want delivered", r, id, m.State, err)
		}
	}
	evs, err := a.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[int64]int{}
	for _, e := range evs {
		if e.Type == queue.EventDelivered {
			delivered[e.SubjectID]++
		}
	}
	for _, id := range ids {
		if delivered[id] != 1 {
			t.Errorf("message %d has %d delivered events, want 1", id, delivered[id])
		}
	}
}
