package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/consent"
	"smsgw/queue"
	"smsgw/store/postgres"
	"smsgw/store/postgres/pgtest"
	"smsgw/store/storetest"
)

// gateway opens one gateway's handle on the shared database dsn.
func gateway(t testing.TB, dsn, node string, clk *storetest.Clock) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := postgres.Open(ctx, dsn, queue.Options{Node: node, Now: clk.Now}, postgres.Options{NoHousekeeper: true, MaxConns: 8})
	if err != nil {
		t.Fatalf("Open %s: %v", node, err)
	}
	t.Cleanup(func() {
		if err := st.Close(context.Background()); err != nil {
			t.Errorf("Close %s: %v", node, err)
		}
	})
	return st
}

// TestFleetOptOut: two gateways on one database. A STOP recorded through
// gateway A cancels the marketing gateway B had queued to the number (not
// its transactional message, nor another number's), a marketing send
// accepted by B afterwards is suppressed, and a marketing message B had
// already claimed is refused by B's recheck before its first part, with
// no wait for A's notification to reach B.
func TestFleetOptOut(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	clk := storetest.NewClock()
	a := gateway(t, dsn, "gw-a", clk)
	b := gateway(t, dsn, "gw-b", clk)
	ctx := context.Background()
	const stopper, other = "+4915100000001", "+4915100000002"

	enqueue := func(st *postgres.Store, to string, c smsgw.Category) queue.Message {
		t.Helper()
		res, err := st.Enqueue(ctx, queue.NewMessage{To: []string{to}, Text: "offer " + string(c), Category: c})
		if err != nil {
			t.Fatal(err)
		}
		return res.Messages[0]
	}
	onWire := enqueue(b, stopper, smsgw.CategoryMarketing)
	job, err := b.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"})
	if err != nil || job.ID != onWire.ID {
		t.Fatalf("B claims %+v, %v; want message %d", job, err, onWire.ID)
	}
	var queued []queue.Message
	for range 3 {
		queued = append(queued, enqueue(b, stopper, smsgw.CategoryMarketing))
	}
	tr := enqueue(b, stopper, smsgw.CategoryTransactional)
	keep := enqueue(b, other, smsgw.CategoryMarketing)

	ap, err := a.Apply(ctx, consent.Record{Number: stopper, Action: consent.ActionOptOut, Source: consent.SourceSMS, Modem: "m7", InboxID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !ap.Changed || ap.Cancelled != len(queued) {
		t.Fatalf("STOP through A: %+v; want %d of B's messages cancelled", ap, len(queued))
	}
	for _, m := range queued {
		got, err := b.Get(ctx, m.ID)
		if err != nil || got.State != smsgw.StateCancelled || got.Reason != queue.ReasonOptedOut {
			t.Errorf("B's marketing message %d after A's STOP: %s %q, %v", m.ID, got.State, got.Reason, err)
		}
	}
	for _, m := range []queue.Message{tr, keep} {
		if got, err := b.Get(ctx, m.ID); err != nil || got.State != smsgw.StateQueued {
			t.Errorf("message %d (to %s, %s): %s, %v; want queued", m.ID, m.To, m.Category, got.State, err)
		}
	}
	// B's claim predates the STOP: its recheck reads the database, not
	// what B has heard so far.
	if ok, err := b.StillWanted(ctx, job); err != nil || ok {
		t.Fatalf("B's StillWanted of a message claimed before A's STOP = %v, %v; want false", ok, err)
	}
	if got, _ := b.Get(ctx, onWire.ID); got.State != smsgw.StateCancelled || got.Reason != queue.ReasonOptedOut {
		t.Errorf("the claimed message: %s %q, want cancelled opted_out", got.State, got.Reason)
	}

	res, err := b.Enqueue(ctx, queue.NewMessage{To: []string{stopper, other}, Text: "sale", Category: smsgw.CategoryMarketing})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages[0].State != smsgw.StateSuppressed || res.Messages[0].Reason != queue.ReasonOptedOut ||
		res.Messages[1].State != smsgw.StateQueued {
		t.Fatalf("marketing accepted by B after A's STOP: %+v", res.Messages)
	}
	// B hands out only what may go.
	for {
		j, err := b.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"})
		if errors.Is(err, queue.ErrNoMessage) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if j.To == stopper && j.Category == smsgw.CategoryMarketing {
			t.Errorf("B claimed marketing message %d to the opted-out number", j.ID)
		}
	}
	if st, err := b.Status(ctx, stopper); err != nil || !st.OptedOut() || st.Source != consent.SourceSMS {
		t.Errorf("B reads the standing %+v, %v", st, err)
	}
}

// TestLedgerConcurrentGateways: three gateways appending to the ledger at
// once (opt-outs, opt-ins and HELPs for numbers of their own and shared
// ones) leave one unbroken chain with no gap, and each number's standing
// is that of its last record.
func TestLedgerConcurrentGateways(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	clk := storetest.NewClock()
	gws := []*postgres.Store{gateway(t, dsn, "gw-a", clk), gateway(t, dsn, "gw-b", clk), gateway(t, dsn, "gw-c", clk)}
	ctx := context.Background()
	const workers, rounds = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, len(gws)*workers)
	for g, st := range gws {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				actions := []consent.Action{consent.ActionOptOut, consent.ActionHelp, consent.ActionOptIn}
				for i := range rounds {
					number := fmt.Sprintf("+49151000%02d%03d", w, i%5) // shared by the gateways
					if i%3 == 0 {
						number = fmt.Sprintf("+49152%d%02d%04d", g, w, i) // this worker's own
					}
					r := consent.Record{Number: number, Action: actions[i%len(actions)], Source: consent.SourceAPI, Token: fmt.Sprint(g)}
					if _, err := st.Apply(ctx, r); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var v consent.Verifier
	after := int64(0)
	last := map[string]consent.Action{}
	for {
		page, err := gws[1].Ledger(ctx, consent.LedgerFilter{After: after, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			if err := v.Add(r); err != nil {
				t.Fatal(err)
			}
			if r.Action != consent.ActionHelp {
				last[r.Number] = r.Action
			}
		}
		if len(page) < 100 {
			break
		}
		after = page[len(page)-1].Seq
	}
	if v.Count == 0 {
		t.Fatal("no records")
	}
	for n, want := range last {
		st, err := gws[2].Status(ctx, n)
		if err != nil || st.Action != want {
			t.Errorf("%s stands %+v, %v; its last record says %s", n, st, err, want)
		}
	}
	t.Logf("%d records from %d concurrent writers, one chain", v.Count, len(gws)*workers)
}

// TestLedgerAppendOnly: the database itself refuses to change, delete or
// truncate ledger records, whoever connects.
func TestLedgerAppendOnly(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	st := gateway(t, dsn, "gw-a", storetest.NewClock())
	ctx := context.Background()
	if _, err := st.Apply(ctx, consent.Record{Number: "+4915100000001", Action: consent.ActionOptOut, Source: consent.SourceAPI}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`UPDATE consent_ledger SET action = 'opt_in' WHERE seq = 1`,
		`DELETE FROM consent_ledger WHERE seq = 1`,
		`TRUNCATE consent_ledger`,
	} {
		if _, err := conn.Exec(ctx, q); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
	rs, err := st.Ledger(ctx, consent.LedgerFilter{})
	if err != nil || len(rs) != 1 || rs[0].Action != consent.ActionOptOut {
		t.Fatalf("ledger after the attempts: %+v, %v", rs, err)
	}
}
