package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/postgres/pgtest"
	"smsgw/store/storetest"
)

// TestConversationTriggersBulk: the conversation triggers run once per
// statement, so one statement writing or deleting many messages of one
// number (a campaign's batch, a purge) must leave the thread as row by row
// writes would: the newest message last, every received one counted
// unread until read, the reply modem the latest receiver's, a thread with
// nothing left gone. The conformance suite writes one message per
// statement; this writes many.
func TestConversationTriggersBulk(t *testing.T) {
	dsn := pgtest.DSN(t, t.Name())
	st := gateway(t, dsn, "gw-a", storetest.NewClock())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const alice, bob, carol = "+15550100011", "+15550100022", "+15550100033"
	// Several messages to one number in one statement, two at the same
	// millisecond: the later id is the thread's last.
	exec(`INSERT INTO messages (recipient, text, state, created_at, updated_at) VALUES
		($1, 'a1', 'queued', 1000, 1000), ($2, 'b1', 'queued', 1500, 1500), ($1, 'a2', 'queued', 2000, 2000),
		($1, 'a3', 'queued', 2000, 2000), ($3, 'c1', 'queued', 900, 900)`, alice, bob, carol)
	insertIn := func(rows ...string) {
		t.Helper()
		exec(`INSERT INTO inbox (modem, sender, text, parts_total, parts_have, scts, received_at) VALUES ` + strings.Join(rows, ", "))
	}
	insertIn(fmt.Sprintf(`('m1', '%s', 'hi', 1, 1, 0, 1200)`, bob), fmt.Sprintf(`('m2', '%s', 'bob again', 1, 1, 0, 2500)`, bob),
		fmt.Sprintf(`('m1', '%s', 'old news', 1, 1, 0, 1900)`, alice), `('m1', '', 'no sender', 1, 1, 0, 3000)`)

	cv := st // the store's queue.Conversations
	get := func(n string) queue.Conversation {
		t.Helper()
		c, err := cv.Conversation(ctx, n)
		if err != nil {
			t.Fatalf("Conversation(%s): %v", n, err)
		}
		return c
	}
	if c := get(alice); c.LastText != "a3" || c.LastDirection != queue.DirectionOut || c.Unread != 1 || c.ReplyModem != "m1" {
		t.Errorf("alice %+v: want the later of two messages at one millisecond, an older one received unread", c)
	}
	if c := get(bob); c.LastText != "bob again" || c.Unread != 2 || c.ReplyModem != "m2" || c.LastAt.UnixMilli() != 2500 {
		t.Errorf("bob %+v", c)
	}
	pg, err := cv.Conversations(ctx, queue.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range pg.Conversations {
		order = append(order, c.Number)
	}
	if fmt.Sprint(order) != fmt.Sprint([]string{bob, alice, carol}) {
		t.Errorf("order %v", order)
	}

	// Read, then one more arrives; deleting both of bob's received
	// messages in one statement takes only the unread one off the count.
	if err := cv.MarkRead(ctx, bob); err != nil {
		t.Fatal(err)
	}
	insertIn(fmt.Sprintf(`('m3', '%s', 'late', 1, 1, 0, 2600)`, bob))
	if c := get(bob); c.Unread != 1 || c.ReplyModem != "m3" {
		t.Errorf("bob after read and one more: %+v", c)
	}
	exec(`DELETE FROM inbox WHERE sender = $1 AND text IN ('bob again', 'late')`, bob)
	if c := get(bob); c.Unread != 0 || c.LastText != "b1" || c.LastDirection != queue.DirectionOut {
		t.Errorf("bob after deleting his two newest: %+v; want b1 last and nothing unread", c)
	}
	// A purge-like delete across numbers: alice keeps her received
	// message, carol's thread goes.
	exec(`DELETE FROM messages WHERE recipient IN ($1, $2)`, alice, carol)
	if c := get(alice); c.LastText != "old news" || c.LastDirection != queue.DirectionIn {
		t.Errorf("alice after her messages went: %+v", c)
	}
	if _, err := cv.Conversation(ctx, carol); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("carol's empty thread: %v, want ErrNotFound", err)
	}
}
