package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/queue"
)

// Claim hands the next message this modem may send to its worker, waiting
// until there is one or ctx ends (queue.Claim over this store).
func (s *Store) Claim(ctx context.Context, co queue.ClaimOptions) (*queue.Job, error) {
	return queue.Claim(ctx, s, co)
}

// TryClaim takes the next message ready for the modem, or returns a
// *queue.NotReady (ErrNoMessage) saying when to try again. Order: highest
// priority first, then oldest; only messages that are due (send-after,
// backoff), unexpired, routed to this modem (or to one of its tags, or
// unrouted), and only while the modem is within its rate limits. The
// message is locked with FOR UPDATE SKIP LOCKED: gateways claiming at the
// same time each take a different message and never wait for each other.
func (s *Store) TryClaim(ctx context.Context, co queue.ClaimOptions) (*queue.Job, error) {
	job, next, err := s.tryClaim(ctx, co, true)
	if err == nil && job == nil {
		nr := &queue.NotReady{Next: next}
		if !next.IsZero() {
			nr.Wait = next.Sub(s.opt.Now())
		}
		return nil, nr
	}
	return job, err
}

// NextDue returns when the next message for this modem falls due (or the
// rate limit frees up), zero if nothing is waiting for it.
func (s *Store) NextDue(ctx context.Context, co queue.ClaimOptions) (time.Time, error) {
	_, next, err := s.tryClaim(ctx, co, false)
	return next, err
}

// claimRoute is the routing condition of a claim: $2 the modem, $5 its
// tags (text[]).
const claimRoute = `(route_modem = '' OR route_modem = $2) AND (cardinality(route_tags) = 0 OR route_tags && $5::text[])`

// claimReady selects the messages the modem may take now: $1 now, $3 the
// time before which a partly-sent message of another modem (or of the
// same name on another node, $4 this node) waits for it.
const claimReady = `state = 'queued' AND next_at <= $1 AND ` + claimRoute + `
	AND (parts_total = 0 OR (modem = $2 AND node = $4) OR updated_at <= $3)
	AND (expires_at = 0 OR expires_at > $1)`

// pickSQL takes the message (the whole row: one round trip) and locks it.
const pickSQL = `SELECT ` + msgCols + `, node FROM messages WHERE ` + claimReady + `
	ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED`

// readySQL only asks whether one is ready (NextDue).
const readySQL = `SELECT id FROM messages WHERE ` + claimReady + ` LIMIT 1`

// dueSQL says when the modem should look again: the next message due
// later, the next partly-sent message freed from its modem, and whether a
// ready message exists that another transaction holds (its claim may yet
// roll back).
const dueSQL = `SELECT
	(SELECT min(next_at) FROM messages WHERE state = 'queued' AND next_at > $1 AND ` + claimRoute + `),
	(SELECT min(updated_at) FROM messages WHERE state = 'queued' AND parts_total > 0
		AND (modem <> $2 OR node <> $4) AND updated_at > $3),
	EXISTS (SELECT 1 FROM messages WHERE ` + claimReady + `)`

// heldRecheck is how soon a claimer looks again at a ready message another
// transaction holds, should that transaction roll back (a commit that
// hands it back notifies anyway).
const heldRecheck = time.Second

func (s *Store) tryClaim(ctx context.Context, co queue.ClaimOptions, claim bool) (*queue.Job, time.Time, error) {
	if co.Modem == "" {
		return nil, time.Time{}, invalid("modem", "a claim needs the modem id")
	}
	if err := s.closedErr(); err != nil {
		return nil, time.Time{}, err
	}
	tags, err := queue.NormalizeTags(co.Tags)
	if err != nil {
		return nil, time.Time{}, err
	}
	if tags == nil {
		tags = []string{}
	}
	var job *queue.Job
	var next int64
	err = s.write(ctx, func(t *txn) error {
		job, next = nil, 0
		if claim {
			if err := t.expireDue(); err != nil {
				return err
			}
		}
		defer func() {
			// Nothing taken, nothing expired: no other gateway needs
			// to hear of this transaction.
			if job == nil && len(t.events) == 0 {
				t.quiet = true
			}
		}()
		if until, err := t.limited(co); err != nil || until > 0 {
			next = until
			return err
		}
		cutoff := t.now - s.opt.ResumeAffinity.Milliseconds()
		args := []any{t.now, co.Modem, cutoff, s.opt.Node, tags}
		if !claim {
			var id int64
			err := t.queryRow(readySQL, args...).Scan(&id)
			if errNoRows(err) {
				next, err = s.due(t, args)
				return err
			}
			next = t.now
			return err
		}
		for {
			var node string
			m, err := scanMessage(scanWithNode{t.queryRow(pickSQL, args...), &node})
			if errNoRows(err) {
				next, err = s.due(t, args)
				return err
			}
			if err != nil {
				return fmt.Errorf("pick: %w", err)
			}
			// A message consent refuses now is cancelled at its claim;
			// the next one is picked in the same transaction.
			if job, err = s.claim(t, m, node, co.Modem); err != nil || job != nil {
				return err
			}
		}
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue: claim for %s: %w", co.Modem, err)
	}
	return job, msTime(next), nil
}

// due computes when a claimer that found nothing should look again.
func (s *Store) due(t *txn, args []any) (int64, error) {
	var later, held *int64
	var locked bool
	if err := t.queryRow(dueSQL, args...).Scan(&later, &held, &locked); err != nil {
		return 0, fmt.Errorf("next due: %w", err)
	}
	var next int64
	if later != nil {
		next = *later
	}
	if held != nil {
		if free := *held + s.opt.ResumeAffinity.Milliseconds() + 1; next == 0 || free < next {
			next = free
		}
	}
	if locked {
		if again := t.now + heldRecheck.Milliseconds(); next == 0 || again < next {
			next = again
		}
	}
	return next, nil
}

// limited returns when the modem's rate limits allow the next attempt, or
// 0 when they allow one now.
func (t *txn) limited(co queue.ClaimOptions) (int64, error) {
	var until int64
	for _, l := range co.Limits {
		if l.N <= 0 || l.Per <= 0 {
			continue
		}
		per := l.Per.Milliseconds()
		var started int64
		err := t.queryRow(`SELECT started_at FROM attempts WHERE node = $1 AND modem = $2 AND started_at > $3
			ORDER BY started_at DESC LIMIT 1 OFFSET $4`, t.s.opt.Node, co.Modem, t.now-per, l.N-1).Scan(&started)
		if errNoRows(err) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("rate limit: %w", err)
		}
		until = max(until, started+per+1)
	}
	return until, nil
}

// claim marks the locked message m (of node, its partly-sent parts' node)
// as sending through modem and opens an attempt; nil when consent refused
// it (it is then cancelled).
func (s *Store) claim(t *txn, m queue.Message, node, modem string) (*queue.Job, error) {
	id := m.ID
	mark, reason, err := s.refuseAtClaim(t.ctx, t.tx, m.To, m.Category, m.AutoReply)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		return nil, s.cancelQueued(t, id, reason)
	}
	job := &queue.Job{ConsentMark: mark}
	if m.PartsTotal > 0 {
		if m.Modem == modem && node == s.opt.Node && m.PartsTotal > 1 && m.ConcatRef >= 0 {
			r := &queue.Resume{Ref: m.ConcatRef, Total: m.PartsTotal}
			rows, err := t.query(`SELECT seq FROM parts WHERE message_id = $1 ORDER BY seq`, id)
			if err != nil {
				return nil, err
			}
			if r.Sent, err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
				return nil, err
			}
			job.Resume = r
		} else {
			// Another modem, or the same name on another node, or no
			// usable reference: resend whole.
			if _, err := t.exec(`DELETE FROM parts WHERE message_id = $1`, id); err != nil {
				return nil, err
			}
			if _, err := t.exec(`UPDATE messages SET parts_total = 0, concat_ref = -1 WHERE id = $1`, id); err != nil {
				return nil, err
			}
			m.PartsTotal, m.ConcatRef = 0, -1
		}
	}
	// The attempt and the message's new state in one statement.
	if err := t.queryRow(`WITH a AS (INSERT INTO attempts (message_id, modem, started_at, node, lease_until)
			VALUES ($1, $2, $4, $3, $5) RETURNING id)
		UPDATE messages SET state = 'sending', reason = '', attempts = attempts + 1,
			modem = $2, node = $3, updated_at = $4 WHERE id = $1 RETURNING (SELECT id FROM a)`,
		id, modem, s.opt.Node, t.now, t.now+s.opt.Lease.Milliseconds()).Scan(&job.AttemptID); err != nil {
		return nil, fmt.Errorf("open attempt: %w", err)
	}
	m.State, m.Reason, m.Attempts, m.Modem = smsgw.StateSending, "", m.Attempts+1, modem
	m.NextAttempt, m.UpdatedAt = time.Time{}, msTime(t.now)
	job.Message = m
	return job, nil
}

// scanWithNode scans msgCols followed by the node column.
type scanWithNode struct {
	row  pgx.Row
	node *string
}

func (s scanWithNode) Scan(dest ...any) error { return s.row.Scan(append(dest, s.node)...) }

// expireDue moves queued messages past their expiry to expired. Rows other
// transactions hold are left for the next sweep.
func (t *txn) expireDue() error {
	ids, err := t.queryIDs(`UPDATE messages SET state = 'expired', reason = $2,
		error = 'expired before it could be sent', updated_at = $1
		WHERE id IN (SELECT id FROM messages WHERE state = 'queued' AND expires_at > 0 AND expires_at <= $1
			ORDER BY id FOR UPDATE SKIP LOCKED)
		RETURNING id`, t.now, queue.ReasonExpired)
	if err != nil {
		return fmt.Errorf("expire: %w", err)
	}
	for _, id := range ids {
		if err := t.messageEvent(queue.EventExpired, id); err != nil {
			return err
		}
	}
	return t.reopenWindowed(ids)
}

// openAttempt returns the message of an attempt still in progress, its
// row locked for the rest of the transaction.
func (t *txn) openAttempt(attemptID int64) (msgID int64, modem string, err error) {
	var outcome, state string
	err = t.queryRow(`SELECT a.message_id, a.modem, a.outcome, m.state FROM attempts a
		JOIN messages m ON m.id = a.message_id WHERE a.id = $1 FOR UPDATE OF m`, attemptID).Scan(&msgID, &modem, &outcome, &state)
	if errNoRows(err) {
		return 0, "", fmt.Errorf("attempt %d: %w", attemptID, smsgw.ErrNotFound)
	}
	if err != nil {
		return 0, "", err
	}
	if outcome != "" || smsgw.State(state) != smsgw.StateSending {
		return 0, "", fmt.Errorf("attempt %d (outcome %q, message %s): %w", attemptID, outcome, state, queue.ErrNotClaimed)
	}
	return msgID, modem, nil
}

func (t *txn) recordPart(msgID int64, attemptID int64, modem string, p queue.PartResult) error {
	if p.Total < 1 || p.Total > 255 {
		return invalid("total", "%d parts, want 1..255", p.Total)
	}
	if p.Seq < 1 || p.Seq > p.Total {
		return invalid("seq", "part %d of %d", p.Seq, p.Total)
	}
	if p.MR < 0 {
		return invalid("mr", "%d is negative", p.MR)
	}
	ref := -1
	if p.Total > 1 {
		if p.Ref < 0 || p.Ref > 0xFFFF {
			return invalid("ref", "%d is outside 0..65535", p.Ref)
		}
		ref = p.Ref
	}
	var total, oldRef int
	if err := t.queryRow(`SELECT parts_total, concat_ref FROM messages WHERE id = $1`, msgID).Scan(&total, &oldRef); err != nil {
		return err
	}
	if total != 0 && (total != p.Total || oldRef != ref) {
		// A different segmentation or reference: the old parts belong to
		// a message the phone will never complete.
		if _, err := t.exec(`DELETE FROM parts WHERE message_id = $1`, msgID); err != nil {
			return err
		}
	}
	// The part belongs to its attempt's node, whose modem will hear the
	// status report.
	if _, err := t.exec(`INSERT INTO parts (message_id, seq, attempt_id, node, modem, mr, sent_at)
		VALUES ($1, $2, $3, (SELECT node FROM attempts WHERE id = $3), $4, $5, $6)
		ON CONFLICT (message_id, seq) DO UPDATE SET attempt_id = excluded.attempt_id, node = excluded.node,
		modem = excluded.modem, mr = excluded.mr, sent_at = excluded.sent_at, status = 'sent', status_code = -1, status_at = 0`,
		msgID, p.Seq, attemptID, modem, p.MR&0xFF, t.now); err != nil {
		return fmt.Errorf("record part %d: %w", p.Seq, err)
	}
	_, err := t.exec(`UPDATE messages SET parts_total = $2, concat_ref = $3, updated_at = $4 WHERE id = $1`, msgID, p.Total, ref, t.now)
	return err
}

// MarkPartSent records that one part went out (its +CMGS message
// reference), durably, before the worker sends the next part: after a crash
// the queue knows which parts the phone already has.
func (s *Store) MarkPartSent(ctx context.Context, attemptID int64, p queue.PartResult) error {
	err := s.write(ctx, func(t *txn) error {
		msgID, modem, err := t.openAttempt(attemptID)
		if err != nil {
			return err
		}
		return t.recordPart(msgID, attemptID, modem, p)
	})
	if err != nil {
		return fmt.Errorf("queue: mark part sent: %w", err)
	}
	return nil
}

// MarkSent ends an attempt successfully: the message is sent (and waits
// for status reports if it asked for them). Parts not yet recorded may be
// passed here; every part of the segmentation must be recorded by now.
func (s *Store) MarkSent(ctx context.Context, attemptID int64, parts ...queue.PartResult) (queue.Message, error) {
	var m queue.Message
	err := s.write(ctx, func(t *txn) error {
		msgID, modem, err := t.openAttempt(attemptID)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if err := t.recordPart(msgID, attemptID, modem, p); err != nil {
				return err
			}
		}
		var total, have int
		if err := t.queryRow(`SELECT parts_total, (SELECT count(*) FROM parts WHERE message_id = $1)
			FROM messages WHERE id = $1`, msgID).Scan(&total, &have); err != nil {
			return err
		}
		if have < total {
			return fmt.Errorf("%w: %d of %d parts recorded", queue.ErrBadState, have, total)
		}
		if _, err := t.exec(`UPDATE attempts SET outcome = 'sent', ended_at = $2 WHERE id = $1`, attemptID, t.now); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE messages SET state = 'sent', reason = '', error = '', error_class = '', error_code = 0,
			updated_at = $2 WHERE id = $1`, msgID, t.now); err != nil {
			return err
		}
		if err := t.messageEvent(queue.EventSent, msgID); err != nil {
			return err
		}
		// Reports can overtake the final bookkeeping of a multipart send.
		if _, err := t.settleReports(msgID); err != nil {
			return err
		}
		m, err = getMessage(t.ctx, t.tx, msgID)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: mark sent: %w", err)
	}
	return m, nil
}

// MarkFailed ends an attempt with an error and applies the retry policy:
// permanent errors fail the message at once; temporary ones put it back
// with exponential backoff and jitter until the attempts are used up;
// modem faults put it back at once. It returns the message as it now is.
func (s *Store) MarkFailed(ctx context.Context, attemptID int64, f queue.Failure) (queue.Message, error) {
	switch f.Class {
	case "":
		f.Class = queue.Temporary
	case queue.Temporary, queue.Permanent, queue.ModemFault:
	default:
		return queue.Message{}, invalid("class", "%q is not temporary, permanent or modem-fault", f.Class)
	}
	jitter := rand.Float64()
	var m queue.Message
	err := s.write(ctx, func(t *txn) error {
		msgID, _, err := t.openAttempt(attemptID)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE attempts SET outcome = $2, error = $3, code = $4, ended_at = $5 WHERE id = $1`,
			attemptID, string(f.Class), f.Err, f.Code, t.now); err != nil {
			return err
		}
		var failures, faults int
		if err := t.queryRow(`SELECT failures, faults FROM messages WHERE id = $1`, msgID).Scan(&failures, &faults); err != nil {
			return err
		}
		final := false
		var next int64
		switch f.Class {
		case queue.Permanent:
			final = true
		case queue.ModemFault:
			faults++
			final = faults >= s.opt.Retry.MaxModemFaults
			next = t.now
		default:
			failures++
			final = failures >= s.opt.Retry.MaxAttempts
			next = t.now + s.opt.Retry.Schedule().Delay(failures, jitter).Milliseconds()
		}
		state, reason := smsgw.StateQueued, queue.ReasonRetry
		if final {
			state, reason = smsgw.StateFailed, f.Err
		}
		if _, err := t.exec(`UPDATE messages SET state = $2, reason = $3, failures = $4, faults = $5, next_at = $6,
			error = $7, error_class = $8, error_code = $9, updated_at = $10 WHERE id = $1`,
			msgID, string(state), reason, failures, faults, next, f.Err, string(f.Class), f.Code, t.now); err != nil {
			return err
		}
		if final {
			if err := t.messageEvent(queue.EventFailed, msgID); err != nil {
				return err
			}
		} else {
			t.claimable()
		}
		m, err = getMessage(t.ctx, t.tx, msgID)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: mark failed: %w", err)
	}
	return m, nil
}

// MarkUncertain ends an attempt whose outcome is unknown (the last part
// was on the wire when the modem stopped answering) as uncertain, with a
// message.uncertain event: it is not resent on its own (see Requeue).
func (s *Store) MarkUncertain(ctx context.Context, attemptID int64, errText string) (queue.Message, error) {
	var m queue.Message
	err := s.write(ctx, func(t *txn) error {
		msgID, _, err := t.openAttempt(attemptID)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE attempts SET outcome = 'uncertain', error = $2, ended_at = $3 WHERE id = $1`,
			attemptID, errText, t.now); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE messages SET state = 'uncertain', reason = $2, error = $2, error_class = '', error_code = 0,
			updated_at = $3 WHERE id = $1`, msgID, errText, t.now); err != nil {
			return err
		}
		if err := t.messageEvent(queue.EventUncertain, msgID); err != nil {
			return err
		}
		m, err = getMessage(t.ctx, t.tx, msgID)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: mark uncertain: %w", err)
	}
	return m, nil
}

// Release hands a claimed message back untouched (nothing went on the
// wire), for example when the worker shuts down or its modem went away
// before sending. It does not count as a failure.
func (s *Store) Release(ctx context.Context, attemptID int64) error {
	err := s.write(ctx, func(t *txn) error {
		msgID, _, err := t.openAttempt(attemptID)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE attempts SET outcome = 'released', ended_at = $2 WHERE id = $1`, attemptID, t.now); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE messages SET state = 'queued', reason = $2, next_at = $3, updated_at = $3 WHERE id = $1`,
			msgID, queue.ReasonReleased, t.now); err != nil {
			return err
		}
		t.claimable()
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: release: %w", err)
	}
	return nil
}
