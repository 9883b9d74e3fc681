package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/postgres"
	"smsgw/store/postgres/pgtest"
	"smsgw/store/storetest"
)

// openNodes opens one store per node name on one fresh database, sharing
// a clock.
func openNodes(t *testing.T, clk *storetest.Clock, nodes ...string) []*postgres.Store {
	t.Helper()
	sts, _ := openNodesDSN(t, clk, nodes...)
	return sts
}

// openNodesDSN is openNodes, returning the database's DSN too.
func openNodesDSN(t *testing.T, clk *storetest.Clock, nodes ...string) ([]*postgres.Store, string) {
	t.Helper()
	dsn := migrated.DSN(t, t.Name())
	var out []*postgres.Store
	for _, n := range nodes {
		st, err := postgres.Open(context.Background(), dsn, queue.Options{Node: n, Now: clk.Now}, postgres.Options{NoHousekeeper: true})
		if err != nil {
			t.Fatalf("Open %s: %v", n, err)
		}
		t.Cleanup(func() { st.Close(context.Background()) })
		out = append(out, st)
	}
	return out, dsn
}

// TestFleetIdempotencyRace: gateways receiving the same request under one
// key at the same moment commit it once; the others replay it.
func TestFleetIdempotencyRace(t *testing.T) {
	sts := openNodes(t, storetest.NewClock(), "a", "b", "c")
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		key := fmt.Sprintf("k%d", round)
		res := make([]queue.Enqueued, 6)
		errs := make([]error, 6)
		var wg sync.WaitGroup
		for i := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i], errs[i] = sts[i%3].Enqueue(ctx, queue.NewMessage{To: []string{"+1", "+2"}, Text: "x", IdempotencyKey: key})
			}()
		}
		wg.Wait()
		fresh := 0
		for i := range res {
			if errs[i] != nil {
				t.Fatalf("round %d, request %d: %v", round, i, errs[i])
			}
			if !res[i].Replayed {
				fresh++
			}
			if res[i].Messages[0].ID != res[0].Messages[0].ID || res[i].Messages[1].ID != res[0].Messages[1].ID {
				t.Fatalf("round %d: request %d got ids %d,%d, request 0 %d,%d", round, i,
					res[i].Messages[0].ID, res[i].Messages[1].ID, res[0].Messages[0].ID, res[0].Messages[1].ID)
			}
		}
		if fresh != 1 {
			t.Errorf("round %d: %d requests inserted, want 1", round, fresh)
		}
	}
	c, err := sts[0].Counts(ctx)
	if err != nil || c[smsgw.StateQueued] != 10 {
		t.Errorf("Counts = %v, %v; want 10 queued", c, err)
	}
}

// TestFleetClaimsApart: three gateways claiming from one queue at once
// take every message exactly once, and the kept counts match.
func TestFleetClaimsApart(t *testing.T) {
	sts := openNodes(t, storetest.NewClock(), "a", "b", "c")
	ctx := context.Background()
	const n = 120
	to := make([]string, n)
	for i := range to {
		to[i] = fmt.Sprintf("+4915100%04d", i)
	}
	if _, err := sts[0].Enqueue(ctx, queue.NewMessage{To: to, Text: "burst"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for g, st := range sts {
		for m := 0; m < 2; m++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				modem := fmt.Sprintf("m%d", m)
				for {
					j, err := st.TryClaim(ctx, queue.ClaimOptions{Modem: modem})
					if errors.Is(err, queue.ErrNoMessage) {
						return
					}
					if err != nil {
						t.Errorf("gateway %d: %v", g, err)
						return
					}
					mu.Lock()
					if prev, dup := seen[j.ID]; dup {
						t.Errorf("message %d claimed by %s and by gateway %d", j.ID, prev, g)
					}
					seen[j.ID] = fmt.Sprintf("gateway %d/%s", g, modem)
					mu.Unlock()
					if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: int(j.ID % 256)}); err != nil {
						t.Errorf("MarkSent: %v", err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d messages claimed, want %d", len(seen), n)
	}
	c, err := sts[1].Counts(ctx)
	if err != nil || c[smsgw.StateSent] != n || c[smsgw.StateQueued] != 0 || c[smsgw.StateSending] != 0 {
		t.Errorf("Counts = %v, %v; want %d sent", c, err, n)
	}
}

// TestFleetWakeUp: a message enqueued through one gateway wakes a claimer
// waiting on another (LISTEN/NOTIFY), with no polling.
func TestFleetWakeUp(t *testing.T) {
	sts := openNodes(t, storetest.NewClock(), "a", "b")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := make(chan *queue.Job, 1)
	errc := make(chan error, 1)
	wake := sts[0].Claimable()
	go func() {
		j, err := sts[0].Claim(ctx, queue.ClaimOptions{Modem: "m1"})
		if err != nil {
			errc <- err
			return
		}
		got <- j
	}()
	m, err := sts[1].Enqueue(ctx, queue.NewMessage{To: []string{"+1"}, Text: "wake up"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-ctx.Done():
		t.Fatal("gateway a's Claimable did not fire for b's enqueue")
	}
	select {
	case j := <-got:
		if j.ID != m.Messages[0].ID {
			t.Errorf("claimed %d, want %d", j.ID, m.Messages[0].ID)
		}
	case err := <-errc:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("the waiting claimer on gateway a never took b's message")
	}
}

// TestCampaignRoundTrip: a message's campaign is stored, listed by, and
// carried in its events.
func TestCampaignRoundTrip(t *testing.T) {
	sts := openNodes(t, storetest.NewClock(), "a")
	st, ctx := sts[0], context.Background()
	res, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1", "+2"}, Text: "sale", Campaign: "7"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+3"}, Text: "other"}); err != nil {
		t.Fatal(err)
	}
	if res.Messages[0].Campaign != "7" {
		t.Errorf("Enqueue returned campaign %q", res.Messages[0].Campaign)
	}
	pg, err := st.List(ctx, queue.Filter{Campaign: "7"})
	if err != nil || len(pg.Messages) != 2 || pg.Messages[0].Campaign != "7" {
		t.Fatalf("List by campaign = %+v, %v", pg.Messages, err)
	}
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1"}, Text: "x", Campaign: string(make([]byte, 65))}); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("a 65-byte campaign id: err = %v, want ErrInvalid", err)
	}
}

// TestListenerReconnects: when the connection that listens is cut (the
// database restarted, a proxy dropped it), the store listens again by
// itself, tells its waiters to look again, and other gateways' commits
// wake them as before.
func TestListenerReconnects(t *testing.T) {
	sts, dsn := openNodesDSN(t, storetest.NewClock(), "a", "b")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, pgtest.AdminDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var pid int32
	if err := admin.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1
		AND application_name = 'smsgw a' AND query LIKE 'LISTEN %'`, cfg.Database).Scan(&pid); err != nil {
		t.Fatalf("gateway a's listening connection: %v", err)
	}
	// Nothing commits meanwhile: this channel fires when a, listening
	// again, tells its waiters to look again.
	relisten := sts[0].Changed()
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	select {
	case <-relisten:
	case <-ctx.Done():
		t.Fatal("gateway a never listened again")
	}
	wake := sts[0].Claimable()
	if _, err := sts[1].Enqueue(ctx, queue.NewMessage{To: []string{"+1"}, Text: "after the cut"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-ctx.Done():
		t.Fatal("gateway a's Claimable did not fire for b's enqueue after listening again")
	}
}

// TestBackendsCut: every server connection of a store is cut (the
// database restarted under it); the next calls work again without the
// caller doing anything, and the store listens again.
func TestBackendsCut(t *testing.T) {
	sts, dsn := openNodesDSN(t, storetest.NewClock(), "a")
	st := sts[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+1"}, Text: "before"}); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, pgtest.AdminDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	relisten := st.Changed()
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, cfg.Database).Scan(&n); err != nil || n == 0 {
		t.Fatalf("cut %d connections: %v", n, err)
	}
	select {
	case <-relisten:
	case <-ctx.Done():
		t.Fatal("the store never listened again")
	}
	// A connection may still have to find out it is gone: a call then
	// fails as unavailable (never anything else), and a retry works.
	var res queue.Enqueued
	for try := 0; ; try++ {
		res, err = st.Enqueue(ctx, queue.NewMessage{To: []string{"+2"}, Text: "after", IdempotencyKey: "after-cut"})
		if err == nil {
			break
		}
		if !errors.Is(err, smsgw.ErrUnavailable) || try == 5 {
			t.Fatalf("Enqueue after the cut (try %d): %v; want success or ErrUnavailable", try, err)
		}
	}
	if c, err := st.Counts(ctx); err != nil || c[smsgw.StateQueued] != 2 {
		t.Errorf("Counts = %v, %v; want 2 queued", c, err)
	}
	if j, err := st.TryClaim(ctx, queue.ClaimOptions{Modem: "m"}); err != nil || j.ID >= res.Messages[0].ID {
		t.Errorf("claim after the cut = %+v, %v; want the first message", j, err)
	}
}

// TestOpenUnreachable: a database that cannot be reached is reported as
// unavailable, promptly, and without the DSN's password.
func TestOpenUnreachable(t *testing.T) {
	pgtest.AdminDSN(t)
	// Port 1 on the loopback refuses at once.
	_, err := postgres.Open(context.Background(), "postgres://u:s3cret@127.0.0.1:1/smsgw?sslmode=disable",
		queue.Options{}, postgres.Options{NoHousekeeper: true})
	if !errors.Is(err, smsgw.ErrUnavailable) {
		t.Fatalf("Open of an unreachable database: %v; want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error repeats the password: %v", err)
	}
}

// TestEventsInCommitOrder: a reader that follows the outbox by id while
// two gateways append events concurrently misses none of them: an event
// never becomes visible below an id the reader has already passed.
func TestEventsInCommitOrder(t *testing.T) {
	sts := openNodes(t, storetest.NewClock(), "a", "b")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const perWriter = 40
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := sts[w%2]
			for i := 0; i < perWriter; i++ {
				res, err := st.Enqueue(ctx, queue.NewMessage{To: []string{fmt.Sprintf("+4915%d%05d", w, i)}, Text: "e"})
				if err != nil {
					t.Error(err)
					return
				}
				// Each cancel appends one event (message.cancelled).
				if _, err := st.Cancel(ctx, res.Messages[0].ID); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	seen := map[int64]bool{}
	var cursor int64
	read := func() {
		evs, err := sts[0].Events(ctx, cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			seen[e.ID] = true
			cursor = e.ID
		}
	}
	for running := true; running; {
		wake := sts[0].EventsAvailable()
		read()
		select {
		case <-wake:
		case <-done:
			running = false
		}
	}
	read()
	all, err := sts[1].Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4*perWriter {
		t.Fatalf("%d events in the outbox, want %d", len(all), 4*perWriter)
	}
	for _, e := range all {
		if !seen[e.ID] {
			t.Errorf("event %d (%s of %d) was committed below the reader's cursor and never read", e.ID, e.Type, e.SubjectID)
		}
	}
}

// TestEventsWaitForOlderTransactions: an event committed while a
// transaction with a smaller transaction id is still running is not
// listed (nor taken by a consumer) until that transaction ends, since
// that transaction may still append an event below it; once it commits,
// a reader paging on by id gets both, the older transaction's first.
func TestEventsWaitForOlderTransactions(t *testing.T) {
	sts, dsn := openNodesDSN(t, storetest.NewClock(), "a")
	st := sts[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := st.AddConsumer(ctx, "hook"); err != nil {
		t.Fatal(err)
	}
	older, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Close(context.Background())
	tx, err := older.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	// The older transaction takes its id before the newer one commits.
	if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	res, err := st.Enqueue(ctx, queue.NewMessage{To: []string{"+4915100000001"}, Text: "newer"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Cancel(ctx, res.Messages[0].ID); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("Events listed %d events while an older transaction runs; want none", len(evs))
	}
	ds, _, err := st.NextEvents(ctx, "hook", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 0 {
		t.Fatalf("NextEvents handed out %d events while an older transaction runs; want none", len(ds))
	}
	// The older transaction appends its event the way the store does.
	if _, err := tx.Exec(ctx, `INSERT INTO events (id, type, subject_id, at, data)
		VALUES ((pg_current_xact_id()::text::bigint << 20) + 1, 'test.older', 0, 1, '{}')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err = st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, string(e.Type))
	}
	if len(evs) < 2 || types[0] != "test.older" {
		t.Fatalf("events after the older transaction committed: %v; want test.older first, then the newer ones", types)
	}
	ds, _, err = st.NextEvents(ctx, "hook", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(evs) || ds[0].Type != "test.older" {
		t.Fatalf("consumer got %d deliveries (first %v), want %d starting with test.older", len(ds), ds, len(evs))
	}
}
