package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw/queue"
)

// TestDueLaterOnly: messages_due (schema 24) holds the messages due later
// than their creation and only those, and the claim still finds both
// kinds: the one due now at once, the later one at its time.
func TestDueLaterOnly(t *testing.T) {
	st, clk := testStore(t, queue.Options{})
	ctx := context.Background()
	now := mustEnqueue(t, st, queue.NewMessage{To: []string{"+4915100000001"}})[0]
	later := clk.Now().Add(time.Hour)
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+4915100000002", "+4915100000003"}, SendAfter: later})
	var inDue int
	if err := st.rdb.QueryRow(`SELECT count(*) FROM messages INDEXED BY messages_due
		WHERE state = 'queued' AND next_at > created_at`).Scan(&inDue); err != nil {
		t.Fatal(err)
	}
	if inDue != 2 {
		t.Errorf("%d messages in messages_due, want the 2 sent later", inDue)
	}
	if j := mustClaim(t, st, modemA); j.ID != now.ID {
		t.Errorf("claimed %d, want %d", j.ID, now.ID)
	}
	_, err := st.TryClaim(ctx, modemA)
	var nr *queue.NotReady
	if !errors.As(err, &nr) || !nr.Next.Equal(later) {
		t.Fatalf("TryClaim with only later messages = %v; want not ready until %v", err, later)
	}
}

// TestDueAfterClockSetBack: a message due at its creation is left out of
// messages_due; if the clock is then set back before that time, the
// claimer must still be told when it falls due, in the process that
// queued it and in a later one.
func TestDueAfterClockSetBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	clk := newClock()
	opt := queue.Options{Now: clk.Now, Logger: quiet}
	st, err := Open(path, opt, Options{NoHousekeeper: true, Sync: SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	created := clk.Now()
	mustEnqueue(t, st, queue.NewMessage{To: []string{"+4915100000001", "+4915100000002"}})
	clk.Advance(-10 * time.Minute)
	ctx := context.Background()
	check := func(when string) {
		t.Helper()
		_, err := st.TryClaim(ctx, modemA)
		var nr *queue.NotReady
		if !errors.As(err, &nr) || !nr.Next.Equal(created) {
			t.Fatalf("%s: TryClaim = %v; want not ready until %v", when, err, created)
		}
		if next, err := st.NextDue(ctx, modemA); err != nil || !next.Equal(created) {
			t.Fatalf("%s: NextDue = %v, %v; want %v", when, next, err, created)
		}
	}
	check("same process")
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// A new handle on the file in a new hub: the mark comes from the
	// database.
	st = mustOpen(t, path, opt, Options{NoHousekeeper: true, Sync: SyncNormal})
	check("after reopening")
	clk.Advance(10 * time.Minute)
	if j := mustClaim(t, st, modemA); j == nil {
		t.Fatal("nothing claimed once the clock is back")
	}
}

// TestQueryPlans: every query on messages that an index serves uses it,
// with no sort of its own: the plans the indexes are there for (schema 24
// changed messages_due; the others are kept as they are; since schema 26
// messages_recipient ends in the rowid alone, which the plan names for id).
func TestQueryPlans(t *testing.T) {
	st, _ := testStore(t, queue.Options{})
	route := routeCond([]string{"x"})
	cases := []struct{ q, want string }{
		{`SELECT id FROM messages INDEXED BY messages_ready WHERE state = 'queued' AND next_at <= ?1 AND ` + route + `
			AND (parts_total = 0 OR (modem = ?2 AND node = ?4) OR updated_at <= ?3) ORDER BY priority DESC, id LIMIT 1`, "messages_ready"},
		{`SELECT next_at FROM messages INDEXED BY messages_due
			WHERE state = 'queued' AND next_at > created_at AND next_at > ?1 AND ?3 = ?3 AND ?4 = ?4 AND ` + route + ` ORDER BY next_at LIMIT 1`, "messages_due (next_at>?)"},
		{`SELECT min(next_at) FROM messages INDEXED BY messages_ready
			WHERE state = 'queued' AND next_at > ?1 AND next_at <= created_at AND ?3 = ?3 AND ?4 = ?4 AND ` + route, "messages_ready"},
		{`SELECT id FROM messages INDEXED BY messages_expiry WHERE state = 'queued' AND expires_at > 0 AND expires_at <= ?`, "messages_expiry"},
		{`SELECT min(updated_at) FROM messages INDEXED BY messages_resume
			WHERE state = 'queued' AND parts_total > 0 AND (modem != ? OR node != ?) AND updated_at > ?`, "messages_resume"},
		{`SELECT * FROM messages WHERE recipient = ? AND id < ? ORDER BY id DESC LIMIT 51`, "messages_recipient (recipient=? AND rowid<?)"},
		{`SELECT * FROM messages WHERE state IN ('queued') ORDER BY id DESC LIMIT 51`, "messages_state (state=?)"},
		{`SELECT created_at FROM messages WHERE state = 'queued' ORDER BY id LIMIT 1`, "messages_state (state=?)"},
		{`SELECT created_at, id FROM messages WHERE recipient = ? AND (created_at, 0, id) < (?, ?, ?) ORDER BY created_at DESC, id DESC LIMIT 5`, "messages_thread"},
		{`SELECT ` + convCols + ` FROM conversations c ORDER BY last_at DESC, number DESC LIMIT 51`, "conversations_recent"},
		{`SELECT id FROM messages INDEXED BY messages_campaign WHERE campaign = ? AND campaign != '' AND state = 'queued'`, "messages_campaign"},
	}
	for _, c := range cases {
		// The parameters are NULL: the plan does not depend on them.
		n := strings.Count(c.q, "?")
		if m := regexp.MustCompile(`\?(\d+)`).FindAllStringSubmatch(c.q, -1); m != nil {
			n = 0
			for _, x := range m {
				k, _ := strconv.Atoi(x[1])
				n = max(n, k)
			}
		}
		rows, err := st.rdb.Query("EXPLAIN QUERY PLAN "+c.q, make([]any, n)...)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		t.Logf("%.50s...: %s", strings.Join(strings.Fields(c.q), " "), p)
		if !strings.Contains(p, "USING") || !strings.Contains(p, c.want) || strings.Contains(p, "TEMP B-TREE") || strings.HasPrefix(p, "SCAN messages;") {
			t.Errorf("plan of %.60q...: %s; want %s without a sort", c.q, p, c.want)
		}
	}
}
