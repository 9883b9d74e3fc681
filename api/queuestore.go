package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"smsgw"
	"smsgw/modem/pdu"
	"smsgw/queue"
)

// metaBatch is the metadata key of a named batch (the SMSGate message id);
// the batch's messages are found again through the idempotency key
// batchKeyPrefix+name, which the SMSGate routes always set.
const (
	metaBatch      = "sms-gate.id"
	batchKeyPrefix = "sms-gate:"
)

// maxScan bounds the rows one inbox listing reads when it filters on
// something the queue cannot (an upper time bound).
const maxScan = 5000

// QueueStore adapts the SQLite queue to the API's Store. Message ids are
// the queue's integer ids in decimal. A request without a batch name gets
// "q<first>" or "q<first>-<last>" (the ids of one request are consecutive);
// a named batch is kept in the message metadata and found by its
// idempotency key.
type QueueStore struct {
	q queue.Storage
}

// NewQueueStore returns the Store the API uses over q.
func NewQueueStore(q queue.Storage) *QueueStore { return &QueueStore{q: q} }

var _ Store = (*QueueStore)(nil)

// queueErr maps the queue's sentinels to the API's, keeping the message.
func queueErr(err error) error {
	var ve *queue.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return errorf(http.StatusBadRequest, CodeInvalidField, ve.Field, "%s", ve.Reason)
	case errors.Is(err, smsgw.ErrNotFound):
		return fmt.Errorf("%w (%v)", smsgw.ErrNotFound, err)
	case errors.Is(err, smsgw.ErrIdempotencyMismatch):
		return fmt.Errorf("%w (%v)", smsgw.ErrIdempotencyMismatch, err)
	case errors.Is(err, queue.ErrNotCancellable), errors.Is(err, queue.ErrBadState):
		return fmt.Errorf("%w: %s", smsgw.ErrConflict, strings.TrimPrefix(err.Error(), "queue: "))
	case errors.Is(err, queue.ErrClosed):
		return fmt.Errorf("%w (%v)", smsgw.ErrUnavailable, err)
	}
	return err
}

func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

// Submit enqueues one request. The messages of a request share everything
// but the recipient (the handler builds them so).
func (s *QueueStore) Submit(ctx context.Context, req SubmitRequest) (SubmitResult, error) {
	if len(req.Messages) == 0 {
		return SubmitResult{}, errorf(http.StatusBadRequest, CodeMissingField, "to", "no recipients")
	}
	f := &req.Messages[0]
	to := make([]string, len(req.Messages))
	for i := range req.Messages {
		to[i] = req.Messages[i].To
	}
	res, err := s.enqueue(ctx, f, to, req.IdempotencyKey, req.Fingerprint, req.Batch)
	if err != nil {
		return SubmitResult{}, err
	}
	return submitResult(res, req.Batch, f.Parts, f.Coding), nil
}

// submitQueue is Submit for a request given as what its recipients share
// and their numbers, answering with the queue's own messages: the v1 send
// writes its 202 from them without building the API's view of each.
func (s *QueueStore) submitQueue(ctx context.Context, f NewMessage, to []string, key string, fp smsgw.Fingerprint) (queue.Enqueued, error) {
	if len(to) == 0 {
		return queue.Enqueued{}, errorf(http.StatusBadRequest, CodeMissingField, "to", "no recipients")
	}
	return s.enqueue(ctx, &f, to, key, fp, "")
}

// enqueue puts one request in the queue: f is what its messages share,
// to their recipients.
func (s *QueueStore) enqueue(ctx context.Context, f *NewMessage, to []string, key string, fp smsgw.Fingerprint, batch string) (queue.Enqueued, error) {
	var meta map[string]string
	if len(f.Metadata) > 0 || batch != "" {
		meta = make(map[string]string, len(f.Metadata)+1)
		for k, v := range f.Metadata {
			meta[k] = v
		}
		if batch != "" {
			meta[metaBatch] = batch // groups the batch in listings
		}
	}
	nm := queue.NewMessage{
		Text: f.Text, Coding: f.Coding, Priority: f.Priority, SendAfter: f.SendAt, ExpiresAt: f.ExpiresAt,
		Modem: f.Modem, Tags: f.Tags, Report: f.DeliveryReport, Flash: f.Flash, Metadata: meta, Binary: f.Binary,
		IdempotencyKey: key, Category: f.Category, AutoReply: f.AutoReply,
	}
	// The API's fingerprint is of the request as sent; the queue's own
	// would include values derived from the clock.
	nm.Fingerprint = fp
	nm.To = to
	res, err := s.q.Enqueue(ctx, nm)
	if err != nil {
		return queue.Enqueued{}, queueErr(err)
	}
	return res, nil
}

// submitResult is the API's view of what a request enqueued; parts and
// coding are what the request's text was found to need.
func submitResult(res queue.Enqueued, batch string, parts int, coding string) SubmitResult {
	out := SubmitResult{Replayed: res.Replayed, Messages: make([]Message, len(res.Messages))}
	for i := range res.Messages {
		fillFromQueue(&out.Messages[i], &res.Messages[i], parts, coding)
	}
	out.Batch = batch
	if out.Batch == "" && len(res.Messages) > 0 {
		out.Batch = rangeBatch(res.Messages[0].ID, res.Messages[len(res.Messages)-1].ID)
		for i := range out.Messages {
			out.Messages[i].Batch = out.Batch
		}
	}
	return out
}

// shownReason is the reason a message's view gives: only a message held
// back or cancelled has one to show.
func shownReason(m *queue.Message) string {
	if m.State == smsgw.StateSuppressed || m.State == smsgw.StateCancelled {
		return m.Reason
	}
	return ""
}

// shownParts is the part count and coding a message's view gives; parts
// and coding, when known, spare the segmentation of the text.
func shownParts(m *queue.Message, parts int, coding string) (int, string) {
	var n int
	var c string
	// The queue stores the coding asked for; show the one the text gets.
	if parts > 0 && m.Coding == coding {
		n, c = parts, coding
	} else if parts, coding, err := segmentMessage(m.Text, m.Coding, m.Binary); err == nil {
		n, c = parts, coding
	}
	if m.PartsTotal > 0 {
		n = m.PartsTotal
	}
	return n, c
}

// rangeBatch names the consecutive ids first..last.
func rangeBatch(first, last int64) string {
	if first == last {
		return "q" + strconv.FormatInt(first, 10)
	}
	return "q" + strconv.FormatInt(first, 10) + "-" + strconv.FormatInt(last, 10)
}

// reservedBatchName reports whether name has the shape of the store's own
// names, a message id ("42") or an id range ("q5", "q5-7"): a caller-named
// batch must not, or one name could mean two things.
func reservedBatchName(name string) bool {
	if _, ok := parseID(name); ok {
		return true
	}
	_, _, ok := parseRangeBatch(name)
	return ok || (strings.HasPrefix(name, "q") && len(name) > 1 && strings.Trim(name[1:], "0123456789-") == "")
}

func parseRangeBatch(b string) (first, last int64, ok bool) {
	rest, found := strings.CutPrefix(b, "q")
	if !found {
		return 0, 0, false
	}
	a, z, isRange := strings.Cut(rest, "-")
	first, ok1 := parseID(a)
	last = first
	if isRange {
		var ok2 bool
		last, ok2 = parseID(z)
		if !ok2 {
			return 0, 0, false
		}
	}
	return first, last, ok1 && last >= first && last-first < 1000
}

func fromQueue(m queue.Message) Message { return fromQueueCounted(m, 0, "") }

// fromQueueCounted converts m; parts and coding, when known, spare the
// segmentation of the text.
func fromQueueCounted(m queue.Message, parts int, coding string) Message {
	var out Message
	fillFromQueue(&out, &m, parts, coding)
	return out
}

// fillFromQueue is fromQueueCounted writing into *out, which must be zero:
// a batch's answer is filled in place rather than copied message by
// message.
func fillFromQueue(out *Message, m *queue.Message, parts int, coding string) {
	// Field by field: a composite literal would be built aside and copied
	// in whole, with a write barrier over every pointer of it.
	out.ID, out.To, out.Text, out.State, out.Coding = strconv.FormatInt(m.ID, 10), m.To, m.Text, m.State, m.Coding
	out.Priority, out.Modem, out.Tags, out.DeliveryReport = m.Priority, m.RouteModem, m.RouteTags, m.Report
	out.CreatedAt, out.UpdatedAt, out.SentBy, out.ErrorCode, out.Error = m.CreatedAt, m.UpdatedAt, m.Modem, m.ErrorCode, m.Error
	out.Flash, out.Category, out.AutoReply, out.Class, out.PID = m.Flash, m.Category, m.AutoReply, m.Class, m.PID
	out.Campaign = m.Campaign
	if out.Category == "" {
		out.Category = smsgw.CategoryTransactional
	}
	if m.IsData() {
		out.Data = base64.StdEncoding.EncodeToString(m.Data)
	}
	if len(m.UDH) > 0 {
		out.UDH = strings.ToUpper(hex.EncodeToString(m.UDH))
	}
	if m.Ports != nil {
		dst, src := m.Ports.Dst, m.Ports.Src
		out.Port, out.SourcePort = &dst, &src
	}
	out.Reason = shownReason(m)
	if !m.SendAfter.IsZero() {
		t := m.SendAfter
		out.SendAt = &t
	}
	if !m.ExpiresAt.IsZero() {
		t := m.ExpiresAt
		out.ExpiresAt = &t
	}
	if len(m.Metadata) > 0 {
		out.Metadata = map[string]string{}
		for k, v := range m.Metadata {
			if k == metaBatch {
				out.Batch = v
			} else {
				out.Metadata[k] = v
			}
		}
		if len(out.Metadata) == 0 {
			out.Metadata = nil
		}
	}
	out.PartCount, out.Coding = shownParts(m, parts, coding)
	var lastSent, lastReport time.Time
	for _, p := range m.Parts {
		mr := p.MR
		part := Part{Seq: p.Seq, MR: &mr, Status: string(p.Status)}
		if !p.SentAt.IsZero() {
			t := p.SentAt
			part.SentAt = &t
			if t.After(lastSent) {
				lastSent = t
			}
		}
		if p.StatusCode >= 0 {
			c := p.StatusCode
			part.ReportStatus = &c
			part.ReportText = pdu.Status(c).Meaning()
		}
		if !p.StatusAt.IsZero() {
			t := p.StatusAt
			part.ReportAt = &t
			if t.After(lastReport) {
				lastReport = t
			}
		}
		out.Parts = append(out.Parts, part)
	}
	// Copies, so the two stay on the stack for a message without them.
	if !lastSent.IsZero() {
		t := lastSent
		out.SentAt = &t
	}
	if m.State == smsgw.StateDelivered && !lastReport.IsZero() {
		t := lastReport
		out.DeliveredAt = &t
	}
	for _, a := range m.AttemptLog {
		out.Attempts = append(out.Attempts, Attempt{Modem: a.Modem, At: a.StartedAt, Outcome: a.Outcome, ErrorCode: a.Code, Error: a.Error})
	}
}

// Message returns one message with its parts and attempts.
func (s *QueueStore) Message(ctx context.Context, id string) (Message, error) {
	n, ok := parseID(id)
	if !ok {
		return Message{}, fmt.Errorf("message %q: %w", id, smsgw.ErrNotFound)
	}
	m, err := s.q.Get(ctx, n)
	if err != nil {
		return Message{}, queueErr(err)
	}
	return fromQueue(m), nil
}

// Messages lists newest first; a batch is looked up by its id range or
// its key instead.
func (s *QueueStore) Messages(ctx context.Context, f MessageFilter) (MessagePage, error) {
	if f.Batch != "" {
		return s.batch(ctx, f.Batch)
	}
	qf := queue.Filter{Recipient: f.To, Campaign: f.Campaign, Since: f.Since, Until: f.Until, Limit: f.Limit}
	for _, st := range f.States {
		qf.States = append(qf.States, smsgw.State(st))
	}
	if f.Cursor != "" {
		c, ok := parseID(f.Cursor)
		if !ok {
			return MessagePage{}, badField("cursor", "invalid cursor %q", f.Cursor)
		}
		qf.Cursor = c
	}
	pg, err := s.q.List(ctx, qf)
	if err != nil {
		return MessagePage{}, queueErr(err)
	}
	return toPage(pg), nil
}

func toPage(pg queue.Page) MessagePage {
	out := MessagePage{Messages: make([]Message, len(pg.Messages))}
	for i, m := range pg.Messages {
		out.Messages[i] = fromQueue(m)
	}
	if pg.Next != 0 {
		out.Next = strconv.FormatInt(pg.Next, 10)
	}
	return out
}

// batch returns the messages of one request, with parts and attempts:
// "q<first>[-<last>]" by id range (skipping messages of named batches),
// any other name through its idempotency key.
func (s *QueueStore) batch(ctx context.Context, b string) (MessagePage, error) {
	first, last, isRange := parseRangeBatch(b)
	if !isRange {
		return s.namedBatch(ctx, b)
	}
	var out MessagePage
	for id := first; id <= last; id++ {
		m, err := s.q.Get(ctx, id)
		if errors.Is(err, smsgw.ErrNotFound) {
			continue
		}
		if err != nil {
			return MessagePage{}, queueErr(err)
		}
		if m.Metadata[metaBatch] != "" && m.Metadata[metaBatch] != b {
			continue // in a range, but part of a batch its caller named
		}
		out.Messages = append(out.Messages, fromQueue(m))
	}
	if len(out.Messages) == 0 {
		// A batch a client named so before such names were refused.
		return s.namedBatch(ctx, b)
	}
	return out, nil
}

// namedBatch returns the messages of a batch its caller named, found by the
// idempotency key the SMSGate routes give it.
func (s *QueueStore) namedBatch(ctx context.Context, b string) (MessagePage, error) {
	ms, err := s.q.ByKey(ctx, batchKeyPrefix+b)
	if errors.Is(err, smsgw.ErrNotFound) {
		return MessagePage{}, nil
	}
	if err != nil {
		return MessagePage{}, queueErr(err)
	}
	var out MessagePage
	for _, m := range ms {
		full, err := s.q.Get(ctx, m.ID)
		if errors.Is(err, smsgw.ErrNotFound) {
			continue
		}
		if err != nil {
			return MessagePage{}, queueErr(err)
		}
		out.Messages = append(out.Messages, fromQueue(full))
	}
	return out, nil
}

// Cancel cancels a queued message.
func (s *QueueStore) Cancel(ctx context.Context, id string) (Message, error) {
	n, ok := parseID(id)
	if !ok {
		return Message{}, fmt.Errorf("message %q: %w", id, smsgw.ErrNotFound)
	}
	m, err := s.q.Cancel(ctx, n)
	if err != nil {
		return Message{}, queueErr(err)
	}
	return fromQueue(m), nil
}

// Retry requeues an uncertain, failed or expired message.
func (s *QueueStore) Retry(ctx context.Context, id string) (Message, error) {
	n, ok := parseID(id)
	if !ok {
		return Message{}, fmt.Errorf("message %q: %w", id, smsgw.ErrNotFound)
	}
	m, err := s.q.Requeue(ctx, n)
	if errors.Is(err, queue.ErrBadState) {
		st := "in another state"
		if cur, gerr := s.q.Get(ctx, n); gerr == nil {
			st = string(cur.State)
		}
		return Message{}, errorf(http.StatusConflict, CodeNotRetryable, "",
			"message %s is %s; only uncertain, failed and expired messages can be retried", id, st)
	}
	if err != nil {
		return Message{}, queueErr(err)
	}
	return fromQueue(m), nil
}

func fromInbox(m queue.InboxMessage) Inbound {
	in := Inbound{
		ID: strconv.FormatInt(m.ID, 10), From: m.From, Text: m.Text, Modem: m.Modem, Coding: m.Coding,
		Parts: m.PartsTotal, Incomplete: !m.Complete, SentAt: m.SentAt, ReceivedAt: m.ReceivedAt,
		Defects: m.Defects, Undecodable: m.Undecodable, PDU: m.PDU, Error: m.Error, Storage: m.Storage,
		Class: m.Class,
	}
	if m.Data != nil {
		in.Data = base64.StdEncoding.EncodeToString(m.Data)
	}
	if m.Ports != nil {
		dst, src := m.Ports.Dst, m.Ports.Src
		in.Port, in.SourcePort = &dst, &src
	}
	if m.Undecodable && m.Storage != "" && m.Slot >= 0 {
		slot := m.Slot
		in.Slot = &slot
	}
	return in
}

// Inbound returns one received message.
func (s *QueueStore) Inbound(ctx context.Context, id string) (Inbound, error) {
	n, ok := parseID(id)
	if !ok {
		return Inbound{}, fmt.Errorf("inbound %q: %w", id, smsgw.ErrNotFound)
	}
	m, err := s.q.GetInbox(ctx, n)
	if err != nil {
		return Inbound{}, queueErr(err)
	}
	return fromInbox(m), nil
}

// Inbox lists received messages newest first; until is filtered here.
func (s *QueueStore) Inbox(ctx context.Context, f InboxFilter) (InboxPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	qf := queue.InboxFilter{Since: f.Since, From: f.From, Modem: f.Modem, Limit: limit}
	if f.Cursor != "" {
		c, ok := parseID(f.Cursor)
		if !ok {
			return InboxPage{}, badField("cursor", "invalid cursor %q", f.Cursor)
		}
		qf.Cursor = c
	}
	var out InboxPage
	scanned := 0
	for {
		pg, err := s.q.Inbox(ctx, qf)
		if err != nil {
			return InboxPage{}, queueErr(err)
		}
		for _, m := range pg.Messages {
			scanned++
			if f.Until.IsZero() || m.ReceivedAt.Before(f.Until) {
				out.Messages = append(out.Messages, fromInbox(m))
			}
			if len(out.Messages) == limit || scanned >= maxScan {
				if pg.Next != 0 || m.ID != pg.Messages[len(pg.Messages)-1].ID {
					out.Next = strconv.FormatInt(m.ID, 10)
				}
				return out, nil
			}
		}
		if pg.Next == 0 {
			return out, nil
		}
		qf.Cursor = pg.Next
	}
}

// DeleteInbound deletes a received message.
func (s *QueueStore) DeleteInbound(ctx context.Context, id string) error {
	n, ok := parseID(id)
	if !ok {
		return fmt.Errorf("inbound %q: %w", id, smsgw.ErrNotFound)
	}
	return queueErr(s.q.DeleteInbox(ctx, n))
}

// Counts returns the number of messages in each state.
func (s *QueueStore) Counts(ctx context.Context) (map[smsgw.State]int64, error) {
	c, err := s.q.Counts(ctx)
	return c, queueErr(err)
}

// Ping reports whether the database answers.
func (s *QueueStore) Ping(ctx context.Context) error {
	return queueErr(s.q.Ping(ctx))
}
