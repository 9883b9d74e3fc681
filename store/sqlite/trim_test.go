package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"smsgw/queue"
)

// TestTrimReleasesCaches fills the writer's and the readers' page caches,
// trims, and checks that SQLite's own count of its memory falls back near
// where it was after Open, and that the store works as before.
func TestTrimReleasesCaches(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	ctx := context.Background()
	opened := MemoryUsed()
	for i := 0; i < 3000; i++ {
		m := queue.NewMessage{To: []string{fmt.Sprintf("+4915173%06d", i)}, Text: "a text long enough to fill a few pages of the table"}
		if _, err := st.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Every reader the pool may open reads the whole table, each on a
	// connection held at once, so that each fills its own cache (left to
	// the pool, a few connections may serve every query).
	var conns []*sql.Conn
	for range st.rdb.Stats().MaxOpenConnections {
		c, err := st.rdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var n int
		if err := c.QueryRowContext(ctx, "SELECT sum(length(text)) FROM messages").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	filled := MemoryUsed()
	if filled-opened < 2<<20 {
		t.Fatalf("SQLite memory %d after Open, %d with full caches: the test fills too little to tell", opened, filled)
	}
	if err := st.Trim(ctx); err != nil {
		t.Fatalf("Trim: %v", err)
	}
	trimmed := MemoryUsed()
	t.Logf("SQLite memory: %d after Open, %d with full caches, %d trimmed", opened, filled, trimmed)
	if trimmed > opened+(filled-opened)/4 {
		t.Errorf("SQLite memory %d after Trim, want near the %d after Open (%d with full caches)", trimmed, opened, filled)
	}
	if idle := st.rdb.Stats().Idle; idle != 0 {
		t.Errorf("%d idle readers after Trim, want 0", idle)
	}
	// Readers are kept idle again afterwards, as many as before.
	idleBefore := st.rdb.Stats().MaxOpenConnections
	var acquired, released sync.WaitGroup
	hold := make(chan struct{})
	for g := 0; g < idleBefore; g++ {
		acquired.Add(1)
		released.Add(1)
		go func() {
			defer released.Done()
			c, err := st.rdb.Conn(ctx)
			acquired.Done()
			if err != nil {
				t.Error(err)
				return
			}
			<-hold
			c.Close()
		}()
	}
	acquired.Wait()
	close(hold)
	released.Wait()
	if idle := st.rdb.Stats().Idle; idle != idleBefore {
		t.Errorf("%d idle readers after %d were used at once, want them all kept", idle, idleBefore)
	}
	// Everything works as before: readers reopen, the writer commits.
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+491517399999"}, Text: "after"}); err != nil {
		t.Fatalf("Enqueue after Trim: %v", err)
	}
	var n int
	if err := st.rdb.QueryRowContext(ctx, "SELECT count(*) FROM messages").Scan(&n); err != nil || n != 3001 {
		t.Fatalf("count after Trim: %d, %v; want 3001", n, err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Trim(ctx); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Trim after Close: %v, want queue.ErrClosed", err)
	}
}
