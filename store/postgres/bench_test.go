package postgres_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
			to := fmt.Sprintf("+4915100%06d", i)
			if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{to}, Text: "hello"}); err != nil {
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
		var caller atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			// Each caller its own recipients: one number's conversation
			// row orders the sends to it, which is not what is measured.
			c := caller.Add(1)
			for i := 0; pb.Next(); i++ {
				to := fmt.Sprintf("+49151%02d%06d", c, i)
				if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{to}, Text: "hello"}); err != nil {
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

// BenchmarkClaimDeepQueue: claim latency with a deep queue (100,000
// messages, or SMSGW_BENCH_QUEUE of them), reported as p50 and p99 of
// TryClaim over b.N claims, each followed by its MarkSent (not timed).
func BenchmarkClaimDeepQueue(b *testing.B) {
	depth := 100000
	if v := os.Getenv("SMSGW_BENCH_QUEUE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SMSGW_BENCH_QUEUE=%q: want a positive number", v)
		}
		depth = n
	}
	dsn := migrated.DSN(b, b.Name())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	// Filled in one statement: the rows Enqueue would write, without
	// the time it takes to send them one request at a time.
	now := time.Now().UnixMilli()
	if _, err := conn.Exec(ctx, `INSERT INTO messages (recipient, text, state, next_at, created_at, updated_at, priority)
		SELECT '+491511' || lpad(g::text, 7, '0'), 'queued deep', 'queued', 0, $2, $2, (g % 3) - 1
		FROM generate_series(1, $1) g`, depth+b.N, now); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE messages`); err != nil {
		b.Fatal(err)
	}
	st, err := postgres.Open(ctx, dsn, queue.Options{Node: "bench"}, postgres.Options{MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close(ctx)
	co := queue.ClaimOptions{Modem: "m1", Tags: []string{"de"}}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		j, err := st.TryClaim(ctx, co)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		b.StopTimer()
		if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: i % 256}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(depth), "queued")
}
