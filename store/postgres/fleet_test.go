package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

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
