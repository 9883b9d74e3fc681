package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/queue"
)

// errNotImplemented is the answer of the parts of the driver not written
// yet: received messages, the event outbox's reading side, status reports
// and the webhook registry.
var errNotImplemented = errors.New("not implemented yet by the PostgreSQL driver")

func notImplemented(what string) error {
	return fmt.Errorf("queue: postgres: %s: %w", what, errNotImplemented)
}

// AddInboundPart is not implemented yet.
func (s *Store) AddInboundPart(ctx context.Context, p queue.InboundPart) (queue.InboundResult, error) {
	return queue.InboundResult{}, notImplemented("AddInboundPart")
}

// AddUndecodable is not implemented yet.
func (s *Store) AddUndecodable(ctx context.Context, u queue.Undecodable) (queue.InboundResult, error) {
	return queue.InboundResult{}, notImplemented("AddUndecodable")
}

// SlotDeleted is not implemented yet.
func (s *Store) SlotDeleted(ctx context.Context, modem string, slot queue.Slot) error {
	return notImplemented("SlotDeleted")
}

// SlotsSeen is not implemented yet.
func (s *Store) SlotsSeen(ctx context.Context, modem, storage string, present []int) (int64, error) {
	return 0, notImplemented("SlotsSeen")
}

// sweepInbound is Sweep's inbound half: it joins the received parts that
// waited longer than JoinTimeout as incomplete messages and returns the
// next such deadline (zero when no part waits). Until received parts are
// stored there are none to join.
func (s *Store) sweepInbound(ctx context.Context) (time.Time, error) {
	return time.Time{}, nil
}

// purgeInbound is Purge's inbound and outbox half: it deletes inbox
// messages and delivered events older than before and reports how many
// into p.
func (s *Store) purgeInbound(ctx context.Context, before time.Time, p *queue.Purged) error {
	return nil
}

// Inbox is not implemented yet.
func (s *Store) Inbox(ctx context.Context, f queue.InboxFilter) (queue.InboxPage, error) {
	return queue.InboxPage{}, notImplemented("Inbox")
}

// GetInbox is not implemented yet.
func (s *Store) GetInbox(ctx context.Context, id int64) (queue.InboxMessage, error) {
	return queue.InboxMessage{}, notImplemented("GetInbox")
}

// DeleteInbox is not implemented yet.
func (s *Store) DeleteInbox(ctx context.Context, id int64) error {
	return notImplemented("DeleteInbox")
}

// AddConsumer is not implemented yet.
func (s *Store) AddConsumer(ctx context.Context, name string) error {
	return notImplemented("AddConsumer")
}

// RemoveConsumer is not implemented yet.
func (s *Store) RemoveConsumer(ctx context.Context, name string) error {
	return notImplemented("RemoveConsumer")
}

// Consumers is not implemented yet.
func (s *Store) Consumers(ctx context.Context) ([]string, error) {
	return nil, notImplemented("Consumers")
}

// NextEvents is not implemented yet.
func (s *Store) NextEvents(ctx context.Context, consumer string, limit int) ([]queue.Delivery, time.Time, error) {
	return nil, time.Time{}, notImplemented("NextEvents")
}

// AckEvent is not implemented yet.
func (s *Store) AckEvent(ctx context.Context, consumer string, eventID int64) error {
	return notImplemented("AckEvent")
}

// FailEvent is not implemented yet.
func (s *Store) FailEvent(ctx context.Context, consumer string, eventID int64, errText string) (time.Time, error) {
	return time.Time{}, notImplemented("FailEvent")
}

// DropEvent is not implemented yet.
func (s *Store) DropEvent(ctx context.Context, consumer string, eventID int64, errText string) error {
	return notImplemented("DropEvent")
}

// PruneEvents is not implemented yet.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	return 0, notImplemented("PruneEvents")
}

// Events is not implemented yet.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]queue.Event, error) {
	return nil, notImplemented("Events")
}

// renewDeliveries is RenewLeases' outbox half: every delivery this node
// holds keeps at least until (ms).
func (s *Store) renewDeliveries(t *txn, until int64) error {
	_, err := t.exec(`UPDATE deliveries SET next_at = greatest(next_at, $1) WHERE leased AND node = $2`, until, s.opt.Node)
	return err
}

// releaseOwnDeliveries is recovery's outbox half at Open: the deliveries
// this node's previous process held (and those leased before deliveries
// had an owner) are due again at once; another node's run until their
// lease expires.
func (s *Store) releaseOwnDeliveries(t *txn) error {
	_, err := t.exec(`UPDATE deliveries SET next_at = $1, leased = false WHERE leased AND node IN ('', $2)`, t.now, s.opt.Node)
	return err
}

// settleReports moves a sent message to delivered when every part is, or
// to failed when a part failed, and returns its state. Until status
// reports are recorded no part has a status to settle on.
func (t *txn) settleReports(id int64) (smsgw.State, error) {
	return smsgw.StateSent, nil
}

// ApplyReport is not implemented yet.
func (s *Store) ApplyReport(ctx context.Context, r queue.Report) (queue.ReportMatch, error) {
	return queue.ReportMatch{}, notImplemented("ApplyReport")
}

// Webhooks is not implemented yet.
func (s *Store) Webhooks(ctx context.Context) ([]hooks.Registration, error) {
	return nil, notImplemented("Webhooks")
}

// PutWebhook is not implemented yet.
func (s *Store) PutWebhook(ctx context.Context, r hooks.Registration) error {
	return notImplemented("PutWebhook")
}

// DeleteWebhook is not implemented yet.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return notImplemented("DeleteWebhook")
}
