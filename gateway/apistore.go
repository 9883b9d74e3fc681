package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"smsgw/api"
	"smsgw/modem/pdu"
	"smsgw/queue"
)

// Metadata keys the gateway keeps for itself inside a message's metadata;
// they are not shown back through the API.
const (
	metaBatch   = "smsgw.batch"
	metaRequest = "smsgw.request"
	metaFlash   = "flash"
	// batchKey prefixes the idempotency key of a batch the caller named
	// without giving a key of its own.
	batchKey = "batch:"
)

// APIStore adapts the durable queue to the API's Store interface. Safe for
// concurrent use.
type APIStore struct {
	Q *queue.Store
}

var _ api.Store = APIStore{}

func (s APIStore) err(err error) error {
	var ve *queue.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, queue.ErrNotFound):
		return fmt.Errorf("%w: %v", api.ErrNotFound, err)
	case errors.Is(err, queue.ErrConflict):
		return fmt.Errorf("%w: %v", api.ErrIdempotencyMismatch, err)
	case errors.Is(err, queue.ErrNotCancellable):
		return fmt.Errorf("%w: %v", api.ErrConflict, err)
	case errors.As(err, &ve):
		return &api.Error{Status: http.StatusBadRequest, Code: api.CodeInvalidField, Field: ve.Field, Message: ve.Error()}
	case errors.Is(err, queue.ErrClosed):
		return fmt.Errorf("%w: %v", api.ErrUnavailable, err)
	}
	return err
}

func parseID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("id %q: %w", id, api.ErrNotFound)
	}
	return n, nil
}

// sameButRecipient reports whether two messages differ only in To, so one
// queue request (one idempotency key) can carry them all.
func sameButRecipient(a, b api.NewMessage) bool {
	return a.Text == b.Text && a.Coding == b.Coding && a.Priority == b.Priority && a.SendAt.Equal(b.SendAt) &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.Modem == b.Modem && slices.Equal(a.Tags, b.Tags) &&
		a.DeliveryReport == b.DeliveryReport && a.Flash == b.Flash && fmt.Sprint(a.Metadata) == fmt.Sprint(b.Metadata)
}

// Submit implements api.Store: one queue request per group of messages
// that differ only in their recipient.
func (s APIStore) Submit(ctx context.Context, req api.SubmitRequest) (api.SubmitResult, error) {
	var out api.SubmitResult
	if len(req.Messages) == 0 {
		return out, &api.Error{Status: http.StatusBadRequest, Code: api.CodeMissingField, Field: "to", Message: "no recipients"}
	}
	var groups [][]api.NewMessage
	for _, m := range req.Messages {
		if n := len(groups); n > 0 && sameButRecipient(groups[n-1][0], m) {
			groups[n-1] = append(groups[n-1], m)
		} else {
			groups = append(groups, []api.NewMessage{m})
		}
	}
	batch := req.Batch
	for gi, grp := range groups {
		m := grp[0]
		nm := queue.NewMessage{
			Text: m.Text, Coding: m.Coding, Priority: m.Priority, SendAfter: m.SendAt, ExpiresAt: m.ExpiresAt,
			Modem: m.Modem, Tags: m.Tags, Report: m.DeliveryReport, Metadata: map[string]string{},
		}
		for k, v := range m.Metadata {
			nm.Metadata[k] = v
		}
		nm.Flash = m.Flash
		if batch != "" {
			nm.Metadata[metaBatch] = batch
		}
		// Every group carries the whole request's fingerprint, so a key
		// reused with another request conflicts at the first group, before
		// anything is created.
		if req.IdempotencyKey != "" && req.RequestHash != "" {
			nm.Metadata[metaRequest] = req.RequestHash
		}
		if len(nm.Metadata) == 0 {
			nm.Metadata = nil
		}
		for _, x := range grp {
			nm.To = append(nm.To, x.To)
		}
		// A batch named by the caller is found again through its key.
		key := req.IdempotencyKey
		if key == "" && req.Batch != "" {
			key = batchKey + req.Batch
		}
		if key != "" {
			nm.IdempotencyKey = key
			if gi > 0 {
				nm.IdempotencyKey += "#" + strconv.Itoa(gi)
			}
		}
		res, err := s.Q.Enqueue(ctx, nm)
		if err != nil {
			return api.SubmitResult{}, s.err(err)
		}
		out.Replayed = out.Replayed || res.Replayed
		for _, qm := range res.Messages {
			out.Messages = append(out.Messages, apiMessage(qm))
		}
	}
	if batch == "" && len(out.Messages) > 0 {
		batch = out.Messages[0].ID
	}
	out.Batch = batch
	return out, nil
}

func apiMessage(m queue.Message) api.Message {
	out := api.Message{
		ID: strconv.FormatInt(m.ID, 10), To: m.To, Text: m.Text, State: string(m.State), Coding: m.Coding,
		PartCount: m.PartsTotal, Priority: m.Priority, Modem: m.RouteModem, Tags: m.RouteTags,
		DeliveryReport: m.Report, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, SentBy: m.Modem,
		ErrorCode: m.ErrorCode, Error: m.Error, Flash: m.Flash,
	}
	if out.Coding == "" || out.Coding == "auto" {
		out.Coding = "auto"
	}
	if !m.SendAfter.IsZero() {
		t := m.SendAfter
		out.SendAt = &t
	}
	if !m.ExpiresAt.IsZero() {
		t := m.ExpiresAt
		out.ExpiresAt = &t
	}
	for k, v := range m.Metadata {
		switch k {
		case metaBatch:
			out.Batch = v
		case metaRequest:
		case metaFlash:
			out.Flash = out.Flash || v == "1"
		default:
			if out.Metadata == nil {
				out.Metadata = map[string]string{}
			}
			out.Metadata[k] = v
		}
	}
	var sentAt, deliveredAt time.Time
	for _, p := range m.Parts {
		ap := api.Part{Seq: p.Seq, Status: string(p.Status)}
		mr := p.MR
		ap.MR = &mr
		if !p.SentAt.IsZero() {
			t := p.SentAt
			ap.SentAt = &t
			if t.After(sentAt) {
				sentAt = t
			}
		}
		if p.StatusCode >= 0 {
			c := p.StatusCode
			ap.ReportStatus = &c
			ap.ReportText = reportMeaning(c)
		}
		if !p.StatusAt.IsZero() {
			t := p.StatusAt
			ap.ReportAt = &t
			if p.Status == queue.PartDelivered && t.After(deliveredAt) {
				deliveredAt = t
			}
		}
		out.Parts = append(out.Parts, ap)
	}
	if len(m.Parts) > 0 && out.PartCount == 0 {
		out.PartCount = len(m.Parts)
	}
	if !sentAt.IsZero() && (m.State == queue.StateSent || m.State == queue.StateDelivered) {
		out.SentAt = &sentAt
	}
	if !deliveredAt.IsZero() && m.State == queue.StateDelivered {
		out.DeliveredAt = &deliveredAt
	}
	for _, a := range m.AttemptLog {
		out.Attempts = append(out.Attempts, api.Attempt{Modem: a.Modem, At: a.StartedAt, ErrorCode: a.Code, Error: a.Error})
	}
	return out
}

// Message implements api.Store.
func (s APIStore) Message(ctx context.Context, id string) (api.Message, error) {
	n, err := parseID(id)
	if err != nil {
		return api.Message{}, err
	}
	m, err := s.Q.Get(ctx, n)
	if err != nil {
		return api.Message{}, s.err(err)
	}
	return apiMessage(m), nil
}

// Messages implements api.Store. A batch is found through its
// idempotency key; the rest goes to the queue's filters.
func (s APIStore) Messages(ctx context.Context, f api.MessageFilter) (api.MessagePage, error) {
	if f.Batch != "" && f.Cursor == "" {
		if page, ok, err := s.batch(ctx, f); ok || err != nil {
			return page, err
		}
	}
	qf := queue.Filter{Recipient: f.To, Since: f.Since, Until: f.Until, Limit: f.Limit}
	for _, st := range f.States {
		qf.States = append(qf.States, queue.State(st))
	}
	if f.Cursor != "" {
		c, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil {
			return api.MessagePage{}, &api.Error{Status: http.StatusBadRequest, Code: api.CodeInvalidField, Field: "cursor", Message: "not a cursor from a previous page"}
		}
		qf.Cursor = c
	}
	p, err := s.Q.List(ctx, qf)
	if err != nil {
		return api.MessagePage{}, s.err(err)
	}
	var out api.MessagePage
	for _, m := range p.Messages {
		am := apiMessage(m)
		if f.Batch != "" && am.Batch != f.Batch && am.ID != f.Batch {
			continue
		}
		out.Messages = append(out.Messages, am)
	}
	if p.Next != 0 {
		out.Next = strconv.FormatInt(p.Next, 10)
	}
	return out, nil
}

// batch lists a batch by the keys Submit gives batches: ok is false when
// no key knows it (a batch named by its first message id, say).
func (s APIStore) batch(ctx context.Context, f api.MessageFilter) (api.MessagePage, bool, error) {
	for _, key := range []string{batchKey + f.Batch, "sms-gate:" + f.Batch} {
		ms, err := s.Q.ByKey(ctx, key)
		if errors.Is(err, queue.ErrNotFound) {
			continue
		}
		if err != nil {
			return api.MessagePage{}, false, s.err(err)
		}
		var out api.MessagePage
		for _, m := range ms {
			am := apiMessage(m)
			if len(f.States) > 0 && !slices.Contains(f.States, am.State) || f.To != "" && am.To != f.To {
				continue
			}
			out.Messages = append(out.Messages, am)
		}
		return out, true, nil
	}
	return api.MessagePage{}, false, nil
}

// Cancel implements api.Store.
func (s APIStore) Cancel(ctx context.Context, id string) (api.Message, error) {
	n, err := parseID(id)
	if err != nil {
		return api.Message{}, err
	}
	m, err := s.Q.Cancel(ctx, n)
	if err != nil {
		return api.Message{}, s.err(err)
	}
	return apiMessage(m), nil
}

func apiInbound(m queue.InboxMessage) api.Inbound {
	return api.Inbound{
		ID: strconv.FormatInt(m.ID, 10), From: m.From, Text: m.Text, Modem: m.Modem, Coding: m.Coding,
		Parts: m.PartsReceived, Incomplete: !m.Complete, SentAt: m.SentAt, ReceivedAt: m.ReceivedAt,
	}
}

// Inbound implements api.Store.
func (s APIStore) Inbound(ctx context.Context, id string) (api.Inbound, error) {
	n, err := parseID(id)
	if err != nil {
		return api.Inbound{}, err
	}
	m, err := s.Q.GetInbox(ctx, n)
	if err != nil {
		return api.Inbound{}, s.err(err)
	}
	return apiInbound(m), nil
}

// Inbox implements api.Store.
func (s APIStore) Inbox(ctx context.Context, f api.InboxFilter) (api.InboxPage, error) {
	qf := queue.InboxFilter{Since: f.Since, From: f.From, Modem: f.Modem, Limit: f.Limit}
	if f.Cursor != "" {
		c, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil {
			return api.InboxPage{}, &api.Error{Status: http.StatusBadRequest, Code: api.CodeInvalidField, Field: "cursor", Message: "not a cursor from a previous page"}
		}
		qf.Cursor = c
	}
	p, err := s.Q.Inbox(ctx, qf)
	if err != nil {
		return api.InboxPage{}, s.err(err)
	}
	var out api.InboxPage
	for _, m := range p.Messages {
		if !f.Until.IsZero() && !m.ReceivedAt.Before(f.Until) {
			continue
		}
		out.Messages = append(out.Messages, apiInbound(m))
	}
	if p.Next != 0 {
		out.Next = strconv.FormatInt(p.Next, 10)
	}
	return out, nil
}

// DeleteInbound implements api.Store.
func (s APIStore) DeleteInbound(ctx context.Context, id string) error {
	n, err := parseID(id)
	if err != nil {
		return err
	}
	return s.err(s.Q.DeleteInbox(ctx, n))
}

// Counts implements api.Store.
func (s APIStore) Counts(ctx context.Context) (map[string]int64, error) {
	c, err := s.Q.Counts(ctx)
	if err != nil {
		return nil, s.err(err)
	}
	out := make(map[string]int64, len(c))
	for k, v := range c {
		out[string(k)] = v
	}
	return out, nil
}

// Ping implements api.Store.
func (s APIStore) Ping(ctx context.Context) error {
	return s.err(s.Q.Ping(ctx))
}

// reportMeaning names a TP-Status (TS 23.040 9.2.3.15) for the API.
func reportMeaning(code int) string {
	if code < 0 || code > 0xFF {
		return ""
	}
	return pdu.Status(code).Meaning()
}
