package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
