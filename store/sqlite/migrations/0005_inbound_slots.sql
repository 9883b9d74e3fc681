-- Schema version 5: inbound de-duplication by storage slot, not content.
-- Two deliveries with the same sender, text and time stamp are two
-- messages; only a SIM slot read again before its delete was confirmed is
-- the same message. inbound_slots holds one row per slot committed and not
-- yet deleted from the modem; the row goes when the delete is confirmed,
-- and deleting an inbox message leaves it alone.

DROP INDEX inbound_parts_dedup;

CREATE TABLE inbound_slots (
    modem        TEXT    NOT NULL,
    storage      TEXT    NOT NULL,
    idx          INTEGER NOT NULL,
    digest       INTEGER NOT NULL,
    committed_at INTEGER NOT NULL,
    PRIMARY KEY (modem, storage, idx)
) WITHOUT ROWID;

-- What the lenient decoder found odd in a part, one item a line.
ALTER TABLE inbound_parts ADD COLUMN defects TEXT NOT NULL DEFAULT '';

-- Inbox rows for received PDUs no decoder could read: committed raw (hex
-- text as the modem printed it) with the slot they came from.
ALTER TABLE inbox ADD COLUMN undecodable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN pdu         TEXT    NOT NULL DEFAULT '';
ALTER TABLE inbox ADD COLUMN storage     TEXT    NOT NULL DEFAULT '';
ALTER TABLE inbox ADD COLUMN slot        INTEGER NOT NULL DEFAULT -1;
ALTER TABLE inbox ADD COLUMN defects     TEXT    NOT NULL DEFAULT '';
