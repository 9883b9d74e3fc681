package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"smsgw/queue"
)

// TestConversationsFromSchema8: a database written before conversations
// existed gets one thread per number when it is upgraded, with the latest
// message either way, the modem that last received, and what was there
// counted as read; new messages then count as unread.
func TestConversationsFromSchema8(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v8.db")
	steps, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(append([]string{}, steps[:8]...), "PRAGMA user_version = 8",
		`INSERT INTO inbox (modem, sender, text, parts_total, parts_have, scts, received_at) VALUES ('m1', '+4911', 'first', 1, 1, 0, 1000)`,
		`INSERT INTO inbox (modem, sender, text, parts_total, parts_have, scts, received_at) VALUES ('m2', '+4911', 'second', 1, 1, 0, 2000)`,
		`INSERT INTO messages (recipient, text, state, next_at, created_at, updated_at) VALUES ('+4911', 'answer', 'sent', 0, 3000, 3000)`,
		`INSERT INTO messages (recipient, text, state, next_at, created_at, updated_at) VALUES ('+4922', 'to 22', 'sent', 0, 1500, 1500)`,
		`INSERT INTO inbox (modem, sender, text, parts_total, parts_have, scts, received_at) VALUES ('m1', '+4922', 'from 22', 1, 1, 0, 4000)`,
		`INSERT INTO inbox (modem, sender, text, parts_total, parts_have, scts, received_at, undecodable) VALUES ('m1', '', '', 1, 1, 0, 5000, 1)`,
	) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("schema 8 setup %.60q: %v", q, err)
		}
	}
	db.Close()

	st, _ := testStoreAt(t, path, queue.Options{JoinText: joinPlain})
	ctx := context.Background()
	pg, err := st.Conversations(ctx, queue.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range pg.Conversations {
		got = append(got, fmt.Sprintf("%s %s:%s unread=%d modem=%s", c.Number, c.LastDirection, c.LastText, c.Unread, c.ReplyModem))
	}
	want := []string{"+4922 in:from 22 unread=0 modem=m1", "+4911 out:answer unread=0 modem=m2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("threads after the upgrade:\n%q\nwant\n%q", got, want)
	}
	receive := queue.InboundPart{Modem: "m1", Sender: "+4911", PDU: []byte("1:new")}
	if _, err := st.AddInboundPart(ctx, receive); err != nil {
		t.Fatal(err)
	}
	c, err := st.Conversation(ctx, "+4911")
	if err != nil || c.Unread != 1 || c.LastText != "new" || c.ReplyModem != "m1" {
		t.Fatalf("after a new message: %+v, %v", c, err)
	}
	th, err := st.Thread(ctx, "+4911", queue.ConversationFilter{})
	if err != nil || len(th.Entries) != 4 || th.Entries[0].Text != "first" || th.Entries[2].Text != "answer" {
		t.Fatalf("thread %+v, %v", th.Entries, err)
	}
}
