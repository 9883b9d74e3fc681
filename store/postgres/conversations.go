package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/internal/stored"
)

var _ queue.Conversations = (*Store)(nil)

// Conversations are kept by the triggers of the schema (see
// migrations), in the transaction of every received, queued, deleted or
// purged message, whichever gateway commits it.

const convCols = `c.number, c.last_at, c.last_dir, c.last_id, c.last_text, c.reply_modem, c.unread,
	coalesce((SELECT string_agg(t.tag, ',' ORDER BY t.added_at, t.tag COLLATE "C") FROM sender_tags t WHERE t.number = c.number), ''),
	EXISTS (SELECT 1 FROM consent_numbers n WHERE n.number = c.number AND n.action = 'opt_out')`

func scanConversation(sc pgx.Row) (queue.Conversation, error) {
	var (
		c      queue.Conversation
		at     int64
		tags   string
		unread int64
	)
	if err := sc.Scan(&c.Number, &at, &c.LastDirection, &c.LastID, &c.LastText, &c.ReplyModem, &unread, &tags, &c.OptedOut); err != nil {
		return c, err
	}
	c.LastAt, c.Unread = msTime(at), int(unread)
	if tags != "" {
		c.Tags = strings.Split(tags, ",")
	}
	return c, nil
}

// pageLimit is a page's size: 50 unless asked, at most 1000.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// Conversations lists threads, the most recent first.
func (s *Store) Conversations(ctx context.Context, f queue.ConversationFilter) (queue.ConversationPage, error) {
	if err := s.closedErr(); err != nil {
		return queue.ConversationPage{}, err
	}
	limit := pageLimit(f.Limit)
	q := `SELECT ` + convCols + ` FROM conversations c`
	var args []any
	if f.Cursor != "" {
		ms, num, err := stored.ParsePairCursor(f.Cursor)
		if err != nil {
			return queue.ConversationPage{}, err
		}
		q += ` WHERE (c.last_at, c.number COLLATE "C") < ($1, $2)`
		args = append(args, ms, num)
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(` ORDER BY c.last_at DESC, c.number COLLATE "C" DESC LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return queue.ConversationPage{}, fmt.Errorf("queue: conversations: %w", mapErr(err))
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.Conversation, error) { return scanConversation(r) })
	if err != nil {
		return queue.ConversationPage{}, fmt.Errorf("queue: conversations: %w", mapErr(err))
	}
	pg := queue.ConversationPage{Conversations: cs}
	if pg.Conversations == nil {
		pg.Conversations = []queue.Conversation{}
	}
	if len(pg.Conversations) > limit {
		pg.Conversations = pg.Conversations[:limit]
		last := pg.Conversations[limit-1]
		pg.Next = stored.PairCursor(last.LastAt.UnixMilli(), last.Number)
	}
	return pg, nil
}

// Conversation returns one thread's summary.
func (s *Store) Conversation(ctx context.Context, number string) (queue.Conversation, error) {
	if err := s.closedErr(); err != nil {
		return queue.Conversation{}, err
	}
	c, err := scanConversation(s.pool.QueryRow(ctx, `SELECT `+convCols+` FROM conversations c WHERE c.number = $1`, number))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("queue: conversation %s: %w", number, smsgw.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("queue: conversation: %w", mapErr(err))
	}
	return c, nil
}

// threadKey orders a thread's entries: time, then received before queued
// at the same millisecond, then id; the cursor is the last key of a page.
func threadKey(e queue.ThreadEntry) string {
	d := "0"
	if e.Direction == queue.DirectionIn {
		d = "1"
	}
	return d + "." + strconv.FormatInt(e.ID, 10)
}

// Thread pages through one number's messages, newest page first, each
// page oldest first.
func (s *Store) Thread(ctx context.Context, number string, f queue.ConversationFilter) (queue.ThreadPage, error) {
	if _, err := s.Conversation(ctx, number); err != nil {
		return queue.ThreadPage{}, err
	}
	limit := pageLimit(f.Limit)
	// (at, kind, id) descending, kind 1 for received: each side reads its
	// own index from the cursor down, at most limit+1 rows.
	inWhere, outWhere := "", ""
	args := []any{number, limit + 1}
	if f.Cursor != "" {
		ms, rest, err := stored.ParsePairCursor(f.Cursor)
		if err != nil {
			return queue.ThreadPage{}, err
		}
		ks, is, ok := strings.Cut(rest, ".")
		kind, err1 := strconv.Atoi(ks)
		id, err2 := strconv.ParseInt(is, 10, 64)
		if !ok || err1 != nil || err2 != nil || kind < 0 || kind > 1 {
			return queue.ThreadPage{}, invalid("cursor", "not a cursor from a previous page")
		}
		inWhere = ` AND (received_at, 1, id) < ($3, $4::int, $5)`
		outWhere = ` AND (created_at, 0, id) < ($3, $4::int, $5)`
		args = append(args, ms, kind, id)
	}
	q := `SELECT at, kind, id, text, modem, state FROM (
		(SELECT received_at AS at, 1 AS kind, id, text, modem, '' AS state FROM inbox
			WHERE sender = $1` + inWhere + ` ORDER BY received_at DESC, id DESC LIMIT $2)
		UNION ALL
		(SELECT created_at AS at, 0 AS kind, id, text, modem, state FROM messages
			WHERE recipient = $1` + outWhere + ` ORDER BY created_at DESC, id DESC LIMIT $2)) t
		ORDER BY at DESC, kind DESC, id DESC LIMIT $2`
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return queue.ThreadPage{}, fmt.Errorf("queue: thread: %w", mapErr(err))
	}
	es, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queue.ThreadEntry, error) {
		var (
			e     queue.ThreadEntry
			at    int64
			kind  int
			state string
		)
		if err := r.Scan(&at, &kind, &e.ID, &e.Text, &e.Modem, &state); err != nil {
			return e, err
		}
		e.At, e.State, e.Direction = msTime(at), smsgw.State(state), queue.DirectionOut
		if kind == 1 {
			e.Direction = queue.DirectionIn
		}
		return e, nil
	})
	if err != nil {
		return queue.ThreadPage{}, fmt.Errorf("queue: thread: %w", mapErr(err))
	}
	pg := queue.ThreadPage{}
	if len(es) > limit {
		es = es[:limit]
		last := es[limit-1]
		pg.Next = stored.PairCursor(last.At.UnixMilli(), threadKey(last))
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	pg.Entries = es
	if pg.Entries == nil {
		pg.Entries = []queue.ThreadEntry{}
	}
	return pg, nil
}

// MarkRead marks everything received from number so far as read.
func (s *Store) MarkRead(ctx context.Context, number string) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE conversations SET unread = 0,
		read_upto = coalesce((SELECT max(id) FROM inbox WHERE sender = $1), 0) WHERE number = $1`, number)
	if err != nil {
		return fmt.Errorf("queue: mark %s read: %w", number, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("queue: mark %s read: %w", number, smsgw.ErrNotFound)
	}
	return nil
}
