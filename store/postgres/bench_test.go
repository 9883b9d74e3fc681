package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"smsgw/queue"
	"smsgw/store/postgres"
)

// benchStore opens a store on a fresh database for a benchmark.
func benchStore(b *testing.B, maxConns int32) *postgres.Store {
	b.Helper()
	dsn := migrated.DSN(b, b.Name())
	st, err := postgres.Open(context.Background(), dsn, queue.Options{Node: "bench"}, postgres.Options{MaxConns: maxConns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// BenchmarkEnqueue: durable single-recipient accepts, one caller after
// another (serial) and from 16 callers at once (parallel), as an API under
// load sees them.
func BenchmarkEnqueue(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		st := benchStore(b, 16)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Text: "hello"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepts/s")
	})
	b.Run("parallel16", func(b *testing.B) {
		st := benchStore(b, 16)
		ctx := context.Background()
		b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Text: "hello"}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepts/s")
	})
}

// BenchmarkEnqueueBatch: one request to many recipients (a broadcast),
// below and above the size from which rows are loaded with COPY.
func BenchmarkEnqueueBatch(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			st := benchStore(b, 4)
			ctx := context.Background()
			to := make([]string, n)
			for i := range to {
				to[i] = fmt.Sprintf("+491511%07d", i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: "broadcast"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkTryClaim: one claim (pick, lock, open the attempt) from a
// queue of b.N+ messages, then the attempt's end, as a modem worker does.
func BenchmarkTryClaim(b *testing.B) {
	st := benchStore(b, 4)
	ctx := context.Background()
	to := make([]string, 1000)
	for i := range to {
		to[i] = fmt.Sprintf("+491511%07d", i)
	}
	for left := b.N + 1000; left > 0; left -= len(to) {
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: "queued"}); err != nil {
			b.Fatal(err)
		}
	}
	co := queue.ClaimOptions{Modem: "m1"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j, err := st.TryClaim(ctx, co)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: i % 256}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
