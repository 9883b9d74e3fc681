package sqlite

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"smsgw/queue"
)

// BenchmarkEnqueueGroup: durable single-recipient enqueues committed in
// groups of 8 (about what 16 connections make in the whole daemon), each
// group held until all 8 wait, so that every transaction is alike and the
// figures compare between builds: CPU time of the process per message
// (cpu-us/msg) and, under callgrind, instructions per message.
func BenchmarkEnqueueGroup(b *testing.B) {
	const group = 8
	st := benchStore(b, SyncFull, queue.AtLeastOnce)
	ctx := context.Background()
	next := 0
	run := func(n int) {
		for done := 0; done < n; done += group {
			started, release := make(chan struct{}), make(chan struct{})
			held := make(chan error, 1)
			go func() { held <- st.write(ctx, false, func(w *wtx) error { close(started); <-release; return nil }) }()
			<-started
			var wg sync.WaitGroup
			for i := 0; i < group; i++ {
				next++
				to := fmt.Sprintf("+4915%09d", next)
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{to}, Text: benchText}); err != nil {
						b.Error(err)
					}
				}()
			}
			for len(st.reqs) < group {
				time.Sleep(20 * time.Microsecond)
			}
			close(release)
			wg.Wait()
			if err := <-held; err != nil {
				b.Fatal(err)
			}
		}
	}
	run(10 * group) // statements prepared, caches warm
	b.ReportAllocs()
	c0 := cpuTime()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N), "cpu-us/msg")
}

// cpuTime is the CPU time the process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
