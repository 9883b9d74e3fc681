package queue

import (
	"context"
	"time"

	"smsgw"
)

// The interfaces below are what the queue's callers (the modem workers, the
// inbound pipeline, the hook consumers, the HTTP layer) need from storage.
// A driver implements all of them over one database; every driver runs the
// conformance suite in store/storetest. They are split by who uses them, so
// a caller can ask for only the part it needs.

// Outbound is the outbound message store as the API and metrics see it.
type Outbound interface {
	// Enqueue commits one message per recipient. With an idempotency key,
	// a repeat of the same request returns the original result with
	// Replayed set, and a different request under the same key fails with
	// smsgw.ErrIdempotencyMismatch.
	Enqueue(ctx context.Context, m NewMessage) (Enqueued, error)
	// Get returns one message with its parts and attempts, or
	// smsgw.ErrNotFound.
	Get(ctx context.Context, id int64) (Message, error)
	// ByKey returns the messages enqueued under an idempotency key, in
	// request order, or smsgw.ErrNotFound.
	ByKey(ctx context.Context, key string) ([]Message, error)
	// List pages through messages, newest first.
	List(ctx context.Context, f Filter) (Page, error)
	// Cancel stops a message that has not been sent (ErrNotCancellable
	// otherwise).
	Cancel(ctx context.Context, id int64) (Message, error)
	// Requeue sends a failed, expired, cancelled or uncertain message again.
	Requeue(ctx context.Context, id int64) (Message, error)
	// Counts returns the number of messages in each state.
	Counts(ctx context.Context) (map[smsgw.State]int64, error)
	// OldestQueued returns the enqueue time of the oldest queued message
	// (the zero time when none is).
	OldestQueued(ctx context.Context) (time.Time, error)
}

// Scheduler hands queued messages to modems and records how their attempts
// end. Every Mark* call and Release takes the attempt id of a Job. A driver
// never blocks waiting for work: Claim (this package) waits on the
// Notifier between tries.
type Scheduler interface {
	// TryClaim returns the next message ready for the modem as a Job with
	// an open attempt, or an error matching ErrNoMessage when nothing is
	// ready now (a *NotReady saying when something will be, if the driver
	// knows it at no cost).
	TryClaim(ctx context.Context, co ClaimOptions) (*Job, error)
	// NextDue returns when the next message for the modem becomes ready
	// (the zero time when none is waiting).
	NextDue(ctx context.Context, co ClaimOptions) (time.Time, error)
	// MarkPartSent records one part on the wire (its reference and mr).
	MarkPartSent(ctx context.Context, attemptID int64, p PartResult) error
	// MarkSent ends the attempt with every part sent.
	MarkSent(ctx context.Context, attemptID int64, parts ...PartResult) (Message, error)
	// MarkFailed ends the attempt with an error; the retry policy decides
	// whether the message retries or fails.
	MarkFailed(ctx context.Context, attemptID int64, f Failure) (Message, error)
	// MarkUncertain ends the attempt not knowing whether the last part went
	// out; the message is not resent on its own.
	MarkUncertain(ctx context.Context, attemptID int64, errText string) (Message, error)
	// StillWanted is asked right before a claimed message's first part is
	// written to the modem: it reports whether the message may still go.
	// A message claimed before an opt-out committed (claimed ahead, while
	// the modem sent another) and refused by consent now is cancelled with
	// the refusal's reason and its attempt closed; false is then returned.
	// When no opt-out was committed since the claim it answers without
	// touching the database.
	StillWanted(ctx context.Context, job *Job) (bool, error)
	// Release hands a claimed message back before anything was sent.
	Release(ctx context.Context, attemptID int64) error
	// ApplyReport matches a status report to a sent part by modem, message
	// reference and recipient, and settles the message.
	ApplyReport(ctx context.Context, r Report) (ReportMatch, error)
}

// Inbound stores received parts, joins them into inbox messages, and keeps
// the record of SIM slots already read.
type Inbound interface {
	// AddInboundPart durably stores one received part (exact duplicates
	// and slots already read are recognised) and joins the message when it
	// is complete.
	AddInboundPart(ctx context.Context, p InboundPart) (InboundResult, error)
	// AddUndecodable stores a PDU that could not be decoded, so it can be
	// deleted from the SIM without being lost.
	AddUndecodable(ctx context.Context, u Undecodable) (InboundResult, error)
	// SlotDeleted forgets the record of a SIM slot once it was emptied.
	SlotDeleted(ctx context.Context, modem string, slot Slot) error
	// SlotsSeen forgets the records of a storage's slots that are no
	// longer occupied and returns how many it forgot.
	SlotsSeen(ctx context.Context, modem, storage string, present []int) (int64, error)
	// Sweep joins timed-out parts as incomplete messages and expires
	// messages past their deadline; it returns the next deadline.
	Sweep(ctx context.Context) (time.Time, error)
	// Inbox pages through received messages, newest first.
	Inbox(ctx context.Context, f InboxFilter) (InboxPage, error)
	// GetInbox returns one received message with its raw parts.
	GetInbox(ctx context.Context, id int64) (InboxMessage, error)
	// DeleteInbox removes one received message.
	DeleteInbox(ctx context.Context, id int64) error
}

// Outbox is the event outbox: events appended in the same transaction as
// the change they describe, delivered to each registered consumer with its
// own cursor and retry schedule.
type Outbox interface {
	// AddConsumer registers a consumer; it sees events appended from now.
	// Registering an existing name changes nothing.
	AddConsumer(ctx context.Context, name string) error
	// RemoveConsumer drops a consumer and its pending deliveries.
	RemoveConsumer(ctx context.Context, name string) error
	// Consumers lists the registered consumers.
	Consumers(ctx context.Context) ([]string, error)
	// NextEvents leases up to limit due deliveries to the consumer; when
	// none is due it returns when the next one will be.
	NextEvents(ctx context.Context, consumer string, limit int) ([]Delivery, time.Time, error)
	// AckEvent records a delivery as done.
	AckEvent(ctx context.Context, consumer string, eventID int64) error
	// FailEvent schedules a delivery's retry and returns when it will be.
	FailEvent(ctx context.Context, consumer string, eventID int64, errText string) (retryAt time.Time, err error)
	// DropEvent gives up on a delivery at once.
	DropEvent(ctx context.Context, consumer string, eventID int64, errText string) error
	// PruneEvents deletes events every consumer is done with, older than
	// before.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
	// Events reads the outbox in order, after an event id.
	Events(ctx context.Context, after int64, limit int) ([]Event, error)
}

// Notifier wakes whoever waits for a change: the modem workers (through
// Claim), the hook dispatchers, the event stream. The driver fires it after
// the commit, never before, so a waiter that takes the channel, then reads,
// then waits, misses nothing: a commit after the read closes the channel it
// holds. Every handle on one database is woken by a commit made through any
// of them (the embedded driver shares the signal among the handles of one
// file in a process; a networked driver relays the database's
// notifications), so gateways sharing a database wake each other. A
// wake-up may be spurious; a waiter reads again and takes a new channel.
// Closing the handle closes the channels it handed out.
type Notifier interface {
	// Changed returns a channel closed at the next commit of any change.
	Changed() <-chan struct{}
	// Claimable returns a channel closed at the next commit that may make
	// a message claimable (enqueued, requeued, handed back, retried).
	Claimable() <-chan struct{}
	// EventsAvailable returns a channel closed at the next commit that
	// appends an event to the outbox.
	EventsAvailable() <-chan struct{}
}

// Leases keep in-flight work with the gateway that started it. A claim
// opens an attempt owned by the store's node (Options.Node) whose lease
// runs for Options.Lease, and NextEvents leases the deliveries it hands out
// to the node for Options.EventLease; the owner renews its leases on a
// heartbeat. Another node takes back, under the recovery policy, the
// attempts of a node whose leases ran out (it died), and NextEvents hands
// out again its deliveries whose lease ran out. A node opening the
// database takes back its own at once (its previous process died), never
// another's live ones.
type Leases interface {
	// RenewLeases extends the lease of every open attempt and every
	// delivery in progress this node owns.
	RenewLeases(ctx context.Context) error
	// RecoverExpired applies the recovery policy to messages whose open
	// attempt belongs to another node and whose lease has run out, and
	// returns how many it took back.
	RecoverExpired(ctx context.Context) (int, error)
}

// Storage is everything a driver provides: the parts above over one
// database, retention, a health check, and Close.
type Storage interface {
	Outbound
	Scheduler
	Inbound
	Outbox
	Notifier
	Leases
	// Purge removes finished messages, inbox messages and delivered events
	// older than before.
	Purge(ctx context.Context, before time.Time) (Purged, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close lets submitted writes finish and releases the database,
	// bounded by ctx. It is safe to call more than once.
	Close(ctx context.Context) error
}
