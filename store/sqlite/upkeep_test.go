package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"smsgw"
	"smsgw/queue"
)

// inOneBatch runs the calls in one transaction of the committer, in
// order: each is started once the one before it waits in the queue, all
// behind a request that holds the committer until the last is queued.
// It returns their errors.
func inOneBatch(t *testing.T, st *Store, calls ...func() error) []error {
	t.Helper()
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() { held <- st.write(ctx, false, func(w *wtx) error { close(started); <-release; return nil }) }()
	<-started
	errs := make([]chan error, len(calls))
	for i, call := range calls {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- call() }()
		waitFor(t, func() bool { return len(st.reqs) == i+1 })
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	out := make([]error, len(calls))
	for i := range errs {
		out[i] = <-errs[i]
	}
	return out
}

// conversations returns each conversation's last message id.
func conversations(t *testing.T, st *Store) map[string]int64 {
	t.Helper()
	rows, err := st.rdb.Query(`SELECT number, last_id FROM conversations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var n string
		var id int64
		if err := rows.Scan(&n, &id); err != nil {
			t.Fatal(err)
		}
		out[n] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// countsAgree checks the kept state counts against the messages.
func countsAgree(t *testing.T, st *Store) map[smsgw.State]int64 {
	t.Helper()
	kept, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for state, n := range kept {
		var rows int64
		if err := st.rdb.QueryRow(`SELECT count(*) FROM messages WHERE state = ?`, string(state)).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != n {
			t.Errorf("state_counts says %d %s, the messages %d", n, state, rows)
		}
	}
	return kept
}

// TestUpkeepAppliedBeforeOtherRequests: in one transaction, the counts and
// conversations of enqueued messages are in place before a request that
// is not an enqueue runs: a cancel of a message enqueued just before it
// moves the count its trigger expects, and a request reading them sees
// every enqueue before it. Two sends to one number end on the later.
func TestUpkeepAppliedBeforeOtherRequests(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	ctx := context.Background()
	send := func(to string) func() error {
		return func() error {
			_, err := st.Enqueue(ctx, queue.NewMessage{To: []string{to}, Text: "hi " + to})
			return err
		}
	}
	var seenQueued, seenCancelled int64
	var seenLast int64
	errs := inOneBatch(t, st,
		send("+4915100000001"), // id 1
		func() error { _, err := st.Cancel(ctx, 1); return err },
		send("+4915100000002"), // id 2
		send("+4915100000002"), // id 3
		func() error {
			return st.write(ctx, false, func(w *wtx) error {
				if err := w.queryRow(`SELECT
					(SELECT n FROM state_counts WHERE state = 'queued'),
					(SELECT n FROM state_counts WHERE state = 'cancelled'),
					(SELECT last_id FROM conversations WHERE number = '+4915100000002')`).Scan(&seenQueued, &seenCancelled, &seenLast); err != nil {
					return err
				}
				return nil
			})
		},
		send("+4915100000003"), // id 4
	)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if seenQueued != 2 || seenCancelled != 1 || seenLast != 3 {
		t.Errorf("inside the transaction: %d queued, %d cancelled, +4915100000002 last on %d; want 2, 1, 3",
			seenQueued, seenCancelled, seenLast)
	}
	c := countsAgree(t, st)
	if c[smsgw.StateQueued] != 3 || c[smsgw.StateCancelled] != 1 {
		t.Errorf("counts %v, want 3 queued and 1 cancelled", c)
	}
	want := map[string]int64{"+4915100000001": 1, "+4915100000002": 3, "+4915100000003": 4}
	if got := conversations(t, st); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("conversations %v, want %v", got, want)
	}
}

// TestUpkeepOfFailedRequestDropped: a request that enqueued and then failed
// is rolled back under its savepoint, and the counts and conversation of
// what it inserted go with it, while those of the requests around it,
// one of them a batch naming a number twice, stay.
func TestUpkeepOfFailedRequestDropped(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	ctx := context.Background()
	send := func(to ...string) func() error {
		return func() error {
			_, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: "hi"})
			return err
		}
	}
	boom := errors.New("boom")
	failing := func() error {
		p, err := st.prepare(queue.NewMessage{To: []string{"+4915100000009"}, Text: "rolled back"})
		if err != nil {
			return err
		}
		return st.submit(ctx, &writeReq{durable: true, gather: true, done: make(chan error, 2), fn: func(w *wtx) error {
			var out queue.Enqueued
			var mk made
			if err := w.enqueue(p, &out, &mk); err != nil {
				return err
			}
			return boom
		}})
	}
	errs := inOneBatch(t, st,
		send("+4915100000001"), // id 1
		failing,                // rolled back
		send("+4915100000002", "+4915100000003", "+4915100000002"), // ids 2-4
		failing,
		send("+4915100000001"), // id 5
	)
	for i, err := range errs {
		if want := i == 1 || i == 3; want != errors.Is(err, boom) || (!want && err != nil) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if c := countsAgree(t, st); c[smsgw.StateQueued] != 5 {
		t.Errorf("%d queued, want 5", c[smsgw.StateQueued])
	}
	want := map[string]int64{"+4915100000001": 5, "+4915100000002": 4, "+4915100000003": 3}
	if got := conversations(t, st); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("conversations %v, want %v", got, want)
	}
}

// TestUpkeepManyInOneTransaction: the conversations of many requests in
// one transaction, written a few requests a statement, end on each
// number's last message, whichever statement named it last; a request of
// many numbers among them too.
func TestUpkeepManyInOneTransaction(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	ctx := context.Background()
	var calls []func() error
	want := map[string]int64{}
	id := int64(0)
	send := func(to ...string) {
		calls = append(calls, func() error {
			_, err := st.Enqueue(ctx, queue.NewMessage{To: to, Text: "hi"})
			return err
		})
		for _, n := range to {
			id++
			want[n] = id
		}
	}
	num := func(i int) string { return fmt.Sprintf("+49151000000%02d", i) }
	for i := 0; i < 13; i++ {
		send(num(i % 5))
	}
	batch := make([]string, 11)
	for i := range batch {
		batch[i] = num(3 + i%7)
	}
	send(batch...)
	for i := 0; i < 9; i++ {
		send(num(i%3), num(20+i))
	}
	for i, err := range inOneBatch(t, st, calls...) {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if c := countsAgree(t, st); c[smsgw.StateQueued] != id {
		t.Errorf("%d queued, want %d", c[smsgw.StateQueued], id)
	}
	if got := conversations(t, st); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("conversations %v,\nwant %v", got, want)
	}
}
