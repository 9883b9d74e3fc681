package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"smsgw"
	"smsgw/queue"
	"smsgw/rules"
)

var _ rules.Store = (*Store)(nil)

// ruleBody is what the rules table keeps as JSON beside id and position.
type ruleBody struct {
	Name     string         `json:"name,omitempty"`
	Disabled bool           `json:"disabled,omitempty"`
	Match    rules.Match    `json:"match"`
	Actions  []rules.Action `json:"actions"`
	Then     string         `json:"then"`
}

func scanRule(sc scanner) (rules.Rule, error) {
	var (
		id, pos, created, updated int64
		body                      string
	)
	if err := sc.Scan(&id, &pos, &body, &created, &updated); err != nil {
		return rules.Rule{}, err
	}
	var b ruleBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return rules.Rule{}, fmt.Errorf("rule %d: %w", id, err)
	}
	return rules.Rule{ID: strconv.FormatInt(id, 10), Name: b.Name, Source: rules.SourceAPI, Position: int(pos),
		Disabled: b.Disabled, Match: b.Match, Actions: b.Actions, Then: b.Then,
		Created: msTime(created), Updated: msTime(updated)}, nil
}

func encodeRule(r rules.Rule) (string, error) {
	b, err := json.Marshal(ruleBody{Name: r.Name, Disabled: r.Disabled, Match: r.Match, Actions: r.Actions, Then: r.Then})
	return string(b), err
}

func ruleID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

const ruleCols = `id, position, body, created_at, updated_at`

// Rules lists the stored rules by position, then id.
func (s *Store) Rules(ctx context.Context) ([]rules.Rule, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+ruleCols+` FROM rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("queue: rules: %w", err)
	}
	defer rows.Close()
	out := []rules.Rule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("queue: rules: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: rules: %w", err)
	}
	return out, nil
}

// Rule returns one stored rule.
func (s *Store) Rule(ctx context.Context, id string) (rules.Rule, error) {
	n, ok := ruleID(id)
	if !ok {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", id, smsgw.ErrNotFound)
	}
	r, err := scanRule(s.rdb.QueryRowContext(ctx, `SELECT `+ruleCols+` FROM rules WHERE id = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", id, smsgw.ErrNotFound)
	}
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", id, err)
	}
	return r, nil
}

// AddRule stores a new rule; a zero Position puts it last.
func (s *Store) AddRule(ctx context.Context, r rules.Rule) (rules.Rule, error) {
	body, err := encodeRule(r)
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: add rule: %w", err)
	}
	var id int64
	err = s.write(ctx, true, func(w *wtx) error {
		pos := int64(r.Position)
		if pos <= 0 {
			if err := w.queryRow(`SELECT coalesce(max(position), 0) + 1 FROM rules`).Scan(&pos); err != nil {
				return err
			}
		}
		res, err := w.exec(`INSERT INTO rules (position, body, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			pos, body, w.now, w.now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: add rule: %w", err)
	}
	return s.Rule(ctx, strconv.FormatInt(id, 10))
}

// PutRule replaces a stored rule; a zero Position keeps its place.
func (s *Store) PutRule(ctx context.Context, r rules.Rule) (rules.Rule, error) {
	n, ok := ruleID(r.ID)
	if !ok {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", r.ID, smsgw.ErrNotFound)
	}
	body, err := encodeRule(r)
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: put rule: %w", err)
	}
	err = s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`UPDATE rules SET body = ?, updated_at = ?,
			position = CASE WHEN ? > 0 THEN ? ELSE position END WHERE id = ?`, body, w.now, r.Position, r.Position, n)
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
		return rules.Rule{}, fmt.Errorf("queue: put rule %q: %w", r.ID, err)
	}
	return s.Rule(ctx, r.ID)
}

// DeleteRule removes one stored rule.
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	n, ok := ruleID(id)
	if !ok {
		return fmt.Errorf("queue: rule %q: %w", id, smsgw.ErrNotFound)
	}
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM rules WHERE id = ?`, n)
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
		return fmt.Errorf("queue: delete rule %q: %w", id, err)
	}
	return nil
}

// TagSender adds a tag to a number.
func (s *Store) TagSender(ctx context.Context, number, tag string) error {
	if number == "" || tag == "" {
		return fmt.Errorf("queue: tag sender: %w", invalid("tag", "number and tag must not be empty"))
	}
	err := s.write(ctx, true, func(w *wtx) error {
		_, err := w.exec(`INSERT INTO sender_tags (number, tag, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			number, tag, w.now)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: tag sender: %w", err)
	}
	return nil
}

// SenderTags lists a number's tags in the order they were added.
func (s *Store) SenderTags(ctx context.Context, number string) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT tag FROM sender_tags WHERE number = ? ORDER BY added_at, tag`, number)
	if err != nil {
		return nil, fmt.Errorf("queue: sender tags: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("queue: sender tags: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// autoReplyWhere is the condition of the messages_auto_reply index.
const autoReplyWhere = `auto_reply = 1`

// AutoReplies counts auto-replies queued to number since t.
func (s *Store) AutoReplies(ctx context.Context, number string, since time.Time) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE recipient = ? AND created_at >= ? AND `+autoReplyWhere,
		number, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("queue: auto-replies: %w", err)
	}
	return n, nil
}

// SentAutoReply reports whether an auto-reply with this text was queued
// since t, to the number to (any number when to is empty).
func (s *Store) SentAutoReply(ctx context.Context, text, to string, since time.Time) (bool, error) {
	q := `SELECT 1 FROM messages WHERE created_at >= ? AND text = ? AND ` + autoReplyWhere
	args := []any{since.UnixMilli(), text}
	if to != "" {
		q += ` AND recipient = ?`
		args = append(args, to)
	}
	var one int
	err := s.rdb.QueryRowContext(ctx, q+` LIMIT 1`, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue: auto-reply check: %w", err)
	}
	return true, nil
}

// firedKeep is how long RecordFired remembers that a rule fired on a
// message: longer than a message can wait for its pass of the chain.
const firedKeep = 30 * 24 * time.Hour

// RecordFired appends a rule.fired event to the outbox, once per message
// and rule: a message that passes the chain again reports nothing new.
func (s *Store) RecordFired(ctx context.Context, f rules.FiredEvent) error {
	err := s.write(ctx, true, func(w *wtx) error {
		if f.At.IsZero() {
			f.At = msTime(w.now)
		}
		if f.InboxID > 0 {
			res, err := w.exec(`INSERT INTO rule_fired (inbox_id, rule_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				f.InboxID, f.RuleID, w.now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			if _, err := w.exec(`DELETE FROM rule_fired WHERE at < ?`, w.now-firedKeep.Milliseconds()); err != nil {
				return err
			}
		}
		return w.appendEvent(queue.EventType(rules.OutboxEvent), f.InboxID, f)
	})
	if err != nil {
		return fmt.Errorf("queue: record fired rule: %w", err)
	}
	return nil
}
