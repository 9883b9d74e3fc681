package api

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"smsgw"
	"smsgw/queue"
)

// TestQueuedAsSubmitted: the 202 written straight from the queue's
// messages is, byte for byte and header for header, what writeJSON writes
// for the API's view of the same messages (submitResult, then
// sendResponse), including the messages whose strings encoding/json
// escapes, whose coding differs from the request's or whose parts are
// already counted.
func TestQueuedAsSubmitted(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	strs := []string{"", "+4915112345678", "49151", "opted_out", "a\"b", `a\b`, "<&>", "é", "\u2028", "a\nb", "\x7f", "\xff"}
	texts := []string{"hello", "héllo 😀", string(bytes.Repeat([]byte("a"), 161)), ""}
	codings := []string{"", "auto", "gsm7", "ucs2", "8bit", "x\"y"}
	states := []smsgw.State{smsgw.StateQueued, smsgw.StateSuppressed, smsgw.StateCancelled, smsgw.StateSent, "a\"b"}
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	hand := 0
	for range 20000 {
		var res queue.Enqueued
		res.Replayed = r.IntN(2) == 0
		id := r.Int64N(1 << 40)
		for range r.IntN(5) {
			m := queue.Message{ID: id, To: pick(strs), Text: pick(texts), Coding: pick(codings), State: states[r.IntN(len(states))],
				Reason: pick(strs), PartsTotal: r.IntN(3)}
			if m.Text == "" {
				m.Data = []byte{1, 2, 3}
			}
			id += int64(r.IntN(3))
			res.Messages = append(res.Messages, m)
		}
		parts, coding := r.IntN(3), pick(codings)
		sr := submitResult(res, "", parts, coding)

		want := httptest.NewRecorder()
		writeJSON(want, http.StatusAccepted, sendResponse(sr))
		old := httptest.NewRecorder()
		writeSubmitted(old, sr)
		got := httptest.NewRecorder()
		writeQueued(got, res, parts, coding)
		for _, w := range []*httptest.ResponseRecorder{old, got} {
			if w.Code != want.Code || w.Body.String() != want.Body.String() || w.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
				t.Fatalf("%+v parts %d coding %q:\ngot  %d %s\nwant %d %s", res, parts, coding, w.Code, w.Body, want.Code, want.Body)
			}
			if cl := w.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(want.Body.Len()) {
				t.Fatalf("Content-Length %s for %d bytes", cl, want.Body.Len())
			}
		}
		if _, ok := appendQueued(nil, sr.Batch, res.Messages, parts, coding); ok {
			hand++
		}
	}
	if hand < 1000 {
		t.Errorf("only %d answers written by hand", hand)
	}
}

// FuzzQueuedAsSubmitted: whatever the strings of the queued messages, the
// 202 written from them is what writeJSON writes for their API view.
func FuzzQueuedAsSubmitted(f *testing.F) {
	f.Add("+4915112345678", "queued", "", "gsm7", "hello", int64(7), 1, 0, "gsm7")
	f.Add("a\"b", "suppressed", "opted_out", "ucs2", "héllo", int64(1), 2, 3, "auto")
	f.Add("\u2028", "cancelled", "<&>", "", "\r", int64(-1), 0, 0, "")
	f.Fuzz(func(t *testing.T, to, state, reason, stored, text string, id int64, parts, total int, coding string) {
		res := queue.Enqueued{Messages: []queue.Message{
			{ID: id, To: to, State: smsgw.State(state), Reason: reason, Coding: stored, Text: text, PartsTotal: total},
			{ID: id + 1, To: reason, State: smsgw.StateQueued, Coding: coding, Text: text},
		}}
		want := httptest.NewRecorder()
		writeJSON(want, http.StatusAccepted, sendResponse(submitResult(res, "", parts, coding)))
		got := httptest.NewRecorder()
		writeQueued(got, res, parts, coding)
		if got.Body.String() != want.Body.String() || got.Code != want.Code {
			t.Fatalf("got %d %s, want %d %s", got.Code, got.Body, want.Code, want.Body)
		}
	})
}
