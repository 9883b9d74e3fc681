package sqlite

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/queue"
)

// BenchmarkEnqueueSingle: one durable single-recipient enqueue after
// another, each its own commit: the per-message cost the committer pays
// when requests do not overlap.
func BenchmarkEnqueueSingle(b *testing.B) {
	st := benchStore(b, SyncFull, queue.AtLeastOnce)
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{fmt.Sprintf("+4915%09d", i)}, Text: benchText}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkEnqueueBatchDrop is EnqueueBatch/per=500 with the indexes named
// in SMSGW_DROP (comma-separated) dropped first: what each index costs.
func BenchmarkEnqueueBatchDrop(b *testing.B) {
	st := benchStore(b, SyncFull, queue.AtLeastOnce)
	for _, ix := range strings.Split(os.Getenv("SMSGW_DROP"), ",") {
		if ix == "" {
			continue
		}
		if _, err := st.wdb.Exec("DROP INDEX " + ix); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	const per = 500
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
}

// BenchmarkEnqueueBatchConcurrent: requests of 500 recipients from 4
// concurrent callers, as the daemon's batch figure sends them: commits
// are shared and their fsyncs overlap the next batch, so the committer's
// own work per recipient is what bounds the rate.
func BenchmarkEnqueueBatchConcurrent(b *testing.B) {
	st := benchStore(b, SyncFull, queue.AtLeastOnce)
	ctx := context.Background()
	const per = 500
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(1, 4/runtimeProcs()))
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		to := make([]string, per)
		for pb.Next() {
			i := n.Add(1)
			for k := range to {
				to[k] = fmt.Sprintf("+49%07d%04d", i, k)
			}
			if _, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: benchText}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*per)/time.Since(start).Seconds(), "recipients/s")
}
