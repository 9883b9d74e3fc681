package api_test

import (
	"net/http"
	"smsgw/api"
	"smsgw/httpd/httpdtest"
	"testing"
	"time"
)

func TestConversationsAPI(t *testing.T) {
	e := newEnv(t, api.Options{})
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e.AddInbound("m1", "+4915112345678", "hello", t0)
	e.SendOne("+4915112345678", "hi back")
	e.AddInbound("m2", "+4915112345678", "thanks", t0.Add(time.Minute))
	e.SendOne("+4917000000001", "news")

	var list api.ConversationList
	r := e.Do("GET", "/v1/conversations", nil)
	e.Want(r, 200)
	r.JSON(t, &list)
	if len(list.Conversations) != 2 {
		t.Fatalf("list %+v", list)
	}
	var a api.ConversationSummary
	for _, c := range list.Conversations {
		if c.Number == "+4915112345678" {
			a = c
		}
	}
	if a.Unread != 2 || a.Modem != "m2" || a.LastMessage.Text != "thanks" || a.LastMessage.Direction != "in" {
		t.Fatalf("thread summary %+v", a)
	}
	r = e.Do("GET", "/v1/conversations?limit=1", nil)
	e.Want(r, 200)
	r.JSON(t, &list)
	if len(list.Conversations) != 1 || list.NextCursor == "" {
		t.Fatalf("page of one %+v", list)
	}
	r = e.Do("GET", "/v1/conversations?cursor=nonsense", nil)
	e.Want(r, 400)

	var th api.ConversationThread
	r = e.Do("GET", "/v1/conversations/%2B49%20151%2012345678", nil)
	e.Want(r, 200)
	r.JSON(t, &th)
	var texts []string
	for _, m := range th.Messages {
		texts = append(texts, m.Direction+":"+m.Text)
	}
	if len(texts) != 3 || texts[0] != "in:hello" || texts[1] != "out:hi back" || texts[2] != "in:thanks" || th.Unread != 2 {
		t.Fatalf("thread %v (unread %d)", texts, th.Unread)
	}
	if th.Messages[1].State != "queued" {
		t.Fatalf("outbound entry %+v", th.Messages[1])
	}
	// Reading marked it read.
	r = e.Do("GET", "/v1/conversations/+4915112345678", nil)
	e.Want(r, 200)
	r.JSON(t, &th)
	if th.Unread != 0 {
		t.Fatalf("unread after reading: %d", th.Unread)
	}
	r = e.Do("GET", "/v1/conversations/+4915199999999", nil)
	e.Want(r, 404)

	// A reply goes out through the modem that last received from the number.
	r = e.Do("POST", "/v1/conversations/+4915112345678", map[string]any{"text": "see you"})
	e.Want(r, http.StatusAccepted)
	var sent api.SendResponse
	r.JSON(t, &sent)
	m, err := e.Store.Message(t.Context(), sent.Messages[0].ID)
	if err != nil || m.To != "+4915112345678" {
		t.Fatalf("reply %+v, %v", m, err)
	}
	qm, err := e.Q.Get(t.Context(), httpdtest.ID(t, sent.Messages[0].ID))
	if err != nil || qm.RouteModem != "m2" {
		t.Fatalf("reply routed to %q, %v; want m2", qm.RouteModem, err)
	}
	// A number never heard from: any modem.
	r = e.Do("POST", "/v1/conversations/+4917000000001", map[string]any{"text": "more news"})
	e.Want(r, http.StatusAccepted)
	r.JSON(t, &sent)
	if qm, err := e.Q.Get(t.Context(), httpdtest.ID(t, sent.Messages[0].ID)); err != nil || qm.RouteModem != "" {
		t.Fatalf("reply to an outbound-only thread routed to %q, %v", qm.RouteModem, err)
	}
	for _, c := range []struct {
		path string
		body any
		code int
	}{
		{"/v1/conversations/+4915112345678", map[string]any{}, 400},
		{"/v1/conversations/+4915112345678", map[string]any{"text": "  "}, 400},
		{"/v1/conversations/not-a-number", map[string]any{"text": "x"}, 400},
	} {
		r := e.Do("POST", c.path, c.body)
		e.Want(r, c.code)
	}
}
