package api

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// memStore is an in-memory Store used until the queue adapter is wired.
type memStore struct {
	mu   sync.Mutex
	msgs []Message // index = id-1
	keys map[string]struct {
		hash string
		ids  []string
	}
	inbox []Inbound
	down  bool
}

func newMemStore() *memStore {
	return &memStore{keys: map[string]struct {
		hash string
		ids  []string
	}{}}
}

func (s *memStore) Submit(ctx context.Context, req SubmitRequest) (SubmitResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return SubmitResult{}, ErrUnavailable
	}
	if req.IdempotencyKey != "" {
		if k, ok := s.keys[req.IdempotencyKey]; ok {
			if k.hash != req.RequestHash {
				return SubmitResult{}, ErrIdempotencyMismatch
			}
			var out []Message
			for _, id := range k.ids {
				n, _ := strconv.Atoi(id)
				out = append(out, s.msgs[n-1])
			}
			return SubmitResult{Batch: out[0].Batch, Messages: out, Replayed: true}, nil
		}
	}
	batch := req.Batch
	if batch == "" {
		batch = "b" + strconv.Itoa(len(s.msgs)+1)
	}
	var out []Message
	var ids []string
	now := time.Now()
	for _, m := range req.Messages {
		id := strconv.Itoa(len(s.msgs) + 1)
		msg := Message{ID: id, Batch: batch, To: m.To, Text: m.Text, State: StateQueued, Coding: m.Coding, PartCount: m.Parts,
			Priority: m.Priority, Modem: m.Modem, Tags: m.Tags, DeliveryReport: m.DeliveryReport, Flash: m.Flash, Metadata: m.Metadata,
			CreatedAt: now, UpdatedAt: now}
		s.msgs = append(s.msgs, msg)
		out = append(out, msg)
		ids = append(ids, id)
	}
	if req.IdempotencyKey != "" {
		s.keys[req.IdempotencyKey] = struct {
			hash string
			ids  []string
		}{req.RequestHash, ids}
	}
	return SubmitResult{Batch: batch, Messages: out}, nil
}

func (s *memStore) get(id string) (*Message, error) {
	n, err := strconv.Atoi(id)
	if err != nil || n < 1 || n > len(s.msgs) {
		return nil, fmt.Errorf("message %q: %w", id, ErrNotFound)
	}
	return &s.msgs[n-1], nil
}

func (s *memStore) Message(ctx context.Context, id string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.get(id)
	if err != nil {
		return Message{}, err
	}
	return *m, nil
}

func (s *memStore) setState(id, st string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, _ := s.get(id)
	m.State = st
	now := time.Now()
	switch st {
	case StateSent:
		m.SentAt = &now
		mr := 7
		m.Parts = []Part{{Seq: 1, MR: &mr, Status: "sent", SentAt: &now}}
	case StateDelivered:
		m.DeliveredAt = &now
	}
}

func (s *memStore) Messages(ctx context.Context, f MessageFilter) (MessagePage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := len(s.msgs)
	if f.Cursor != "" {
		n, err := strconv.Atoi(f.Cursor)
		if err != nil {
			return MessagePage{}, &Error{Status: 400, Code: CodeInvalidField, Field: "cursor", Message: "bad cursor"}
		}
		start = n - 1
	}
	var page MessagePage
	for i := start - 1; i >= 0; i-- {
		m := s.msgs[i]
		if len(f.States) > 0 && !contains(f.States, m.State) || f.To != "" && m.To != f.To || f.Batch != "" && m.Batch != f.Batch {
			continue
		}
		if len(page.Messages) == f.Limit {
			page.Next = page.Messages[len(page.Messages)-1].ID
			break
		}
		page.Messages = append(page.Messages, m)
	}
	return page, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (s *memStore) Cancel(ctx context.Context, id string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.get(id)
	if err != nil {
		return Message{}, err
	}
	if m.State != StateQueued {
		return Message{}, fmt.Errorf("it is %s: %w", m.State, ErrConflict)
	}
	m.State = StateCancelled
	return *m, nil
}

func (s *memStore) Inbound(ctx context.Context, id string) (Inbound, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.inbox {
		if m.ID == id {
			return m, nil
		}
	}
	return Inbound{}, ErrNotFound
}

func (s *memStore) Inbox(ctx context.Context, f InboxFilter) (InboxPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out InboxPage
	list := append([]Inbound(nil), s.inbox...)
	sort.Slice(list, func(i, j int) bool { return list[i].ReceivedAt.After(list[j].ReceivedAt) })
	skip := f.Cursor != ""
	for _, m := range list {
		if skip {
			skip = m.ID != f.Cursor
			continue
		}
		if f.From != "" && m.From != f.From || !f.Since.IsZero() && m.ReceivedAt.Before(f.Since) {
			continue
		}
		if len(out.Messages) == f.Limit {
			out.Next = out.Messages[len(out.Messages)-1].ID
			break
		}
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}

func (s *memStore) DeleteInbound(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.inbox {
		if m.ID == id {
			s.inbox = append(s.inbox[:i], s.inbox[i+1:]...)
			return nil
		}
	}
	return ErrNotFound
}

func (s *memStore) Counts(ctx context.Context) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	for _, m := range s.msgs {
		out[m.State]++
	}
	return out, nil
}

func (s *memStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return fmt.Errorf("database closed")
	}
	return nil
}

func (s *memStore) addInbound(m Inbound) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inbox = append(s.inbox, m)
}
