// Package queue is smsgw's outbound, inbound and event-outbox domain: the
// types of messages with their parts and attempts, received parts and
// joined inbox messages, delivery reports and events; the retry policy;
// and the storage interfaces (Outbound, Scheduler, Inbound, Outbox,
// together Storage) that a driver implements. It knows nothing of modems:
// callers hand it decoded facts (a part's message reference, a report's
// status class, a received part's concatenation header) and raw PDU bytes.
// It knows no database either: store/sqlite is the embedded driver, and
// store/storetest the conformance suite every driver runs.
//
//	st, err := sqlite.Open(path, queue.Options{JoinText: pdu.JoinText}, sqlite.Options{})
//	defer st.Close(ctx)
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
//	job, err := queue.Claim(ctx, st, queue.ClaimOptions{Modem: id, Tags: tags})
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
// limits. A new message wakes claimers (the driver's Notifier); a later due
// time arms a timer. The driver itself never waits: TryClaim and NextDue
// answer at once, and Claim does the waiting.
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
// waking on the Notifier's EventsAvailable. Changed wakes anyone
// interested in any commit (server-sent events).
//
// # Retention
//
// Nothing is deleted on its own. Purge(ctx, before) removes finished
// messages, inbox messages and delivered events older than a cut-off, in
// small transactions; the daemon calls it on a schedule if configured.
//
// A Storage is safe for concurrent use. Its errors wrap the sentinels
// smsgw.ErrNotFound, smsgw.ErrIdempotencyMismatch, ErrNotCancellable, ErrInvalid (as a
// *ValidationError naming the field), ErrNoMessage, ErrNotClaimed,
// ErrNoMatch, ErrBadState, ErrSchemaTooNew and ErrClosed.
package queue
