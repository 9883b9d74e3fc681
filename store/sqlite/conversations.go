package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/internal/stored"
)

var _ queue.Conversations = (*Store)(nil)

// convCols reads the last message's text from that message (schema 25).
const convCols = `number, last_at, last_dir, last_id,
	coalesce(CASE last_dir WHEN 'in' THEN (SELECT text FROM inbox WHERE id = c.last_id)
		ELSE (SELECT text FROM messages WHERE id = c.last_id) END, ''), reply_modem, unread,
	coalesce((SELECT group_concat(tag, ',') FROM sender_tags t WHERE t.number = c.number), ''),
	EXISTS (SELECT 1 FROM consent_numbers n WHERE n.number = c.number AND n.action = 'opt_out')`

func scanConversation(sc scanner) (queue.Conversation, error) {
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

// Conversations lists threads, the most recent first.
func (s *Store) Conversations(ctx context.Context, f queue.ConversationFilter) (queue.ConversationPage, error) {
	limit := clampLimit(f.Limit)
	q := `SELECT ` + convCols + ` FROM conversations c`
	var args []any
	if f.Cursor != "" {
		ms, num, err := stored.ParsePairCursor(f.Cursor)
		if err != nil {
			return queue.ConversationPage{}, err
		}
		q += ` WHERE (last_at, number) < (?, ?)`
		args = append(args, ms, num)
	}
	q += ` ORDER BY last_at DESC, number DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return queue.ConversationPage{}, fmt.Errorf("queue: conversations: %w", err)
	}
	defer rows.Close()
	pg := queue.ConversationPage{Conversations: []queue.Conversation{}}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return queue.ConversationPage{}, fmt.Errorf("queue: conversations: %w", err)
		}
		pg.Conversations = append(pg.Conversations, c)
	}
	if err := rows.Err(); err != nil {
		return queue.ConversationPage{}, fmt.Errorf("queue: conversations: %w", err)
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
	c, err := scanConversation(s.rdb.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations c WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("queue: conversation %s: %w", number, smsgw.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("queue: conversation: %w", err)
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
	limit := clampLimit(f.Limit)
	// (at, kind, id) descending, kind 1 for received: each side reads its
	// own index from the cursor down, at most limit+1 rows.
	inWhere, outWhere := "", ""
	args := []any{number}
	var cur []any
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
		inWhere = ` AND (received_at, 1, id) < (?, ?, ?)`
		outWhere = ` AND (created_at, 0, id) < (?, ?, ?)`
		cur = []any{ms, kind, id}
	}
	args = append(args, cur...)
	args = append(args, limit+1, number)
	args = append(args, cur...)
	args = append(args, limit+1, limit+1)
	q := `SELECT * FROM (
		SELECT * FROM (SELECT received_at AS at, 1 AS kind, id, text, modem, '' AS state FROM inbox
			WHERE sender = ?` + inWhere + ` ORDER BY received_at DESC, id DESC LIMIT ?)
		UNION ALL
		SELECT * FROM (SELECT created_at AS at, 0 AS kind, id, text, modem, state FROM messages
			WHERE recipient = ?` + outWhere + ` ORDER BY created_at DESC, id DESC LIMIT ?))
		ORDER BY at DESC, kind DESC, id DESC LIMIT ?`
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return queue.ThreadPage{}, fmt.Errorf("queue: thread: %w", err)
	}
	defer rows.Close()
	var es []queue.ThreadEntry
	for rows.Next() {
		var (
			e     queue.ThreadEntry
			at    int64
			kind  int
			state string
		)
		if err := rows.Scan(&at, &kind, &e.ID, &e.Text, &e.Modem, &state); err != nil {
			return queue.ThreadPage{}, fmt.Errorf("queue: thread: %w", err)
		}
		e.At, e.State, e.Direction = msTime(at), smsgw.State(state), queue.DirectionOut
		if kind == 1 {
			e.Direction = queue.DirectionIn
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return queue.ThreadPage{}, fmt.Errorf("queue: thread: %w", err)
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
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`UPDATE conversations SET unread = 0,
			read_upto = coalesce((SELECT max(id) FROM inbox WHERE sender = ?), 0) WHERE number = ?`, number, number)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return smsgw.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: mark %s read: %w", number, err)
	}
	return nil
}
