package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"smsgw"
	"smsgw/consent"
	"smsgw/queue"
)

// TestEnqueueStoresWhatItAnswers: every form of insert (one recipient,
// many, with suppressed recipients, every column set) stores exactly the
// messages Enqueue answers with, and keeps the state counts and the
// conversations as the rows say.
func TestEnqueueStoresWhatItAnswers(t *testing.T) {
	st, clk := testStore(t, queue.Options{})
	ctx := context.Background()
	const opted = "+4915100000009"
	if _, err := st.Apply(ctx, consent.Record{Number: opted, Action: consent.ActionOptOut, Source: consent.SourceAPI}); err != nil {
		t.Fatal(err)
	}
	class, later := 1, clk.Now().Add(time.Hour)
	reqs := []queue.NewMessage{
		{To: []string{"+4915100000001"}, Text: "one"},
		{To: []string{opted}, Text: "sale", Category: smsgw.CategoryMarketing},
		{To: []string{"+4915100000002", "+4915100000003", "+4915100000002"}, Text: "many"},
		{To: []string{"+4915100000004", opted}, Text: "mixed", Category: smsgw.CategoryMarketing},
		{To: []string{"+4915100000005"}, Coding: "ucs2", Text: "all ✓", Priority: 2, SendAfter: later,
			ExpiresAt: later.Add(time.Hour), Modem: "m1", Tags: []string{"a", "b"}, Report: true, Flash: true,
			Metadata: map[string]string{"k": "v"}, AutoReply: true, Campaign: "", IdempotencyKey: "key-1"},
		{To: []string{"+4915100000006"}, Binary: queue.Binary{Data: []byte{1, 2, 3}, UDH: []byte{3, 0, 1, 2},
			Ports: &queue.Ports{Dst: 2948, Src: 9200}, Class: &class, PID: 65}},
	}
	var all []queue.Message
	for _, m := range reqs {
		res, err := st.Enqueue(ctx, m)
		if err != nil {
			t.Fatalf("Enqueue(%v): %v", m.To, err)
		}
		if len(res.Messages) != len(m.To) {
			t.Fatalf("Enqueue(%v): %d messages", m.To, len(res.Messages))
		}
		all = append(all, res.Messages...)
		clk.Advance(time.Second)
	}
	want := map[smsgw.State]int64{}
	last := map[string]int64{}
	for _, m := range all {
		got, err := st.Get(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("message %d stored as\n%+v\nanswered as\n%+v", m.ID, got, m)
		}
		want[m.State]++
		last[m.To] = m.ID
	}
	if all[1].State != smsgw.StateSuppressed || all[1].Reason != queue.ReasonOptedOut {
		t.Errorf("single opted-out recipient: %s %q", all[1].State, all[1].Reason)
	}
	counts, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for s, n := range want {
		if counts[s] != n {
			t.Errorf("count of %s: %d, want %d", s, counts[s], n)
		}
	}
	rows, err := st.rdb.Query(`SELECT number, last_id, last_dir FROM conversations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var num, dir string
		var id int64
		if err := rows.Scan(&num, &id, &dir); err != nil {
			t.Fatal(err)
		}
		if id != last[num] || dir != "out" {
			t.Errorf("conversation %s: last %s %d, want out %d", num, dir, id, last[num])
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(last) {
		t.Errorf("%d conversations, want %d", n, len(last))
	}
}
