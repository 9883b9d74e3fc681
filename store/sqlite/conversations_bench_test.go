package sqlite

import (
	"context"
	"fmt"
	"os"
	"testing"

	"smsgw/queue"
)

// BenchmarkConversations: the conversation list and one thread with
// 200,000 received and 200,000 queued messages exchanged with 20,000
// numbers (SMSGW_BIG=1: 1,000,000 each with 100,000 numbers). The rows are
// written by INSERT ... SELECT, not one call at a time, so that building
// them takes seconds; keepInserted then does what the enqueue does for them.
func BenchmarkConversations(b *testing.B) {
	n, numbers := 200000, 20000
	if os.Getenv("SMSGW_BIG") == "1" {
		n, numbers = 1000000, 100000
	}
	st := benchStore(b, SyncNormal, queue.AtLeastOnce)
	ctx := context.Background()
	if _, err := st.wdb.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO inbox (modem, sender, text, parts_total, parts_have, scts, received_at)
		SELECT 'm' || (i % 4), printf('+4915%09d', i % ?), ?, 1, 1, 2000 * i, 2000 * i FROM seq`, n, numbers, benchText); err != nil {
		b.Fatal(err)
	}
	if _, err := st.wdb.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO messages (recipient, text, state, next_at, created_at, updated_at)
		SELECT printf('+4915%09d', i % ?), ?, 'sent', 0, 2000 * i + 1000, 2000 * i + 1000 FROM seq`, n, numbers, benchText); err != nil {
		b.Fatal(err)
	}
	keepInserted(b, st)
	first, err := st.Conversations(ctx, queue.ConversationFilter{Limit: 50})
	if err != nil || len(first.Conversations) != 50 || first.Conversations[0].Unread != n/numbers {
		b.Fatalf("first page %d, %v", len(first.Conversations), err)
	}
	deep := first
	for i := 0; i < numbers/50/2; i++ { // the middle of the list
		if deep, err = st.Conversations(ctx, queue.ConversationFilter{Limit: 50, Cursor: deep.Next}); err != nil {
			b.Fatal(err)
		}
	}
	number := first.Conversations[0].Number
	b.Run(fmt.Sprintf("list-first-page/%d", 2*n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := st.Conversations(ctx, queue.ConversationFilter{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("list-middle-page/%d", 2*n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := st.Conversations(ctx, queue.ConversationFilter{Limit: 50, Cursor: deep.Next}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("thread/%d", 2*n), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			pg, err := st.Thread(ctx, number, queue.ConversationFilter{Limit: 50})
			if err != nil || len(pg.Entries) != min(50, 2*n/numbers) {
				b.Fatalf("thread %d entries, %v", len(pg.Entries), err)
			}
		}
	})
	b.Run(fmt.Sprintf("mark-read/%d", 2*n), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := st.MarkRead(ctx, number); err != nil {
				b.Fatal(err)
			}
		}
	})
}
