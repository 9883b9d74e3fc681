-- Schema version 24: messages_due keeps only the queued messages due later
-- than their creation (a send-after, a retry's backoff, a requeue). A
-- message due the moment it is queued, which is most of them, is found by
-- messages_ready as soon as it is queued; leaving it out of messages_due
-- spares every such insert an index entry (a tenth of its cost, and one
-- page less in the log for a message committed alone). The claim's
-- next-due query names the same condition; while the clock stands behind
-- the creation time of messages already queued, it also looks for those
-- (see Store.dueAtCreation).

DROP INDEX messages_due;
CREATE INDEX messages_due ON messages(next_at) WHERE state = 'queued' AND next_at > created_at;
