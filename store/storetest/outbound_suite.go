package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/queue"
)

func testEnqueueGetList(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{})
	ctx := context.Background()
	res, err := st.Enqueue(ctx, queue.NewMessage{
		To: []string{"+49 151 1234-5678", "0151 999", "+1 (555) 0100"}, Text: "Grüße", Coding: "ucs2",
		Priority: 3, Modem: "office", Tags: []string{"eu", "cheap"}, Report: true,
		Metadata: map[string]string{"ticket": "42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed || len(res.Messages) != 3 {
		t.Fatalf("Enqueue = %+v", res)
	}
	wantTo := []string{"+4915112345678", "0151999", "+15550100"}
	for i, m := range res.Messages {
		got := mustGet(t, st, m.ID)
		got.Parts, got.AttemptLog = nil, nil
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("Get(%d) differs from Enqueue result (-enqueue +get):\n%s", m.ID, diff)
		}
		if got.To != wantTo[i] || got.State != smsgw.StateQueued || got.RouteModem != "office" ||
			!cmp.Equal(got.RouteTags, []string{"cheap", "eu"}) || got.Metadata["ticket"] != "42" || !got.Report {
			t.Errorf("message %d = %+v", i, got)
		}
		if i > 0 && m.ID != res.Messages[i-1].ID+1 {
			t.Errorf("ids not consecutive: %d after %d", m.ID, res.Messages[i-1].ID)
		}
	}
	if _, err := st.Get(ctx, 9999); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("Get(9999) err = %v, want smsgw.ErrNotFound", err)
	}

	// More messages, some later, one sent, for the filters.
	clk.Advance(time.Hour)
	later := mustEnqueue(t, st, queue.NewMessage{To: []string{"+4915112345678", "+222", "+333", "+444"}})
	j := mustClaim(t, st, queue.ClaimOptions{Modem: "office"})
	if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: 7}); err != nil {
		t.Fatal(err)
	}

	ids := func(p queue.Page) []int64 {
		var out []int64
		for _, m := range p.Messages {
			out = append(out, m.ID)
		}
		return out
	}
	all, err := st.List(ctx, queue.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Messages) != 7 || all.Next != 0 || all.Messages[0].ID != later[3].ID {
		t.Fatalf("List all = %v next %d", ids(all), all.Next)
	}
	// Pagination: pages of 3 cover everything once, newest first.
	var seen []int64
	cur := int64(0)
	for {
		p, err := st.List(ctx, queue.Filter{Limit: 3, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(p)...)
		if p.Next == 0 {
			break
		}
		cur = p.Next
	}
	if diff := cmp.Diff(ids(all), seen); diff != "" {
		t.Errorf("paged listing differs:\n%s", diff)
	}
	byTo, _ := st.List(ctx, queue.Filter{Recipient: "+49 151 12345678"})
	if diff := cmp.Diff([]int64{later[0].ID, res.Messages[0].ID}, ids(byTo)); diff != "" {
		t.Errorf("List by recipient:\n%s", diff)
	}
	since, _ := st.List(ctx, queue.Filter{Since: clk.Now()})
	if len(since.Messages) != 4 {
		t.Errorf("List since = %v, want the 4 later ones", ids(since))
	}
	sent, _ := st.List(ctx, queue.Filter{State: smsgw.StateSent})
	if diff := cmp.Diff([]int64{j.ID}, ids(sent)); diff != "" {
		t.Errorf("List sent:\n%s", diff)
	}
	if _, err := st.List(ctx, queue.Filter{State: "bogus"}); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("List bogus state err = %v", err)
	}

	counts, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[smsgw.StateQueued] != 6 || counts[smsgw.StateSent] != 1 || counts[smsgw.StateFailed] != 0 || len(counts) != len(smsgw.States) {
		t.Errorf("Counts = %v", counts)
	}
	oldest, err := st.OldestQueued(ctx)
	if err != nil || !oldest.Equal(clk.Now().Add(-time.Hour)) {
		t.Errorf("OldestQueued = %v, %v", oldest, err)
	}
}

func testEnqueueValidation(t *testing.T, d driver) {
	st, clk := d.testStore(t, queue.Options{})
	ok := queue.NewMessage{To: []string{"+123"}, Text: "x"}
	tests := []struct {
		name  string
		edit  func(m *queue.NewMessage)
		field string
	}{
		{"no recipients", func(m *queue.NewMessage) { m.To = nil }, "to"},
		{"letters", func(m *queue.NewMessage) { m.To = []string{"+12ab"} }, "to"},
		{"plus inside", func(m *queue.NewMessage) { m.To = []string{"12+3"} }, "to"},
		{"no digits", func(m *queue.NewMessage) { m.To = []string{"+"} }, "to"},
		{"too long", func(m *queue.NewMessage) { m.To = []string{strings.Repeat("1", 21)} }, "to"},
		{"empty text", func(m *queue.NewMessage) { m.Text = "" }, "text"},
		{"huge text", func(m *queue.NewMessage) { m.Text = strings.Repeat("x", queue.MaxTextBytes+1) }, "text"},
		{"bad utf8", func(m *queue.NewMessage) { m.Text = "\xff" }, "text"},
		{"coding", func(m *queue.NewMessage) { m.Coding = "latin1" }, "coding"},
		{"priority", func(m *queue.NewMessage) { m.Priority = queue.MaxPriority + 1 }, "priority"},
		{"expired", func(m *queue.NewMessage) { m.ExpiresAt = clk.Now().Add(-time.Second) }, "expires_at"},
		{"expiry before send", func(m *queue.NewMessage) {
			m.SendAfter, m.ExpiresAt = clk.Now().Add(2*time.Hour), clk.Now().Add(time.Hour)
		}, "expires_at"},
		{"tag", func(m *queue.NewMessage) { m.Tags = []string{"a,b"} }, "tags"},
		{"metadata", func(m *queue.NewMessage) {
			m.Metadata = map[string]string{"k": strings.Repeat("v", queue.MaxMetadataSize)}
		}, "metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			tc.edit(&m)
			_, err := st.Enqueue(context.Background(), m)
			var ve *queue.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, queue.ErrInvalid) || ve.Field != tc.field {
				t.Fatalf("err = %v, want a ValidationError on %q", err, tc.field)
			}
		})
	}
	c, _ := st.Counts(context.Background())
	if c[smsgw.StateQueued] != 0 {
		t.Errorf("invalid requests stored %d messages", c[smsgw.StateQueued])
	}
}

func testIdempotencyKey(t *testing.T, d driver) {
	st, _ := d.testStore(t, queue.Options{})
	ctx := context.Background()
	req := queue.NewMessage{To: []string{"+111", "+222"}, Text: "once", IdempotencyKey: "k1", Metadata: map[string]string{"a": "1", "b": "2"}}
	first, err := st.Enqueue(ctx, req)
	if err != nil || first.Replayed {
		t.Fatalf("first = %+v, %v", first, err)
	}
	// A retry, with the metadata map built in another order: same request.
	again := req
	again.Metadata = map[string]string{"b": "2", "a": "1"}
	second, err := st.Enqueue(ctx, again)
	if err != nil || !second.Replayed {
		t.Fatalf("retry = %+v, %v; want replayed", second, err)
	}
	if diff := cmp.Diff(first.Messages, second.Messages); diff != "" {
		t.Errorf("replay differs (-first +replay):\n%s", diff)
	}
	// The replay reflects the current state.
	j := mustClaim(t, st, modemA)
	third, _ := st.Enqueue(ctx, req)
	if third.Messages[0].ID != j.ID || third.Messages[0].State != smsgw.StateSending {
		t.Errorf("replay after claim = %+v", third.Messages[0])
	}
	for _, change := range []func(m *queue.NewMessage){
		func(m *queue.NewMessage) { m.Text = "twice" },
		func(m *queue.NewMessage) { m.To = []string{"+111"} },
		func(m *queue.NewMessage) { m.Priority = 1 },
		func(m *queue.NewMessage) { m.Metadata = nil },
	} {
		m := req
		change(&m)
		if _, err := st.Enqueue(ctx, m); !errors.Is(err, smsgw.ErrIdempotencyMismatch) {
			t.Errorf("changed request under the same key: err = %v, want smsgw.ErrIdempotencyMismatch", err)
		}
	}
	// Many concurrent retries of one new key store it once.
	var wg sync.WaitGroup
	results := make([]queue.Enqueued, 16)
	errs := make([]error, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = st.Enqueue(ctx, queue.NewMessage{To: []string{"+333"}, Text: "race", IdempotencyKey: "k2"})
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !results[i].Replayed {
			fresh++
		}
		if results[i].Messages[0].ID != results[0].Messages[0].ID {
			t.Errorf("concurrent retries got different ids")
		}
	}
	if fresh != 1 {
		t.Errorf("%d requests were stored fresh, want 1", fresh)
	}
	c, _ := st.Counts(ctx)
	if n := c[smsgw.StateQueued] + c[smsgw.StateSending]; n != 3 {
		t.Errorf("%d messages stored, want 3", n)
	}
}
