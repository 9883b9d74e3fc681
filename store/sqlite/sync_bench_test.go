package sqlite

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/queue"
)

// BenchmarkEnqueueDurable is BenchmarkEnqueueConcurrent under SyncFull
// with what the pipeline did: commits and fsyncs of the log per message.
func BenchmarkEnqueueDurable(b *testing.B) {
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			st := benchStore(b, SyncFull, queue.AtLeastOnce)
			var syncs atomic.Int64
			st.sy.fsync.Store(&fsyncHook{func(f *os.File) error { syncs.Add(1); return fsyncFile(f) }})
			ctx := context.Background()
			var n atomic.Int64
			c0 := st.sy.committed.Load()
			b.ReportAllocs()
			b.SetParallelism(max(1, callers/runtimeProcs()))
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
			b.ReportMetric(float64(st.sy.committed.Load()-c0)/float64(b.N), "commits/msg")
			b.ReportMetric(float64(syncs.Load())/float64(b.N), "fsyncs/msg")
		})
	}
}
