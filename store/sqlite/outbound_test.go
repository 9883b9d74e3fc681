package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"smsgw/queue"

	"smsgw"
)

func TestConcurrentEnqueueGroupCommit(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	ctx := context.Background()
	const callers, each = 16, 50
	// The first round waits behind a held committer, so that all 16
	// callers share one transaction; later rounds batch as they come.
	started, release := make(chan struct{}), make(chan struct{})
	go st.write(ctx, false, func(w *wtx) error { close(started); <-release; return nil })
	<-started
	var wg sync.WaitGroup
	ids := make(chan int64, callers*each)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				res, err := st.Enqueue(ctx, queue.NewMessage{To: []string{fmt.Sprintf("+49%03d%04d", c, i)}, Text: "x"})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- res.Messages[0].ID
			}
		}()
	}
	waitFor(t, func() bool { return len(st.reqs) == callers })
	close(release)
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %d handed out twice", id)
		}
		seen[id] = true
		if mustGet(t, st, id).State != smsgw.StateQueued {
			t.Fatalf("message %d not queued", id)
		}
	}
	if len(seen) != callers*each {
		t.Fatalf("%d messages, want %d", len(seen), callers*each)
	}
}
