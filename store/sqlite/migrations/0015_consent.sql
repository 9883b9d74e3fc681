-- Schema version 15: consent. The ledger is append-only: each record
-- carries the hash of the one before it (see consent.Record), and
-- triggers refuse to change or delete a row, so retention never touches it
-- and a change made around the triggers is found by `smsgw consent
-- verify`. consent_numbers is each number's standing, kept in the same
-- transaction as the ledger record that set it (the queue reads it at
-- every enqueue and claim); consent_pending holds double opt-in requests
-- waiting for their YES. Times are Unix milliseconds (UTC).

CREATE TABLE consent_ledger (
    seq                INTEGER PRIMARY KEY,
    number             TEXT    NOT NULL,
    action             TEXT    NOT NULL,
    at                 INTEGER NOT NULL,
    source             TEXT    NOT NULL,
    inbox_id           INTEGER NOT NULL DEFAULT 0,
    modem              TEXT    NOT NULL DEFAULT '',
    token              TEXT    NOT NULL DEFAULT '',
    disclosure         TEXT    NOT NULL DEFAULT '',
    disclosure_version TEXT    NOT NULL DEFAULT '',
    evidence           TEXT    NOT NULL DEFAULT '',
    prev_hash          TEXT    NOT NULL,
    hash               TEXT    NOT NULL
);
CREATE INDEX consent_ledger_number ON consent_ledger(number, seq);
CREATE INDEX consent_ledger_at ON consent_ledger(at, seq);

CREATE TRIGGER consent_ledger_no_update BEFORE UPDATE ON consent_ledger
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
CREATE TRIGGER consent_ledger_no_delete BEFORE DELETE ON consent_ledger
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;

-- action is opt_out or opt_in, or '' for a number that only asked for
-- help; last_seq and last_inbox name its latest record of any action.
CREATE TABLE consent_numbers (
    number     TEXT    PRIMARY KEY,
    action     TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL,
    last_inbox INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX consent_optouts ON consent_numbers(number) WHERE action = 'opt_out';

CREATE TABLE consent_pending (
    number     TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    body       TEXT    NOT NULL -- JSON: consent.Pending
) WITHOUT ROWID;
