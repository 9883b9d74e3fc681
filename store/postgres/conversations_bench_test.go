package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"smsgw/queue"
	"smsgw/store/postgres/pgtest"
	"smsgw/store/storetest"
)

// BenchmarkConversations: the conversation list and one thread with
// 200,000 received and 200,000 queued messages exchanged with 20,000
// numbers (SMSGW_BIG=1: 1,000,000 each with 100,000 numbers), as the
// SQLite driver's benchmark of the same name. Each side is written by one
// INSERT ... SELECT, so the statement-level triggers build every thread
// in one pass.
func BenchmarkConversations(b *testing.B) {
	n, numbers := 200000, 20000
	if os.Getenv("SMSGW_BIG") == "1" {
		n, numbers = 1000000, 100000
	}
	dsn := pgtest.DSN(b, "bench_conversations")
	st := gateway(b, dsn, "gw-a", storetest.NewClock())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	const text = "Your parcel is on its way and arrives tomorrow between 9 and 12."
	if _, err := conn.Exec(ctx, `INSERT INTO inbox (modem, sender, text, parts_total, parts_have, scts, received_at)
		SELECT 'm' || (i % 4), '+4915' || lpad((i % $2)::text, 9, '0'), $3, 1, 1, 2000 * i, 2000 * i
		FROM generate_series(1, $1) i`, n, numbers, text); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO messages (recipient, text, state, next_at, created_at, updated_at)
		SELECT '+4915' || lpad((i % $2)::text, 9, '0'), $3, 'sent', 0, 2000 * i + 1000, 2000 * i + 1000
		FROM generate_series(1, $1) i`, n, numbers, text); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	first, err := st.Conversations(ctx, queue.ConversationFilter{Limit: 50})
	if err != nil || len(first.Conversations) != 50 || first.Conversations[0].Unread != n/numbers {
		b.Fatalf("first page %+v, %v", first.Conversations[:min(1, len(first.Conversations))], err)
	}
	deep := first
	for i := 0; i < numbers/50/2; i++ { // the middle of the list
		if deep, err = st.Conversations(ctx, queue.ConversationFilter{Limit: 50, Cursor: deep.Next}); err != nil {
			b.Fatal(err)
		}
	}
	number := first.Conversations[0].Number
	b.Run(fmt.Sprintf("list-first-page/%d", 2*n), func(b *testing.B) {
		for range b.N {
			if _, err := st.Conversations(ctx, queue.ConversationFilter{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("list-middle-page/%d", 2*n), func(b *testing.B) {
		for range b.N {
			if _, err := st.Conversations(ctx, queue.ConversationFilter{Limit: 50, Cursor: deep.Next}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("thread/%d", 2*n), func(b *testing.B) {
		for range b.N {
			pg, err := st.Thread(ctx, number, queue.ConversationFilter{Limit: 50})
			if err != nil || len(pg.Entries) != min(50, 2*n/numbers) {
				b.Fatalf("thread %d entries, %v", len(pg.Entries), err)
			}
		}
	})
	b.Run(fmt.Sprintf("mark-read/%d", 2*n), func(b *testing.B) {
		for range b.N {
			if err := st.MarkRead(ctx, number); err != nil {
				b.Fatal(err)
			}
		}
	})
}
