package gateway

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"smsgw/api"
	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/queue"
)

func TestFailureClasses(t *testing.T) {
	wrap := func(err error) error {
		return &modem.SendError{Part: 0, Parts: 1, Err: &at.CommandError{Cmd: "AT+CMGS=20", Err: err}}
	}
	tests := []struct {
		name  string
		err   error
		class queue.ErrorClass
		code  int
	}{
		{"network out of order", wrap(&at.CMSError{Code: 38}), queue.Temporary, 38},
		{"unassigned number", wrap(&at.CMSError{Code: 1}), queue.Permanent, 1},
		{"SMSC address unknown", wrap(&at.CMSError{Code: 330}), queue.ModemFault, 330},
		{"SIM busy", wrap(&at.CMEError{Code: 14}), queue.Temporary, 14},
		{"SIM failure", wrap(&at.CMEError{Code: 13}), queue.ModemFault, 13},
		{"port closed", wrap(at.ErrClosed), queue.ModemFault, 0},
		{"no SIM", fmt.Errorf("open: %w", modem.ErrNoSIM), queue.ModemFault, 0},
		{"timeout", wrap(at.ErrTimeout), queue.Temporary, 0},
		{"shutdown", wrap(context.Canceled), queue.ModemFault, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := failure(tt.err)
			if f.Class != tt.class || f.Code != tt.code || f.Err == "" {
				t.Errorf("failure(%v) = %+v, want class %s code %d", tt.err, f, tt.class, tt.code)
			}
		})
	}
	if timedOut(&at.CommandError{Cmd: "AT+CMGS=20", Phase: "prompt", Err: at.ErrTimeout}) {
		t.Error("a missing prompt means the PDU never left; not uncertain")
	}
	if !timedOut(wrap(at.ErrTimeout)) {
		t.Error("a missing final result after the PDU is uncertain")
	}
}

func TestAPIStoreMapping(t *testing.T) {
	st, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{JoinText: JoinText})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	s := APIStore{Q: st}
	ctx := context.Background()
	req := api.SubmitRequest{IdempotencyKey: "k1", RequestHash: "h1", Batch: "b1", Messages: []api.NewMessage{
		{To: "+15550000001", Text: "hi", Flash: true, Metadata: map[string]string{"ticket": "7"}},
		{To: "+15550000002", Text: "hi", Flash: true, Metadata: map[string]string{"ticket": "7"}},
	}}
	res, err := s.Submit(ctx, req)
	if err != nil || len(res.Messages) != 2 || res.Batch != "b1" || res.Replayed {
		t.Fatalf("Submit = %+v, %v", res, err)
	}
	m := res.Messages[0]
	if !m.Flash || m.Metadata["ticket"] != "7" || m.Batch != "b1" || m.State != "queued" {
		t.Errorf("message = %+v", m)
	}
	again, err := s.Submit(ctx, req)
	if err != nil || !again.Replayed || again.Messages[0].ID != m.ID {
		t.Errorf("replay = %+v, %v", again, err)
	}
	other := req
	other.RequestHash = "h2"
	other.Messages = []api.NewMessage{req.Messages[0], {To: "+15550000009", Text: "other"}}
	if _, err := s.Submit(ctx, other); !errors.Is(err, api.ErrIdempotencyMismatch) {
		t.Errorf("same key, other body: %v", err)
	}
	// A batch named without a key is found again by its name.
	if _, err := s.Submit(ctx, api.SubmitRequest{Batch: "b2", Messages: []api.NewMessage{{To: "+15550000003", Text: "x"}}}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Messages(ctx, api.MessageFilter{Batch: "b2"})
	if err != nil || len(page.Messages) != 1 || page.Messages[0].To != "+15550000003" {
		t.Errorf("batch b2 = %+v, %v", page, err)
	}
	page, err = s.Messages(ctx, api.MessageFilter{Batch: "b1"})
	if err != nil || len(page.Messages) != 2 {
		t.Errorf("batch b1 = %+v, %v", page, err)
	}
	for _, id := range []string{"abc", "0", "999"} {
		if _, err := s.Message(ctx, id); !errors.Is(err, api.ErrNotFound) {
			t.Errorf("Message(%q): %v", id, err)
		}
	}
	if _, err := s.Cancel(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cancel(ctx, m.ID); !errors.Is(err, api.ErrConflict) {
		t.Errorf("second cancel: %v", err)
	}
	var ae *api.Error
	if _, err := s.Submit(ctx, api.SubmitRequest{Messages: []api.NewMessage{{To: "not a number", Text: "x"}}}); !errors.As(err, &ae) || ae.Status != 400 {
		t.Errorf("invalid number: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Error(err)
	}
	counts, err := s.Counts(ctx)
	if err != nil || counts["cancelled"] != 1 {
		t.Errorf("counts = %v, %v", counts, err)
	}
}
