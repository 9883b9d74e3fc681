// Package postgres is the shared storage driver of a fleet: several
// gateways on one PostgreSQL database (jackc/pgx/v5, a native connection
// pool). It implements the storage interfaces of package queue
// (queue.Storage) and hooks.Registry, and runs the conformance suite of
// store/storetest.
//
//	st, err := postgres.Open(ctx, dsn, queue.Options{Node: "pi-1"}, postgres.Options{})
//	defer st.Close(ctx)
//
// Open upgrades the schema (embedded, versioned migrations applied under
// an advisory lock, so gateways starting together do not race; a database
// from a newer smsgw is refused with queue.ErrSchemaTooNew), opens the
// connection that listens for the database's notifications, and applies
// the recovery policy to this node's own interrupted attempts.
//
// Every write runs in one transaction; after its commit the gateway sends
// the notification waiters of every gateway wake on (never for a change
// that did not commit; one lost with a gateway dying right after its
// commit is made up for by a re-check every few seconds, see notify.go).
// Claims take messages with FOR UPDATE SKIP LOCKED, so gateways claiming
// at once never wait on each other or take the same message. Event ids
// follow transaction ids and readers pass only ids no running transaction
// can still commit below (see settledTop), so a consumer's cursor never
// passes an event still to be committed, and appenders take no lock.
package postgres

import (
	"smsgw/hooks"
	"smsgw/queue"
)

// The PostgreSQL store implements every storage interface of the queue and
// the webhook registry.
var (
	_ queue.Storage  = (*Store)(nil)
	_ hooks.Registry = (*Store)(nil)
)
