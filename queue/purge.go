package queue

// Purged counts what Purge deleted.
type Purged struct {
	Messages int64
	Inbox    int64
	Events   int64
}
