package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

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

func scanRule(sc pgx.Row) (rules.Rule, error) {
	var (
		id, pos, created, updated int64
		body                      []byte
	)
	if err := sc.Scan(&id, &pos, &body, &created, &updated); err != nil {
		return rules.Rule{}, err
	}
	var b ruleBody
	if err := json.Unmarshal(body, &b); err != nil {
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

const ruleCols = `id, position, body::text, created_at, updated_at`

// Rules lists the stored rules by position, then id.
func (s *Store) Rules(ctx context.Context) ([]rules.Rule, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+ruleCols+` FROM rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("queue: rules: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rules.Rule, error) { return scanRule(r) })
	if err != nil {
		return nil, fmt.Errorf("queue: rules: %w", mapErr(err))
	}
	if out == nil {
		out = []rules.Rule{}
	}
	return out, nil
}

// Rule returns one stored rule.
func (s *Store) Rule(ctx context.Context, id string) (rules.Rule, error) {
	if err := s.closedErr(); err != nil {
		return rules.Rule{}, err
	}
	n, ok := rowID(id)
	if !ok {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", id, smsgw.ErrNotFound)
	}
	r, err := scanRule(s.pool.QueryRow(ctx, `SELECT `+ruleCols+` FROM rules WHERE id = $1`, n))
	if errors.Is(err, pgx.ErrNoRows) {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", id, smsgw.ErrNotFound)
	}
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", id, mapErr(err))
	}
	return r, nil
}

// AddRule stores a new rule; a zero Position puts it last.
func (s *Store) AddRule(ctx context.Context, r rules.Rule) (rules.Rule, error) {
	body, err := encodeRule(r)
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: add rule: %w", mapErr(err))
	}
	now := s.opt.Now().UnixMilli()
	var id int64
	err = s.write(ctx, func(t *txn) error {
		pos := int64(r.Position)
		if pos <= 0 {
			// Two gateways appending at once would both read the same
			// last position; the lock makes "last" mean last.
			if _, err := t.exec(`LOCK TABLE rules IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
			if err := t.queryRow(`SELECT coalesce(max(position), 0) + 1 FROM rules`).Scan(&pos); err != nil {
				return err
			}
		}
		return t.queryRow(`INSERT INTO rules (position, body, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
			pos, body, now).Scan(&id)
	})
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: add rule: %w", mapErr(err))
	}
	return s.Rule(ctx, strconv.FormatInt(id, 10))
}

// PutRule replaces a stored rule; a zero Position keeps its place.
func (s *Store) PutRule(ctx context.Context, r rules.Rule) (rules.Rule, error) {
	if err := s.closedErr(); err != nil {
		return rules.Rule{}, err
	}
	n, ok := rowID(r.ID)
	if !ok {
		return rules.Rule{}, fmt.Errorf("queue: rule %q: %w", r.ID, smsgw.ErrNotFound)
	}
	body, err := encodeRule(r)
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: put rule: %w", mapErr(err))
	}
	tag, err := s.pool.Exec(ctx, `UPDATE rules SET body = $1, updated_at = $2,
		position = CASE WHEN $3::bigint > 0 THEN $3::bigint ELSE position END WHERE id = $4`,
		body, s.opt.Now().UnixMilli(), r.Position, n)
	if err != nil {
		return rules.Rule{}, fmt.Errorf("queue: put rule %q: %w", r.ID, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return rules.Rule{}, fmt.Errorf("queue: put rule %q: %w", r.ID, smsgw.ErrNotFound)
	}
	return s.Rule(ctx, r.ID)
}

// DeleteRule removes one stored rule.
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	n, ok := rowID(id)
	if !ok {
		return fmt.Errorf("queue: rule %q: %w", id, smsgw.ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM rules WHERE id = $1`, n)
	if err != nil {
		return fmt.Errorf("queue: delete rule %q: %w", id, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("queue: delete rule %q: %w", id, smsgw.ErrNotFound)
	}
	return nil
}

// TagSender adds a tag to a number.
func (s *Store) TagSender(ctx context.Context, number, tag string) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	if number == "" || tag == "" {
		return fmt.Errorf("queue: tag sender: %w", invalid("tag", "number and tag must not be empty"))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sender_tags (number, tag, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		number, tag, s.opt.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("queue: tag sender: %w", mapErr(err))
	}
	return nil
}

// SenderTags lists a number's tags in the order they were added.
func (s *Store) SenderTags(ctx context.Context, number string) ([]string, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT tag FROM sender_tags WHERE number = $1 ORDER BY added_at, tag COLLATE "C"`, number)
	if err != nil {
		return nil, fmt.Errorf("queue: sender tags: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("queue: sender tags: %w", mapErr(err))
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// AutoReplies counts auto-replies queued to number since t.
func (s *Store) AutoReplies(ctx context.Context, number string, since time.Time) (int, error) {
	if err := s.closedErr(); err != nil {
		return 0, err
	}
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE recipient = $1 AND created_at >= $2 AND auto_reply`,
		number, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("queue: auto-replies: %w", mapErr(err))
	}
	return n, nil
}

// SentAutoReply reports whether an auto-reply with this text was queued
// since t, to the number to (any number when to is empty).
func (s *Store) SentAutoReply(ctx context.Context, text, to string, since time.Time) (bool, error) {
	if err := s.closedErr(); err != nil {
		return false, err
	}
	// Two statements rather than "$3 = '' OR recipient = $3", which
	// would keep the planner from the recipient's index.
	q := `SELECT EXISTS (SELECT 1 FROM messages WHERE auto_reply AND created_at >= $1 AND text = $2)`
	args := []any{since.UnixMilli(), text}
	if to != "" {
		q = `SELECT EXISTS (SELECT 1 FROM messages WHERE auto_reply AND recipient = $3 AND created_at >= $1 AND text = $2)`
		args = append(args, to)
	}
	var yes bool
	err := s.pool.QueryRow(ctx, q, args...).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("queue: auto-reply check: %w", mapErr(err))
	}
	return yes, nil
}

// firedKeep is how long RecordFired remembers that a rule fired on a
// message: longer than a message can wait for its pass of the chain.
const firedKeep = 30 * 24 * time.Hour

// RecordFired appends a rule.fired event to the outbox, once per message
// and rule, whichever gateway's chain passes the message again.
func (s *Store) RecordFired(ctx context.Context, f rules.FiredEvent) error {
	now := s.opt.Now()
	if f.At.IsZero() {
		f.At = now.UTC().Truncate(time.Millisecond)
	}
	err := s.write(ctx, func(t *txn) error {
		if f.InboxID > 0 {
			tag, err := t.exec(`INSERT INTO rule_fired (inbox_id, rule_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				f.InboxID, f.RuleID, now.UnixMilli())
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return nil
			}
			if _, err := t.exec(`DELETE FROM rule_fired WHERE at < $1`, now.Add(-firedKeep).UnixMilli()); err != nil {
				return err
			}
		}
		return t.appendEvent(queue.EventType(rules.OutboxEvent), f.InboxID, f)
	})
	if err != nil {
		return fmt.Errorf("queue: record fired rule: %w", mapErr(err))
	}
	return nil
}
