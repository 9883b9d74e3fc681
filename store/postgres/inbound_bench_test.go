package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"smsgw/queue"
	"smsgw/store/postgres"
)

// BenchmarkAddInboundPart: received parts committed one after another,
// two-part messages joined as their second part comes (as a modem's
// reader stores them).
func BenchmarkAddInboundPart(b *testing.B) {
	st := benchStore(b, 16)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := queue.InboundPart{Modem: "m1", Sender: "+4917000000", Ref: (i / 2) % 65536, Total: 2, Seq: i%2 + 1,
			PDU: []byte(fmt.Sprint(i)), Slot: &queue.Slot{Storage: "SM", Index: i}}
		if _, err := st.AddInboundPart(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "parts/s")
}

// BenchmarkEventDelivery: two gateways run the same consumer over a
// backlog of b.N events, each taking batches of 50 and acknowledging every
// event (the hook dispatcher's calls, without the hook itself).
func BenchmarkEventDelivery(b *testing.B) {
	ctx := context.Background()
	dsn := migrated.DSN(b, b.Name())
	open := func(node string) *postgres.Store {
		st, err := postgres.Open(ctx, dsn, queue.Options{Node: node}, postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close(context.Background()) })
		return st
	}
	a, other := open("bench-a"), open("bench-b")
	for _, st := range []*postgres.Store{a, other} {
		if err := st.AddConsumer(ctx, "hook"); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		if _, err := a.AddUndecodable(ctx, queue.Undecodable{Modem: "m1", PDU: "00", Err: "x"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, st := range []*postgres.Store{a, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ds, _, err := st.NextEvents(ctx, "hook", 50)
				if err != nil {
					b.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				for _, d := range ds {
					if err := st.AckEvent(ctx, "hook", d.ID); err != nil {
						b.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
