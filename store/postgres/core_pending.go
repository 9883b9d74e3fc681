package postgres

import (
	"context"
	"time"

	"smsgw"
	"smsgw/queue"
)

// Enqueue is not implemented yet.
func (s *Store) Enqueue(ctx context.Context, m queue.NewMessage) (queue.Enqueued, error) {
	return queue.Enqueued{}, notImplemented("Enqueue")
}

// Get is not implemented yet.
func (s *Store) Get(ctx context.Context, id int64) (queue.Message, error) {
	return queue.Message{}, notImplemented("Get")
}

// ByKey is not implemented yet.
func (s *Store) ByKey(ctx context.Context, key string) ([]queue.Message, error) {
	return nil, notImplemented("ByKey")
}

// List is not implemented yet.
func (s *Store) List(ctx context.Context, f queue.Filter) (queue.Page, error) {
	return queue.Page{}, notImplemented("List")
}

// Cancel is not implemented yet.
func (s *Store) Cancel(ctx context.Context, id int64) (queue.Message, error) {
	return queue.Message{}, notImplemented("Cancel")
}

// Requeue is not implemented yet.
func (s *Store) Requeue(ctx context.Context, id int64) (queue.Message, error) {
	return queue.Message{}, notImplemented("Requeue")
}

// Counts is not implemented yet.
func (s *Store) Counts(ctx context.Context) (map[smsgw.State]int64, error) {
	return nil, notImplemented("Counts")
}

// OldestQueued is not implemented yet.
func (s *Store) OldestQueued(ctx context.Context) (time.Time, error) {
	return time.Time{}, notImplemented("OldestQueued")
}

// TryClaim is not implemented yet.
func (s *Store) TryClaim(ctx context.Context, co queue.ClaimOptions) (*queue.Job, error) {
	return nil, notImplemented("TryClaim")
}

// NextDue is not implemented yet.
func (s *Store) NextDue(ctx context.Context, co queue.ClaimOptions) (time.Time, error) {
	return time.Time{}, notImplemented("NextDue")
}

// MarkPartSent is not implemented yet.
func (s *Store) MarkPartSent(ctx context.Context, attemptID int64, p queue.PartResult) error {
	return notImplemented("MarkPartSent")
}

// MarkSent is not implemented yet.
func (s *Store) MarkSent(ctx context.Context, attemptID int64, parts ...queue.PartResult) (queue.Message, error) {
	return queue.Message{}, notImplemented("MarkSent")
}

// MarkFailed is not implemented yet.
func (s *Store) MarkFailed(ctx context.Context, attemptID int64, f queue.Failure) (queue.Message, error) {
	return queue.Message{}, notImplemented("MarkFailed")
}

// MarkUncertain is not implemented yet.
func (s *Store) MarkUncertain(ctx context.Context, attemptID int64, errText string) (queue.Message, error) {
	return queue.Message{}, notImplemented("MarkUncertain")
}

// Release is not implemented yet.
func (s *Store) Release(ctx context.Context, attemptID int64) error {
	return notImplemented("Release")
}

// RecoverExpired is not implemented yet.
func (s *Store) RecoverExpired(ctx context.Context) (int, error) {
	return 0, notImplemented("RecoverExpired")
}

// Purge is not implemented yet.
func (s *Store) Purge(ctx context.Context, before time.Time) (queue.Purged, error) {
	return queue.Purged{}, notImplemented("Purge")
}
