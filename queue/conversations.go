package queue

import (
	"context"
	"time"

	"smsgw"
)

// Directions of a message in a conversation.
const (
	DirectionIn  = "in"  // received from the remote number
	DirectionOut = "out" // queued to the remote number
)

// Conversation is the thread with one remote number: every message
// received from it and queued to it.
type Conversation struct {
	Number string
	// The latest message either way.
	LastAt        time.Time
	LastDirection string // DirectionIn or DirectionOut
	LastID        int64  // its inbox id or message id
	LastText      string
	// ReplyModem is the modem that last received from Number ("" when
	// nothing was received): a reply goes out through it, so the person
	// sees the number they wrote to.
	ReplyModem string
	// Unread counts received messages not yet read (MarkRead).
	Unread int
	// Tags are the sender's tags (the rules' tag action).
	Tags []string
	// OptedOut: the number's latest consent record is an opt-out.
	OptedOut bool
}

// ConversationFilter pages through conversations or one thread.
type ConversationFilter struct {
	Cursor string // from a previous page's Next; "" for the first page
	Limit  int    // default 50, at most 1000
}

// ConversationPage is one page of conversations, newest first; Next is ""
// on the last page.
type ConversationPage struct {
	Conversations []Conversation
	Next          string
}

// ThreadEntry is one message of a thread.
type ThreadEntry struct {
	Direction string // DirectionIn or DirectionOut
	ID        int64  // the inbox id or the message id
	At        time.Time
	Text      string
	Modem     string
	State     smsgw.State // outbound messages only
}

// ThreadPage is one page of a thread: the newest messages before the
// cursor, oldest first; Next leads to older ones ("" when there are none).
type ThreadPage struct {
	Entries []ThreadEntry
	Next    string
}

// Conversations reads the messages grouped by remote number. The store
// keeps the grouping as messages are received and queued, so listing
// costs the same at any inbox size.
type Conversations interface {
	// Conversations lists threads, the most recent first.
	Conversations(ctx context.Context, f ConversationFilter) (ConversationPage, error)
	// Conversation returns one thread's summary or smsgw.ErrNotFound.
	Conversation(ctx context.Context, number string) (Conversation, error)
	// Thread pages through one number's messages, both directions merged
	// in time order (smsgw.ErrNotFound for an unknown number).
	Thread(ctx context.Context, number string, f ConversationFilter) (ThreadPage, error)
	// MarkRead marks every message received from number so far as read
	// (smsgw.ErrNotFound for an unknown number).
	MarkRead(ctx context.Context, number string) error
}
