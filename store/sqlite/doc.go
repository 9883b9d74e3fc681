// Package sqlite is the embedded storage driver, the default of a single
// gateway: one SQLite database (mattn/go-sqlite3) in WAL mode holding
// outbound messages with their parts and attempts, received parts and the
// joined inbox, SIM slot records, delivery reports and the event outbox.
// It implements the storage interfaces of package queue (queue.Storage)
// and runs the conformance suite of store/storetest.
//
//	st, err := sqlite.Open(path, queue.Options{JoinText: pdu.JoinText}, sqlite.Options{})
//	defer st.Close(ctx)
//
// Open creates or upgrades the schema (embedded, versioned migrations; a
// database from a newer smsgw is refused with queue.ErrSchemaTooNew),
// applies the recovery policy to messages a crash left sending, and starts
// the committer, which owns the only writer connection and commits the
// writes waiting at each moment as one transaction (group commit), and the
// housekeeper, which expires messages and joins timed-out inbound parts
// when their deadlines come (a timer, never polling). Close lets submitted
// writes finish, stops both and closes the database.
//
// With Options.Sync = SyncFull (the default) every call that
// acknowledges something to the outside (Enqueue, AddInboundPart,
// MarkPartSent, MarkSent, MarkFailed, ApplyReport, Cancel) returns after
// an fsync of the write-ahead log. Claims skip the fsync under AtLeastOnce:
// a claim lost to a power cut only returns the message to the queue, which
// is what recovery would do, and the first MarkPartSent makes it durable;
// under AtMostOnce claims are fsync'ed too. Where fsyncs are slow next to
// commits, a durable batch commits with synchronous = NORMAL and a caller
// of the batch fsyncs the log while the committer goes on (sync.go says
// why that is as durable as synchronous = FULL). Checkpoints run beside
// the committer, never inside a caller's commit.
//
// Two things keep a commit's cost per message low. The writer opens the
// database through a VFS of its own (walbuf.c: SQLite's unix VFS, whose
// log writes of a commit reach the kernel in one write instead of two
// per page, before the commit returns). And the state counts and
// conversations of the messages enqueued in one transaction are written
// once, before the commit or before any other request of the batch (see
// upkeep), not once per request.
package sqlite

import "smsgw/queue"

// The SQLite store is the first driver of the queue's storage interfaces.
var _ queue.Storage = (*Store)(nil)
