package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"smsgw/queue"

	"smsgw"
)

// Claim hands the next message this modem may send to its worker, waiting
// until there is one or ctx ends (queue.Claim over this store). Order:
// highest priority first, then oldest; only messages that are due
// (send-after, backoff), unexpired, routed to this modem (or to one of its
// tags, or unrouted), and only while the modem is within its rate limits.
//
// The claim commits the message as sending with a new attempt. Under the
// at-least-once policy that commit is not forced to disk (a claim lost in
// a power cut only puts the message back in the queue, which is what
// recovery does anyway); the first MarkPartSent is.
func (s *Store) Claim(ctx context.Context, co queue.ClaimOptions) (*queue.Job, error) {
	return queue.Claim(ctx, s, co)
}

// TryClaim is Claim without waiting: a *queue.NotReady (ErrNoMessage)
// saying when to try again when nothing is ready.
func (s *Store) TryClaim(ctx context.Context, co queue.ClaimOptions) (*queue.Job, error) {
	job, next, err := s.tryClaim(ctx, co)
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
	_, next, err := s.tryClaimMode(ctx, co, false)
	return next, err
}

func (s *Store) tryClaim(ctx context.Context, co queue.ClaimOptions) (*queue.Job, time.Time, error) {
	return s.tryClaimMode(ctx, co, true)
}

func (s *Store) tryClaimMode(ctx context.Context, co queue.ClaimOptions, claim bool) (*queue.Job, time.Time, error) {
	if co.Modem == "" {
		return nil, time.Time{}, invalid("modem", "a claim needs the modem id")
	}
	if s.ctx.Err() != nil {
		return nil, time.Time{}, queue.ErrClosed
	}
	tags, err := queue.NormalizeTags(co.Tags)
	if err != nil {
		return nil, time.Time{}, err
	}
	pick, due, err := s.claimStmts(tags)
	if err != nil {
		return nil, time.Time{}, err
	}
	var job *queue.Job
	var next int64
	durable := s.opt.Recovery == queue.AtMostOnce
	err = s.write(ctx, durable && claim, func(w *wtx) error {
		job, next = nil, 0
		if err := w.expireDue(); err != nil {
			return err
		}
		if until, err := w.limited(co); err != nil || until > 0 {
			next = until
			return err
		}
		cutoff := w.now - s.opt.ResumeAffinity.Milliseconds()
		args := claimArgs(w.now, co.Modem, cutoff, s.opt.Node, tags)
		// A message consent refuses now is cancelled at its claim; the
		// next one is picked in the same transaction.
		for {
			var id int64
			err := w.tx.StmtContext(w.ctx, pick).QueryRowContext(w.ctx, args...).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				var n, held sql.NullInt64
				err = w.tx.StmtContext(w.ctx, due).QueryRowContext(w.ctx, args...).Scan(&n)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				if at, err := w.dueAtCreation(tags, args); err != nil {
					return err
				} else if at > 0 && (!n.Valid || at < n.Int64) {
					n = sql.NullInt64{Int64: at, Valid: true}
				}
				// A partly-sent message kept for its modem frees up later.
				if err := w.queryRow(`SELECT min(updated_at) FROM messages INDEXED BY messages_resume
					WHERE state = 'queued' AND parts_total > 0 AND (modem != ? OR node != ?) AND updated_at > ?`,
					co.Modem, s.opt.Node, cutoff).Scan(&held); err != nil {
					return err
				}
				next = n.Int64
				if held.Valid && (next == 0 || held.Int64+s.opt.ResumeAffinity.Milliseconds() < next) {
					next = held.Int64 + s.opt.ResumeAffinity.Milliseconds() + 1
				}
				return nil
			}
			if err != nil {
				return fmt.Errorf("pick: %w", err)
			}
			if !claim {
				next = w.now
				return nil
			}
			job, err = w.claim(id, co.Modem)
			if err != nil || job != nil {
				return err
			}
		}
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue: claim for %s: %w", co.Modem, err)
	}
	return job, msTime(next), nil
}

// claimStmts returns the prepared pick and next-due statements for a tag
// set, preparing them on the writer connection the first time.
func (s *Store) claimStmts(tags []string) (pick, due *sql.Stmt, err error) {
	key := strings.Join(tags, ",")
	s.stmtMu.Lock()
	pick, due = s.stmts["pick:"+key], s.stmts["due:"+key]
	s.stmtMu.Unlock()
	if pick != nil && due != nil {
		return pick, due, nil
	}
	// Prepared without holding stmtMu: preparing waits for the writer
	// connection, and the committer needs stmtMu to finish its batch.
	route := routeCond(tags)
	// ?3: partly-sent messages of another modem (?2 of node ?4) wait
	// until that time.
	pick, err = s.wdb.Prepare(`SELECT id FROM messages INDEXED BY messages_ready
		WHERE state = 'queued' AND next_at <= ?1 AND ` + route + `
		AND (parts_total = 0 OR (modem = ?2 AND node = ?4) OR updated_at <= ?3) ORDER BY priority DESC, id LIMIT 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("queue: prepare claim: %w", err)
	}
	// "?3 = ?3 AND ?4 = ?4" keeps the parameter list the same as pick's.
	// messages_due holds only the messages due later than their creation
	// (schema 24); dueAtCreation covers the others.
	due, err = s.wdb.Prepare(`SELECT next_at FROM messages INDEXED BY messages_due
		WHERE state = 'queued' AND next_at > created_at AND next_at > ?1 AND ?3 = ?3 AND ?4 = ?4 AND ` + route + ` ORDER BY next_at LIMIT 1`)
	if err != nil {
		pick.Close()
		return nil, nil, fmt.Errorf("queue: prepare claim: %w", err)
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if p, d := s.stmts["pick:"+key], s.stmts["due:"+key]; p != nil && d != nil {
		pick.Close()
		due.Close()
		return p, d, nil
	}
	s.stmts["pick:"+key], s.stmts["due:"+key] = pick, due
	return pick, due, nil
}

// routeCond is the routing condition of the claim statements: a message
// routed to no modem, to the modem ?2, or to one of the tags ?5, ?6...
func routeCond(tags []string) string {
	route := "(route_modem = '' OR route_modem = ?2) AND (route_tags = ''"
	for i := range tags {
		route += fmt.Sprintf(" OR instr(route_tags, ?%d) > 0", i+5)
	}
	return route + ")"
}

// dueAtCreation returns the earliest due time after now of the queued
// messages routable by args that messages_due leaves out, those due at
// (or before) their creation; 0 if there is none. Such a message is due
// in the future only while the clock stands behind its creation time
// (the clock was set back), so the query, a walk of the queued messages,
// runs only while the clock is behind the hub's creation mark.
func (w *wtx) dueAtCreation(tags []string, args []any) (int64, error) {
	h := w.s.hub
	if !h.createdKnown.Load() {
		// The mark bounds what was queued before this process: the
		// latest due time of a queued message and the creation time of
		// the newest one.
		var due, created sql.NullInt64
		if err := w.queryRow(`SELECT max(next_at) FROM messages INDEXED BY messages_ready WHERE state = 'queued'`).Scan(&due); err != nil {
			return 0, fmt.Errorf("creation mark: %w", err)
		}
		err := w.queryRow(`SELECT created_at FROM messages ORDER BY id DESC LIMIT 1`).Scan(&created)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("creation mark: %w", err)
		}
		h.noteCreated(max(due.Int64, created.Int64))
		h.createdKnown.Store(true)
	}
	if w.now >= h.created.Load() {
		return 0, nil
	}
	var at sql.NullInt64
	err := w.queryRow(`SELECT min(next_at) FROM messages INDEXED BY messages_ready
		WHERE state = 'queued' AND next_at > ?1 AND next_at <= created_at AND ?3 = ?3 AND ?4 = ?4 AND `+routeCond(tags), args...).Scan(&at)
	if err != nil {
		return 0, fmt.Errorf("due at creation: %w", err)
	}
	return at.Int64, nil
}

func claimArgs(now int64, modem string, cutoff int64, node string, tags []string) []any {
	args := []any{now, modem, cutoff, node}
	for _, t := range tags {
		args = append(args, ","+t+",")
	}
	return args
}

// limited returns when the modem's rate limits allow the next attempt, or
// 0 when they allow one now.
func (w *wtx) limited(co queue.ClaimOptions) (int64, error) {
	var until int64
	for _, l := range co.Limits {
		if l.N <= 0 || l.Per <= 0 {
			continue
		}
		per := l.Per.Milliseconds()
		var started int64
		err := w.queryRow(`SELECT started_at FROM attempts WHERE node = ? AND modem = ? AND started_at > ?
			ORDER BY started_at DESC LIMIT 1 OFFSET ?`, w.s.opt.Node, co.Modem, w.now-per, l.N-1).Scan(&started)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("rate limit: %w", err)
		}
		until = max(until, started+per+1)
	}
	return until, nil
}

// claim marks message id as sending through modem and opens an attempt.
func (w *wtx) claim(id int64, modem string) (*queue.Job, error) {
	m, err := scanMessage(w.queryRow(`SELECT `+msgCols+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("load %d: %w", id, err)
	}
	// Read before the consent check: the writer is serialised, so every
	// opt-out counted here is one the check sees.
	mark := w.s.hub.optOuts.Load()
	if refused, err := w.refusedAtClaim(m); err != nil || refused {
		return nil, err
	}
	job := &queue.Job{ConsentMark: mark}
	if m.PartsTotal > 0 {
		var node string
		if err := w.queryRow(`SELECT node FROM messages WHERE id = ?`, id).Scan(&node); err != nil {
			return nil, fmt.Errorf("load %d: %w", id, err)
		}
		if m.Modem == modem && node == w.s.opt.Node && m.PartsTotal > 1 && m.ConcatRef >= 0 {
			r := &queue.Resume{Ref: m.ConcatRef, Total: m.PartsTotal}
			rows, err := w.query(`SELECT seq FROM parts WHERE message_id = ? ORDER BY seq`, id)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var seq int
				if err := rows.Scan(&seq); err != nil {
					rows.Close()
					return nil, err
				}
				r.Sent = append(r.Sent, seq)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			job.Resume = r
		} else {
			// Another modem, or the same name on another node, or no
			// usable reference: resend whole.
			if _, err := w.exec(`DELETE FROM parts WHERE message_id = ?`, id); err != nil {
				return nil, err
			}
			if _, err := w.exec(`UPDATE messages SET parts_total = 0, concat_ref = -1 WHERE id = ?`, id); err != nil {
				return nil, err
			}
			m.PartsTotal, m.ConcatRef = 0, -1
		}
	}
	res, err := w.exec(`INSERT INTO attempts (message_id, modem, started_at, node, lease_until) VALUES (?, ?, ?, ?, ?)`,
		id, modem, w.now, w.s.opt.Node, w.now+w.s.opt.Lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("open attempt: %w", err)
	}
	job.AttemptID, _ = res.LastInsertId()
	if _, err := w.exec(`UPDATE messages SET state = 'sending', reason = '', attempts = attempts + 1,
		modem = ?, node = ?, updated_at = ? WHERE id = ?`, modem, w.s.opt.Node, w.now, id); err != nil {
		return nil, fmt.Errorf("mark sending: %w", err)
	}
	m.State, m.Reason, m.Attempts, m.Modem = smsgw.StateSending, "", m.Attempts+1, modem
	m.NextAttempt, m.UpdatedAt = time.Time{}, msTime(w.now)
	job.Message = m
	// The modem sends it next: not before its acceptance is on disk.
	w.syncFirst()
	return job, nil
}

// expireDue moves queued messages past their expiry to expired.
func (w *wtx) expireDue() error {
	ids, err := w.queryIDs(`SELECT id FROM messages INDEXED BY messages_expiry
		WHERE state = 'queued' AND expires_at > 0 AND expires_at <= ?`, w.now)
	if err != nil {
		return fmt.Errorf("find expired: %w", err)
	}
	for _, id := range ids {
		if _, err := w.exec(`UPDATE messages SET state = 'expired', reason = ?, error = 'expired before it could be sent',
			updated_at = ? WHERE id = ?`, queue.ReasonExpired, w.now, id); err != nil {
			return fmt.Errorf("expire %d: %w", id, err)
		}
		if err := w.messageEvent(queue.EventExpired, id); err != nil {
			return err
		}
		if err := w.reopenWindowed(id); err != nil {
			return err
		}
	}
	return nil
}

// openAttempt returns the message of an attempt still in progress.
func (w *wtx) openAttempt(attemptID int64) (msgID int64, modem string, err error) {
	var outcome, state string
	err = w.queryRow(`SELECT a.message_id, a.modem, a.outcome, m.state FROM attempts a
		JOIN messages m ON m.id = a.message_id WHERE a.id = ?`, attemptID).Scan(&msgID, &modem, &outcome, &state)
	if errors.Is(err, sql.ErrNoRows) {
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

func (w *wtx) recordPart(msgID int64, attemptID int64, modem string, p queue.PartResult) error {
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
	if err := w.queryRow(`SELECT parts_total, concat_ref FROM messages WHERE id = ?`, msgID).Scan(&total, &oldRef); err != nil {
		return err
	}
	if total != 0 && (total != p.Total || oldRef != ref) {
		// A different segmentation or reference: the old parts belong to
		// a message the phone will never complete.
		if _, err := w.exec(`DELETE FROM parts WHERE message_id = ?`, msgID); err != nil {
			return err
		}
	}
	// The part belongs to its attempt's node, whose modem will hear the
	// status report.
	if _, err := w.exec(`INSERT INTO parts (message_id, seq, attempt_id, node, modem, mr, sent_at)
		VALUES (?, ?, ?, (SELECT node FROM attempts WHERE id = ?), ?, ?, ?)
		ON CONFLICT (message_id, seq) DO UPDATE SET attempt_id = excluded.attempt_id, node = excluded.node,
		modem = excluded.modem, mr = excluded.mr, sent_at = excluded.sent_at, status = 'sent', status_code = -1, status_at = 0`,
		msgID, p.Seq, attemptID, attemptID, modem, p.MR&0xFF, w.now); err != nil {
		return fmt.Errorf("record part %d: %w", p.Seq, err)
	}
	_, err := w.exec(`UPDATE messages SET parts_total = ?, concat_ref = ?, updated_at = ? WHERE id = ?`, p.Total, ref, w.now, msgID)
	return err
}

// MarkPartSent records that one part went out (its +CMGS message
// reference), durably, before the worker sends the next part: after a crash
// the queue knows which parts the phone already has.
func (s *Store) MarkPartSent(ctx context.Context, attemptID int64, p queue.PartResult) error {
	err := s.write(ctx, true, func(w *wtx) error {
		msgID, modem, err := w.openAttempt(attemptID)
		if err != nil {
			return err
		}
		return w.recordPart(msgID, attemptID, modem, p)
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
	err := s.write(ctx, true, func(w *wtx) error {
		msgID, modem, err := w.openAttempt(attemptID)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if err := w.recordPart(msgID, attemptID, modem, p); err != nil {
				return err
			}
		}
		var total, have int
		if err := w.queryRow(`SELECT parts_total, (SELECT count(*) FROM parts WHERE message_id = ?1)
			FROM messages WHERE id = ?1`, msgID).Scan(&total, &have); err != nil {
			return err
		}
		if have < total {
			return fmt.Errorf("%w: %d of %d parts recorded", queue.ErrBadState, have, total)
		}
		if _, err := w.exec(`UPDATE attempts SET outcome = 'sent', ended_at = ? WHERE id = ?`, w.now, attemptID); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE messages SET state = 'sent', reason = '', error = '', error_class = '', error_code = 0,
			updated_at = ? WHERE id = ?`, w.now, msgID); err != nil {
			return err
		}
		if err := w.messageEvent(queue.EventSent, msgID); err != nil {
			return err
		}
		// Reports can overtake the final bookkeeping of a multipart send.
		if err := w.settleReports(msgID); err != nil {
			return err
		}
		m, err = getMessage(w.ctx, w.tx, msgID)
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
	err := s.write(ctx, true, func(w *wtx) error {
		msgID, _, err := w.openAttempt(attemptID)
		if err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE attempts SET outcome = ?, error = ?, code = ?, ended_at = ? WHERE id = ?`,
			string(f.Class), f.Err, f.Code, w.now, attemptID); err != nil {
			return err
		}
		var failures, faults int
		if err := w.queryRow(`SELECT failures, faults FROM messages WHERE id = ?`, msgID).Scan(&failures, &faults); err != nil {
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
			next = w.now
		default:
			failures++
			final = failures >= s.opt.Retry.MaxAttempts
			next = w.now + s.opt.Retry.Schedule().Delay(failures, jitter).Milliseconds()
		}
		state, reason := smsgw.StateQueued, queue.ReasonRetry
		if final {
			state, reason = smsgw.StateFailed, f.Err
		}
		if _, err := w.exec(`UPDATE messages SET state = ?, reason = ?, failures = ?, faults = ?, next_at = ?,
			error = ?, error_class = ?, error_code = ?, updated_at = ? WHERE id = ?`,
			string(state), reason, failures, faults, next, f.Err, string(f.Class), f.Code, w.now, msgID); err != nil {
			return err
		}
		if final {
			if err := w.messageEvent(queue.EventFailed, msgID); err != nil {
				return err
			}
		} else {
			w.wakeReady = true
		}
		m, err = getMessage(w.ctx, w.tx, msgID)
		return err
	})
	if err != nil {
		return queue.Message{}, fmt.Errorf("queue: mark failed: %w", err)
	}
	return m, nil
}

// MarkUncertain ends an attempt whose outcome is unknown (the last part
// was on the wire when the modem stopped answering) as uncertain, with a
// message.uncertain event: nobody knows whether the phone got it, so it is
// not resent on its own (see Requeue). For the at-most-once policy; under
// at-least-once, report a Temporary failure instead and it is resent.
func (s *Store) MarkUncertain(ctx context.Context, attemptID int64, errText string) (queue.Message, error) {
	var m queue.Message
	err := s.write(ctx, true, func(w *wtx) error {
		msgID, _, err := w.openAttempt(attemptID)
		if err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE attempts SET outcome = 'uncertain', error = ?, ended_at = ? WHERE id = ?`,
			errText, w.now, attemptID); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE messages SET state = 'uncertain', reason = ?, error = ?, error_class = '', error_code = 0,
			updated_at = ? WHERE id = ?`, errText, errText, w.now, msgID); err != nil {
			return err
		}
		if err := w.messageEvent(queue.EventUncertain, msgID); err != nil {
			return err
		}
		m, err = getMessage(w.ctx, w.tx, msgID)
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
	err := s.write(ctx, false, func(w *wtx) error {
		msgID, _, err := w.openAttempt(attemptID)
		if err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE attempts SET outcome = 'released', ended_at = ? WHERE id = ?`, w.now, attemptID); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE messages SET state = 'queued', reason = ?, next_at = ?, updated_at = ? WHERE id = ?`,
			queue.ReasonReleased, w.now, w.now, msgID); err != nil {
			return err
		}
		w.wakeReady = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: release: %w", err)
	}
	return nil
}

// recover applies the recovery policy to messages a crash left sending.
func (s *Store) recover() error {
	var n int
	err := s.write(context.Background(), true, func(w *wtx) error {
		// This node's own attempts (and those written before attempts had
		// an owner) died with its previous process; another node's are
		// taken back only once their lease has run out.
		ids, err := w.queryIDs(`SELECT id FROM messages m WHERE state = 'sending' AND NOT EXISTS (
			SELECT 1 FROM attempts a WHERE a.message_id = m.id AND a.outcome = ''
			AND a.node NOT IN ('', ?) AND a.lease_until > ?)`, s.opt.Node, w.now)
		if err != nil {
			return err
		}
		n = len(ids)
		if err := s.recoverIDs(w, ids, "the daemon stopped during this attempt"); err != nil {
			return err
		}
		// This node's delivery leases died with its previous process;
		// another node's run until they expire.
		if _, err = w.exec(`UPDATE deliveries SET next_at = ?, leased = 0 WHERE leased = 1 AND node IN ('', ?)`,
			w.now, s.opt.Node); err != nil {
			return err
		}
		return w.adoptUnowned()
	})
	if err != nil {
		return fmt.Errorf("queue: recover interrupted messages: %w", err)
	}
	if n > 0 {
		s.opt.Logger.Warn("queue: messages were being sent when the daemon stopped", "count", n, "policy", string(s.opt.Recovery))
	}
	return nil
}

// adoptUnowned gives this node the modem-keyed rows written before modem
// ids were keyed by node (they all came from the one gateway the database
// had then). Each statement walks an index led by the node (or the small
// one of partly-sent messages), so once the rows are adopted it finds
// nothing at once.
func (w *wtx) adoptUnowned() error {
	for _, q := range []string{
		`UPDATE attempts SET node = ?1 WHERE node = ''`,
		`UPDATE parts SET node = ?1 WHERE node = ''`,
		`UPDATE inbound_parts SET node = ?1 WHERE node = '' AND inbox_id IS NULL`,
		`UPDATE inbound_slots SET node = ?1 WHERE node = ''`,
		`UPDATE messages INDEXED BY messages_resume SET node = ?1 WHERE node = '' AND state = 'queued' AND parts_total > 0`,
	} {
		if _, err := w.exec(q, w.s.opt.Node); err != nil {
			return fmt.Errorf("adopt rows without a node: %w", err)
		}
	}
	return nil
}

// recoverIDs closes the open attempts of the sending messages ids and
// applies the recovery policy to them.
func (s *Store) recoverIDs(w *wtx, ids []int64, why string) error {
	for _, id := range ids {
		if _, err := w.exec(`UPDATE attempts SET outcome = 'interrupted', error = ?,
			ended_at = ? WHERE message_id = ? AND outcome = ''`, why, w.now, id); err != nil {
			return err
		}
		if s.opt.Recovery == queue.AtMostOnce {
			if err := w.setState(id, smsgw.StateUncertain, queue.ReasonInterrupted); err != nil {
				return err
			}
			if err := w.messageEvent(queue.EventUncertain, id); err != nil {
				return err
			}
		} else {
			if _, err := w.exec(`UPDATE messages SET state = 'queued', reason = ?, next_at = ?, updated_at = ? WHERE id = ?`,
				queue.ReasonRecovered, w.now, w.now, id); err != nil {
				return err
			}
			w.wakeReady = true
		}
	}
	return nil
}

// RenewLeases extends the lease of every open attempt and every event
// delivery in progress this node owns. A delivery keeps at least the rest
// of its EventLease.
func (s *Store) RenewLeases(ctx context.Context) error {
	err := s.write(ctx, false, func(w *wtx) error {
		until := w.now + s.opt.Lease.Milliseconds()
		if _, err := w.exec(`UPDATE attempts SET lease_until = ? WHERE node = ? AND outcome = ''`,
			until, s.opt.Node); err != nil {
			return err
		}
		_, err := w.exec(`UPDATE deliveries SET next_at = max(next_at, ?) WHERE leased = 1 AND node = ?`,
			until, s.opt.Node)
		return err
	})
	if err != nil {
		return fmt.Errorf("queue: renew leases: %w", err)
	}
	return nil
}

// RecoverExpired applies the recovery policy to messages whose open attempt
// belongs to another node whose lease has run out.
func (s *Store) RecoverExpired(ctx context.Context) (int, error) {
	var n int
	err := s.write(ctx, true, func(w *wtx) error {
		ids, err := w.queryIDs(`SELECT DISTINCT a.message_id FROM attempts a JOIN messages m ON m.id = a.message_id
			WHERE a.outcome = '' AND a.node NOT IN ('', ?) AND a.lease_until <= ? AND m.state = 'sending'`, s.opt.Node, w.now)
		if err != nil {
			return err
		}
		n = len(ids)
		return s.recoverIDs(w, ids, "the gateway sending it stopped renewing its lease")
	})
	if err != nil {
		return 0, fmt.Errorf("queue: recover expired leases: %w", err)
	}
	if n > 0 {
		s.opt.Logger.Warn("queue: took back messages another gateway was sending", "count", n, "policy", string(s.opt.Recovery))
	}
	return n, nil
}
