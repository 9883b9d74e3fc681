-- Schema version 12: a modem id is the name a gateway gives its own modem,
-- so two gateways sharing a database may both have a modem "m1". Wherever
-- a modem id keys stored state it is keyed by the node (gateway) too: the
-- SIM slots already read, received parts waiting for their siblings, the
-- parts a status report is matched to, the attempts a rate limit counts,
-- and the modem a partly-sent message waits for. Rows written before have
-- no node; the next gateway to open the database takes them as its own.

ALTER TABLE messages ADD COLUMN node TEXT NOT NULL DEFAULT '';

ALTER TABLE parts ADD COLUMN node TEXT NOT NULL DEFAULT '';
DROP INDEX parts_mr;
CREATE INDEX parts_mr ON parts(node, modem, mr, sent_at);

DROP INDEX attempts_modem;
CREATE INDEX attempts_modem ON attempts(node, modem, started_at);

ALTER TABLE inbound_parts ADD COLUMN node TEXT NOT NULL DEFAULT '';
DROP INDEX inbound_parts_open;
CREATE INDEX inbound_parts_open ON inbound_parts(node, modem, sender, ref, total, seq) WHERE inbox_id IS NULL;

CREATE TABLE inbound_slots_by_node (
    node         TEXT    NOT NULL,
    modem        TEXT    NOT NULL,
    storage      TEXT    NOT NULL,
    idx          INTEGER NOT NULL,
    digest       INTEGER NOT NULL,
    committed_at INTEGER NOT NULL,
    PRIMARY KEY (node, modem, storage, idx)
) WITHOUT ROWID;
INSERT INTO inbound_slots_by_node (node, modem, storage, idx, digest, committed_at)
    SELECT '', modem, storage, idx, digest, committed_at FROM inbound_slots;
DROP TABLE inbound_slots;
ALTER TABLE inbound_slots_by_node RENAME TO inbound_slots;
