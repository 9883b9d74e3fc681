package api_test

import (
	"fmt"
	"net/http"
	"smsgw/api"
	"strings"
	"testing"
	"time"

	"smsgw"
)

func TestSendMessage(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	r := e.Do("POST", "/v1/messages", `{"to":["+49 151 1234 5678","0151 87654321"],"text":"Hello ✓ 😀","metadata":{"k":"v"},"tags":["office"],"priority":5,"delivery_report":false}`)
	e.Want(r, http.StatusAccepted)
	var out api.SendResponse
	r.JSON(t, &out)
	if len(out.Messages) != 2 {
		t.Fatalf("messages %+v", out)
	}
	if got := out.Messages[0]; got.To != "+4915112345678" || got.State != smsgw.StateQueued || got.Coding != "ucs2" || got.Parts != 1 || got.ID == "" {
		t.Fatalf("first %+v", got)
	}
	if out.Messages[1].To != "+4915187654321" {
		t.Fatalf("national number not normalised: %+v", out.Messages[1])
	}
	m, err := e.Store.Message(t.Context(), out.Messages[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.DeliveryReport || m.Priority != 5 || m.Metadata["k"] != "v" || m.Tags[0] != "office" {
		t.Fatalf("stored %+v", m)
	}

	r = e.Do("POST", "/v1/messages", `{"to":"+15551234567","text":"`+strings.Repeat("a", 161)+`","ttl":60}`)
	e.Want(r, http.StatusAccepted)
	r.JSON(t, &out)
	if out.Messages[0].Parts != 2 || out.Messages[0].Coding != "gsm7" {
		t.Fatalf("161 GSM chars: %+v", out.Messages[0])
	}
	if loc := r.Header.Get("Location"); loc != "/v1/messages/"+out.Messages[0].ID {
		t.Fatalf("Location %q", loc)
	}
	m, _ = e.Store.Message(t.Context(), out.Messages[0].ID)
	if !m.DeliveryReport {
		t.Fatal("delivery_report should default to true")
	}
}

func TestSendMessageErrors(t *testing.T) {
	e := newEnv(t, api.Options{MaxParts: 3, MaxBodyBytes: 4096})
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name, body, ct string
		status         int
		code, field    string
	}{
		{"invalid number", `{"to":"+12ab","text":"x"}`, "", 400, api.CodeInvalidNumber, "to"},
		{"national without country", `{"to":"0151 1234567","text":"x"}`, "", 400, api.CodeInvalidNumber, "to"},
		{"too long number", `{"to":"+1234567890123456","text":"x"}`, "", 400, api.CodeInvalidNumber, "to"},
		{"second number invalid", `{"to":["+4915112345678","+"],"text":"x"}`, "", 400, api.CodeInvalidNumber, "to[1]"},
		{"no recipients", `{"to":[],"text":"x"}`, "", 400, api.CodeMissingField, "to"},
		{"to wrong type", `{"to":5,"text":"x"}`, "", 400, api.CodeInvalidField, "to"},
		{"empty text", `{"to":"+4915112345678","text":"  "}`, "", 400, api.CodeEmptyText, "text"},
		{"missing text", `{"to":"+4915112345678"}`, "", 400, api.CodeMissingField, "text"},
		{"too many parts", `{"to":"+4915112345678","text":"` + strings.Repeat("x", 153*3+1) + `"}`, "", 400, api.CodeTooManyParts, "text"},
		{"gsm7 forced on emoji", `{"to":"+4915112345678","text":"😀","encoding":"gsm7"}`, "", 400, api.CodeInvalidField, "encoding"},
		{"bad encoding", `{"to":"+4915112345678","text":"x","encoding":"latin1"}`, "", 400, api.CodeInvalidField, "encoding"},
		{"unknown field", `{"to":"+4915112345678","text":"x","colour":"red"}`, "", 400, api.CodeUnknownField, "colour"},
		{"bad json", `{"to":"+4915112345678",`, "", 400, api.CodeInvalidJSON, ""},
		{"syntax error", `{"to" "x"}`, "", 400, api.CodeInvalidJSON, ""},
		{"trailing data", `{"to":"+4915112345678","text":"x"} {}`, "", 400, api.CodeInvalidJSON, ""},
		{"not an object", `[1,2]`, "", 400, api.CodeInvalidJSON, ""},
		{"empty body", ``, "", 400, api.CodeInvalidJSON, ""},
		{"priority type", `{"to":"+4915112345678","text":"x","priority":"high"}`, "", 400, api.CodeInvalidField, "priority"},
		{"priority range", `{"to":"+4915112345678","text":"x","priority":1000}`, "", 400, api.CodeInvalidField, "priority"},
		{"bad send_at", `{"to":"+4915112345678","text":"x","send_at":"tomorrow"}`, "", 400, api.CodeInvalidField, "send_at"},
		{"expiry in past", `{"to":"+4915112345678","text":"x","expires_at":"` + past + `"}`, "", 400, api.CodeInvalidField, "expires_at"},
		{"ttl and expires_at", `{"to":"+4915112345678","text":"x","ttl":60,"expires_at":"` + future + `"}`, "", 400, api.CodeInvalidField, "ttl"},
		{"ttl too small", `{"to":"+4915112345678","text":"x","ttl":1}`, "", 400, api.CodeInvalidField, "ttl"},
		{"empty tag", `{"to":"+4915112345678","text":"x","tags":[""]}`, "", 400, api.CodeInvalidField, "tags[0]"},
		{"wrong content type", `{"to":"+4915112345678","text":"x"}`, "text/plain", 415, api.CodeUnsupportedMedia, "Content-Type"},
		{"form content type", `to=1`, "application/x-www-form-urlencoded", 415, api.CodeUnsupportedMedia, "Content-Type"},
		{"body too large", `{"to":"+4915112345678","text":"` + strings.Repeat("x", 5000) + `"}`, "", 413, api.CodeBodyTooLarge, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ct != "" {
				hdr = []string{"Content-Type", c.ct}
			}
			r := e.Do("POST", "/v1/messages", c.body, hdr...)
			e.Want(r, c.status)
			code, field := r.ErrCode(t)
			if code != c.code || field != c.field {
				t.Fatalf("error %s/%s, want %s/%s: %s", code, field, c.code, c.field, r.Body)
			}
		})
	}
	if n, _ := e.Store.Counts(t.Context()); n[smsgw.StateQueued] != 0 {
		t.Fatalf("bad requests changed the queue: %v", n)
	}
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t, api.Options{})
	body := `{"to":["+4915112345678","+4915112345679"],"text":"otp 1234"}`
	first := e.Do("POST", "/v1/messages", body, "Idempotency-Key", "k-1")
	e.Want(first, 202)
	// The same request spelled differently is the same request.
	again := e.Do("POST", "/v1/messages", `{ "text":"otp 1234", "to":["+49 151 12345678","+49-151-12345679"] }`, "Idempotency-Key", "k-1")
	e.Want(again, 202)
	if string(first.Body) != string(again.Body) {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("replay not marked")
	}
	other := e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"otp 9999"}`, "Idempotency-Key", "k-1")
	e.Want(other, 409)
	if code, field := other.ErrCode(t); code != api.CodeIdempotency || field != "Idempotency-Key" {
		t.Fatalf("%s %s", code, field)
	}
	long := e.Do("POST", "/v1/messages", body, "Idempotency-Key", strings.Repeat("k", 256))
	e.Want(long, 400)
	if n, _ := e.Store.Counts(t.Context()); n[smsgw.StateQueued] != 2 {
		t.Fatalf("queued %d, want 2", n[smsgw.StateQueued])
	}
}

func TestGetListCancel(t *testing.T) {
	e := newEnv(t, api.Options{})
	var ids []string
	for i := 0; i < 7; i++ {
		r := e.Do("POST", "/v1/messages", fmt.Sprintf(`{"to":"+491511234560%d","text":"n%d"}`, i, i))
		e.Want(r, 202)
		var out api.SendResponse
		r.JSON(t, &out)
		ids = append(ids, out.Messages[0].ID)
	}
	r := e.Do("GET", "/v1/messages/"+ids[2], nil)
	e.Want(r, 200)
	var m api.Message
	r.JSON(t, &m)
	if m.ID != ids[2] || m.Text != "n2" || m.To != "+4915112345602" {
		t.Fatalf("%+v", m)
	}
	r = e.Do("GET", "/v1/messages/999999", nil)
	e.Want(r, 404)
	if c, _ := r.ErrCode(t); c != api.CodeNotFound {
		t.Fatal(c)
	}

	// Pagination: 7 messages in pages of 3, newest first, no overlap.
	var seen []string
	cursor := ""
	pages := 0
	for {
		r := e.Do("GET", "/v1/messages?limit=3&cursor="+cursor, nil)
		e.Want(r, 200)
		var l api.MessageList
		r.JSON(t, &l)
		pages++
		for _, m := range l.Messages {
			seen = append(seen, m.ID)
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if pages != 3 || len(seen) != 7 || seen[0] != ids[6] || seen[6] != ids[0] {
		t.Fatalf("pages %d, seen %v", pages, seen)
	}

	// Cancel, then cancel again (conflict), then unknown id.
	r = e.Do("DELETE", "/v1/messages/"+ids[0], nil)
	e.Want(r, 200)
	r.JSON(t, &m)
	if m.State != smsgw.StateCancelled {
		t.Fatalf("state %s", m.State)
	}
	e.Want(e.Do("DELETE", "/v1/messages/"+ids[0], nil), 409)
	e.Want(e.Do("DELETE", "/v1/messages/424242", nil), 404)

	// Filters.
	r = e.Do("GET", "/v1/messages?state=cancelled", nil)
	e.Want(r, 200)
	var l api.MessageList
	r.JSON(t, &l)
	if len(l.Messages) != 1 || l.Messages[0].ID != ids[0] {
		t.Fatalf("state filter: %+v", l)
	}
	r = e.Do("GET", "/v1/messages?to=%2B4915112345603", nil)
	e.Want(r, 200)
	r.JSON(t, &l)
	if len(l.Messages) != 1 || l.Messages[0].ID != ids[3] {
		t.Fatalf("to filter: %+v", l)
	}
	for _, q := range []string{"state=bogus", "limit=0", "limit=x", "since=yesterday", "to=abc"} {
		r := e.Do("GET", "/v1/messages?"+q, nil)
		e.Want(r, 400)
		r.ErrCode(t)
	}
}
