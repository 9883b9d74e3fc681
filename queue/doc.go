// Package queue is smsgw's durable store and scheduler: outbound messages
// with their parts and attempts, received parts and joined inbox messages,
// delivery reports, and the event outbox that hooks consume. It is a single
// SQLite database (mattn/go-sqlite3) in WAL mode, and it knows nothing of
// modems: callers hand it decoded facts (a part's message reference, a
// report's status class, a received part's concatenation header) and raw
// PDU bytes.
//
// # Storage interfaces
//
// Outbound, Scheduler, Inbound and Outbox (together Storage) are what the
// queue's callers need from storage; Store, the SQLite code below, is the
// first driver (opened as store/sqlite), and store/storetest is the
// conformance suite every driver runs.
//
// # Lifecycle
//
//	st, err := queue.Open(path, queue.Options{JoinText: pdu.JoinText})
//	defer st.Close(ctx)
//
// Open creates or upgrades the schema (embedded, versioned migrations; a
// database from a newer smsgw is refused with ErrSchemaTooNew), applies the
// recovery policy to messages a crash left sending, and starts two
// goroutines: the committer, which owns the only writer connection and
// commits the writes waiting at each moment as one transaction (group
// commit), and the housekeeper, which expires messages and joins timed-out
// inbound parts when their deadlines come (a timer, never polling). Close
// lets submitted writes finish, stops both and closes the database.
//
// # Outbound
//
// Enqueue commits one message per recipient and returns once that is on
// disk; an idempotency key makes it safe to retry (same request: the
// original result with Replayed set; a different request: smsgw.ErrIdempotencyMismatch).
// Get, ByKey, List (cursor pagination, newest first), Cancel, Requeue,
// Counts and OldestQueued serve the API and metrics.
//
// A modem worker loops:
//
//	job, err := st.Claim(ctx, queue.ClaimOptions{Modem: id, Tags: tags})
//	// send job.Text, or only job.Resume.Missing() with job.Resume.Ref
//	st.MarkPartSent(ctx, job.AttemptID, queue.PartResult{Seq: 1, Total: 2, Ref: ref, MR: mr})
//	...
//	st.MarkSent(ctx, job.AttemptID)            // or
//	st.MarkFailed(ctx, job.AttemptID, queue.Failure{Class: queue.Temporary, Err: "+CMS ERROR: 42", Code: 42})
//	st.MarkUncertain(ctx, job.AttemptID, why)  // the last part may or may not be out (at-most-once)
//	st.Release(ctx, job.AttemptID)             // handed back before anything was sent
//
// Claim blocks until a message is ready for that modem: highest priority
// first, then oldest, due (send-after, backoff), unexpired, routed to the
// modem id or one of its tags or unrouted, and within the modem's rate
// limits. A new message wakes claimers; a later due time arms a timer.
// MarkFailed applies the retry policy: permanent errors fail at once,
// temporary ones retry with exponential backoff and jitter up to
// RetryPolicy.MaxAttempts, modem faults retry at once. A message partly sent
// by one modem is continued by that modem, which sends only the missing
// parts with the same concatenation reference (Job.Resume); it waits
// Options.ResumeAffinity for it, then any modem resends it whole.
//
// States: queued -> sending -> sent -> delivered, or failed, expired,
// cancelled, uncertain. After a crash, a message left sending goes back to
// queued with Reason "recovered" (AtLeastOnce, the default: the part on the
// wire may go twice) or becomes uncertain (AtMostOnce).
//
// ApplyReport matches a status report to a sent part by modem, message
// reference (which wraps at 256) and recipient, within ReportWindow.
//
// # Inbound
//
// AddInboundPart stores each received part (raw PDU plus the caller's
// decoded header) durably before the modem copy is deleted, ignores exact
// duplicates, and joins the message when every part is in, or after
// JoinTimeout as incomplete. Options.JoinText turns the PDUs into text. The
// inbox is read with Inbox, GetInbox (with raw PDUs) and DeleteInbox.
//
// # Events
//
// Each state change that matters outside (message.sent, .delivered,
// .failed, .expired, .cancelled, .uncertain, inbox.received) appends an
// event in the same transaction. Consumers (webhooks, scripts) register
// with AddConsumer and loop on NextEvents / AckEvent / FailEvent, each with
// its own cursor and retry schedule (DropEvent gives up on one at once),
// waking on EventsAvailable. Changed
// wakes anyone interested in any commit (server-sent events).
//
// # Retention
//
// Nothing is deleted on its own. Purge(ctx, before) removes finished
// messages, inbox messages and delivered events older than a cut-off, in
// small transactions; the daemon calls it on a schedule if configured.
//
// All methods are safe for concurrent use. Errors wrap the sentinels
// smsgw.ErrNotFound, smsgw.ErrIdempotencyMismatch, ErrNotCancellable, ErrInvalid (as a
// *ValidationError naming the field), ErrNoMessage, ErrNotClaimed,
// ErrNoMatch, ErrBadState, ErrSchemaTooNew and ErrClosed.
//
// # Durability
//
// With Options.Sync = SyncFull (the default) every call that acknowledges
// something to the outside (Enqueue, AddInboundPart, MarkPartSent,
// MarkSent, MarkFailed, ApplyReport, Cancel) returns after an fsync of the
// write-ahead log. Claims skip the fsync under AtLeastOnce: a claim lost to
// a power cut only returns the message to the queue, which is what recovery
// would do, and the first MarkPartSent makes it durable; under AtMostOnce
// claims are fsync'ed too. Checkpoints run beside the committer, never
// inside a caller's commit.
package queue
