-- Schema version 8: event ids in transaction order, without a lock.
--
-- Until now every transaction appending events held an advisory lock from
-- its insert to its commit, so that ids came out in commit order: every
-- such commit in the fleet waited for the previous one's WAL flush. Now an
-- event records the id of its transaction (xid) and its id is derived from
-- it: id = xid * 2^20 + its place in the transaction (see appendEvent in
-- tx.go). Ids therefore follow transaction ids, and readers take only
-- events whose transaction is older than every transaction still running
-- (xid < pg_snapshot_xmin(pg_current_snapshot())): any transaction that
-- commits later has a larger xid, so its events get larger ids than any a
-- reader has passed. Appenders never wait for each other.
--
-- The identity default goes: a gateway of an older version still running
-- on this database fails to append (a not-null violation) rather than
-- writing ids out of order.

ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE events ALTER COLUMN id DROP IDENTITY IF EXISTS;

-- Existing events keep their ids; new ones must come after them. Ids of
-- the old scheme count events, far below xid * 2^20, but check.
DO $$
BEGIN
    IF (SELECT coalesce(max(id), 0) FROM events) >= (pg_current_xact_id()::text::bigint << 20) THEN
        RAISE EXCEPTION 'events: ids above the transaction-ordered range; prune the outbox first';
    END IF;
END
$$;
