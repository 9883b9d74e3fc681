package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/queue"
)

// Conversations reads messages grouped by remote number, implemented by
// the store (queue.Conversations).
type Conversations = queue.Conversations

// ConversationMessage is one message of a conversation.
type ConversationMessage struct {
	// Direction is "in" (received from the number) or "out" (sent to it).
	Direction string    `json:"direction"`
	ID        string    `json:"id"` // the inbox id or the message id
	At        time.Time `json:"at"`
	Text      string    `json:"text"`
	Modem     string    `json:"modem,omitempty"`
	State     string    `json:"state,omitempty"` // outbound only
}

// ConversationSummary is one thread of GET /v1/conversations.
type ConversationSummary struct {
	Number      string              `json:"number"`
	LastMessage ConversationMessage `json:"last_message"`
	Unread      int                 `json:"unread"`
	// Modem is the modem a reply goes out through: the one that last
	// received from the number.
	Modem string   `json:"modem,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	// OptedOut: the number opted out (marketing does not reach it).
	OptedOut bool `json:"opted_out"`
}

// ConversationList is the answer of GET /v1/conversations.
type ConversationList struct {
	Conversations []ConversationSummary `json:"conversations"`
	NextCursor    string                `json:"next_cursor,omitempty"`
}

// ConversationThread is the answer of GET /v1/conversations/{number}:
// the thread's summary as it was before this read marked it read, and a
// page of its messages in time order (next_cursor leads to older ones).
type ConversationThread struct {
	ConversationSummary
	Messages   []ConversationMessage `json:"messages"`
	NextCursor string                `json:"next_cursor,omitempty"`
}

// replyRequest is the body of POST /v1/conversations/{number}.
type replyRequest struct {
	Text     *string `json:"text"`
	Encoding string  `json:"encoding"`
}

func (h *Handler) conversationsBackend() (Conversations, *Error) {
	if h.b.Conversations == nil {
		return nil, errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "conversations are not available in this process")
	}
	return h.b.Conversations, nil
}

func (h *Handler) conversationErr(err error) *Error {
	var ve *queue.ValidationError
	if errors.As(err, &ve) {
		return badField(ve.Field, "%s", ve.Reason)
	}
	return h.storeErr(err, "conversation")
}

func summary(c queue.Conversation) ConversationSummary {
	return ConversationSummary{Number: c.Number, Unread: c.Unread, Modem: c.ReplyModem, Tags: c.Tags, OptedOut: c.OptedOut,
		LastMessage: ConversationMessage{Direction: c.LastDirection, ID: strconv.FormatInt(c.LastID, 10),
			At: c.LastAt.UTC(), Text: c.LastText}}
}

// pathNumber reads {number}: a phone number is normalised as sends are,
// anything else (an alphanumeric sender) is taken as it is.
func (h *Handler) pathNumber(r *http.Request) string {
	n := mux.Vars(r)["number"]
	if e, err := smsgw.NormalizeE164(n, h.cc); err == nil {
		return e
	}
	return n
}

func (h *Handler) conversationFilter(r *http.Request) (queue.ConversationFilter, *Error) {
	if e := onlyParams(r, "limit", "cursor"); e != nil {
		return queue.ConversationFilter{}, e
	}
	limit, e := queryInt(r, "limit", 50, 1, 1000)
	if e != nil {
		return queue.ConversationFilter{}, e
	}
	return queue.ConversationFilter{Limit: limit, Cursor: r.URL.Query().Get("cursor")}, nil
}

func (h *Handler) listConversations(w http.ResponseWriter, r *http.Request) *Error {
	cb, e := h.conversationsBackend()
	if e != nil {
		return e
	}
	f, e := h.conversationFilter(r)
	if e != nil {
		return e
	}
	pg, err := cb.Conversations(r.Context(), f)
	if err != nil {
		return h.conversationErr(err)
	}
	out := ConversationList{Conversations: make([]ConversationSummary, 0, len(pg.Conversations)), NextCursor: pg.Next}
	for _, c := range pg.Conversations {
		out.Conversations = append(out.Conversations, summary(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getConversation(w http.ResponseWriter, r *http.Request) *Error {
	cb, e := h.conversationsBackend()
	if e != nil {
		return e
	}
	f, e := h.conversationFilter(r)
	if e != nil {
		return e
	}
	number := h.pathNumber(r)
	c, err := cb.Conversation(r.Context(), number)
	if err != nil {
		return h.conversationErr(err)
	}
	pg, err := cb.Thread(r.Context(), number, f)
	if err != nil {
		return h.conversationErr(err)
	}
	if c.Unread > 0 {
		if err := cb.MarkRead(r.Context(), number); err != nil {
			return h.conversationErr(err)
		}
	}
	out := ConversationThread{ConversationSummary: summary(c), Messages: make([]ConversationMessage, 0, len(pg.Entries)), NextCursor: pg.Next}
	for _, e := range pg.Entries {
		out.Messages = append(out.Messages, ConversationMessage{Direction: e.Direction, ID: strconv.FormatInt(e.ID, 10),
			At: e.At.UTC(), Text: e.Text, Modem: e.Modem, State: string(e.State)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// replyConversation sends a text to the number through the modem that
// last received from it, so the person sees the number they wrote to.
// A number nothing was received from is answered through any modem.
func (h *Handler) replyConversation(w http.ResponseWriter, r *http.Request) *Error {
	cb, e := h.conversationsBackend()
	if e != nil {
		return e
	}
	var req replyRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if req.Text == nil {
		return errorf(http.StatusBadRequest, CodeMissingField, "text", "text is required")
	}
	number := mux.Vars(r)["number"]
	modem := ""
	if c, err := cb.Conversation(r.Context(), h.pathNumber(r)); err == nil {
		modem = c.ReplyModem
	} else if !errors.Is(err, smsgw.ErrNotFound) {
		return h.conversationErr(err)
	}
	msgs, e := h.build(draft{to: []string{number}, text: *req.Text, modem: modem, encoding: req.Encoding, deliveryReport: true}, "number", "text")
	if e != nil {
		return e
	}
	res, err := h.b.Store.Submit(r.Context(), SubmitRequest{Messages: msgs})
	if err != nil {
		return h.storeErr(err, "message")
	}
	out := SendResponse{Batch: res.Batch, Messages: make([]SendResult, len(res.Messages))}
	for i, m := range res.Messages {
		out.Messages[i] = SendResult{ID: m.ID, To: m.To, State: m.State, Parts: m.PartCount, Coding: m.Coding}
	}
	writeJSON(w, http.StatusAccepted, out)
	return nil
}
