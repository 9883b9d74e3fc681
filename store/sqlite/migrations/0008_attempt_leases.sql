-- Schema version 8: every attempt names the node (gateway) that started it
-- and how long it stays with that node without a renewal, so that several
-- gateways can share a database: a gateway recovers its own interrupted
-- attempts when it restarts, and those of another gateway only once their
-- lease has run out. Attempts written before have no node; the next
-- gateway to open the database treats them as its own.

ALTER TABLE attempts ADD COLUMN node TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;

CREATE INDEX attempts_open ON attempts(node, lease_until) WHERE outcome = '';
