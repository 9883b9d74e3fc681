package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// benchText is a typical alert: one GSM 7-bit part.
const benchText = "ALERT disk /var 91% full on host pi-gateway-03 at 12:04 UTC"

func benchStore(b *testing.B, sync Sync, rec queue.Recovery) *Store {
	b.Helper()
	st, err := Open(filepath.Join(b.TempDir(), "bench.db"), queue.Options{Recovery: rec, Logger: quiet},
		Options{Sync: sync, NoHousekeeper: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// BenchmarkEnqueueConcurrent: single-recipient durable enqueues from 16
// concurrent callers (2 cores x parallelism 8), each returning only once
// its commit is done (group commit).
func BenchmarkEnqueueConcurrent(b *testing.B) {
	for _, sync := range []Sync{SyncFull, SyncNormal} {
		b.Run("sync="+string(sync), func(b *testing.B) {
			st := benchStore(b, sync, queue.AtLeastOnce)
			ctx := context.Background()
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(max(1, 16/runtimeProcs()))
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{fmt.Sprintf("+4915%09d", i)}, Text: benchText}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			// The log must stay bounded under sustained writes.
			if fi, err := os.Stat(st.Path() + "-wal"); err == nil {
				b.ReportMetric(float64(fi.Size())/(1<<20), "wal-MiB")
			}
		})
	}
}

// BenchmarkEnqueueBatch: one durable request with 500 or 1,000 recipients
// per operation; recipients/s is the figure.
func BenchmarkEnqueueBatch(b *testing.B) {
	for _, per := range []int{500, 1000} {
		b.Run(fmt.Sprintf("per=%d", per), func(b *testing.B) {
			st := benchStore(b, SyncFull, queue.AtLeastOnce)
			ctx := context.Background()
			to := make([]string, per)
			b.ReportAllocs()
			start := time.Now()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range to {
					to[k] = fmt.Sprintf("+4915%05d%04d", i%100000, k)
				}
				if _, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: benchText}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*per)/time.Since(start).Seconds(), "recipients/s")
		})
	}
}

// fill enqueues n messages in batches, a mix of priorities.
func fill(b *testing.B, st *Store, n int) {
	b.Helper()
	ctx := context.Background()
	const per = 5000
	to := make([]string, per)
	for done := 0; done < n; done += per {
		k := min(per, n-done)
		for i := 0; i < k; i++ {
			to[i] = fmt.Sprintf("+4915%09d", done+i)
		}
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: to[:k], Text: benchText, Priority: (done / per) % 3}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaim: claiming the next message with a large queue. The queue
// holds 100,000 messages; SMSGW_BIG=1 makes it 1,000,000. p50/p99 are per
// claim. at-least-once claims skip the fsync (see Claim); at-most-once
// ones are forced to disk before the modem may send.
func BenchmarkClaim(b *testing.B) {
	n := 100000
	if os.Getenv("SMSGW_BIG") == "1" {
		n = 1000000
	}
	for _, rec := range []queue.Recovery{queue.AtLeastOnce, queue.AtMostOnce} {
		b.Run(fmt.Sprintf("queued=%d/%s", n, rec), func(b *testing.B) {
			st := benchStore(b, SyncFull, rec)
			fill(b, st, n+b.N)
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			co := queue.ClaimOptions{Modem: "a", Tags: []string{"x"}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := st.TryClaim(ctx, co); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkDiskPerMessage reports the database size per queued message
// (a 60-character text, one recipient each) after a checkpoint. The
// database is built once, whatever b.N is.
func BenchmarkDiskPerMessage(b *testing.B) {
	const n = 100000
	st := benchStore(b, SyncNormal, queue.AtLeastOnce)
	fill(b, st, n)
	if _, err := st.wdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var size int64
	for i := 0; i < b.N; i++ {
		fi, err := os.Stat(st.Path())
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	b.ReportMetric(float64(size)/n, "bytes/msg")
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkCounts: the per-state counts behind the metrics, 100,000
// messages stored (SMSGW_BIG=1: 1,000,000).
func BenchmarkCounts(b *testing.B) {
	n := 100000
	if os.Getenv("SMSGW_BIG") == "1" {
		n = 1000000
	}
	st := benchStore(b, SyncNormal, queue.AtLeastOnce)
	fill(b, st, n)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := st.Counts(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCountsMillion: what a /metrics scrape or a dashboard summary
// asks of the store (the per-state counts and the oldest queued message)
// with 1,000,000 messages queued. The rows are written by one INSERT ...
// SELECT, not through Enqueue, so that building them takes seconds;
// keepInserted then counts them as the enqueue would have.
func BenchmarkCountsMillion(b *testing.B) {
	const n = 1000000
	st := benchStore(b, SyncNormal, queue.AtLeastOnce)
	ctx := context.Background()
	if _, err := st.wdb.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO messages (recipient, text, priority, state, next_at, created_at, updated_at)
		SELECT printf('+4915%09d', i), ?, i % 3, 'queued', 0, 1000 + i, 1000 + i FROM seq`, n, benchText); err != nil {
		b.Fatal(err)
	}
	keepInserted(b, st)
	c, err := st.Counts(ctx)
	if err != nil || c[smsgw.StateQueued] != n {
		b.Fatalf("Counts = %v, %v; want %d queued", c, err, n)
	}
	b.Run("Counts", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := st.Counts(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("OldestQueued", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if at, err := st.OldestQueued(ctx); err != nil || at.UnixMilli() != 1001 {
				b.Fatalf("OldestQueued = %v, %v", at, err)
			}
		}
	})
}

// BenchmarkEnqueueSuppression: what the consent check costs on ingest. A
// durable request of 1,000 marketing recipients, each looked up in the
// opt-out standing, with no opt-outs on record and with 100,000 (every
// tenth recipient of the request among them, stored as suppressed).
// Compare recipients/s with BenchmarkEnqueueBatch/per=1000.
func BenchmarkEnqueueSuppression(b *testing.B) {
	for _, optouts := range []int{0, 100000} {
		b.Run(fmt.Sprintf("optouts=%d", optouts), func(b *testing.B) {
			st := benchStore(b, SyncFull, queue.AtLeastOnce)
			ctx := context.Background()
			// Numbers +4915<i*10 as 9 digits> stand opted out: every
			// tenth of the recipients below.
			fillOptOuts(b, st, optouts)
			const per = 1000
			to := make([]string, per)
			b.ReportAllocs()
			start := time.Now()
			suppressed := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range to {
					to[k] = fmt.Sprintf("+4915%09d", (i*per+k)%(optouts*10+per))
				}
				res, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: benchText, Category: smsgw.CategoryMarketing})
				if err != nil {
					b.Fatal(err)
				}
				for _, m := range res.Messages {
					if m.State == smsgw.StateSuppressed {
						suppressed++
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*per)/time.Since(start).Seconds(), "recipients/s")
			b.ReportMetric(float64(suppressed)/float64(b.N*per), "suppressed/recipient")
		})
	}
}

// fillOptOuts records n numbers as opted out, +4915<i*10 in 9 digits>,
// straight into the standing table (n ledger commits would take minutes).
func fillOptOuts(b *testing.B, st *Store, n int) {
	b.Helper()
	if n == 0 {
		return
	}
	if _, err := st.wdb.ExecContext(context.Background(), `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
		INSERT INTO consent_numbers (number, action, at, source, seq, last_seq)
		SELECT printf('+4915%09d', i * 10), 'opt_out', 0, 'import', i + 1, i + 1 FROM n`, n); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOptOutLookup: the one lookup the consent check adds per
// recipient at enqueue (and per claim), with 100,000 opt-outs on record.
func BenchmarkOptOutLookup(b *testing.B) {
	st := benchStore(b, SyncFull, queue.AtLeastOnce)
	fillOptOuts(b, st, 100000)
	ctx := context.Background()
	stmt, err := st.rdb.PrepareContext(ctx, `SELECT count(*) FROM consent_numbers WHERE number = ? AND action = 'opt_out'`)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var n int
		if err := stmt.QueryRowContext(ctx, fmt.Sprintf("+4915%09d", i%1000000)).Scan(&n); err != nil {
			b.Fatal(err)
		}
		hits += n
	}
	b.StopTimer()
	if b.N >= 10 && hits == 0 {
		b.Fatal("no lookup found an opted-out number")
	}
}
