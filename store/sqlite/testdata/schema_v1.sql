-- Schema version 1: outbound messages with their parts and attempts,
-- idempotent requests, inbound parts and joined inbox messages, and the
-- event outbox. Times are Unix milliseconds (UTC).

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient   TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    coding      TEXT    NOT NULL DEFAULT '',
    priority    INTEGER NOT NULL DEFAULT 0,
    send_after  INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER NOT NULL DEFAULT 0,
    route_modem TEXT    NOT NULL DEFAULT '',
    route_tags  TEXT    NOT NULL DEFAULT '',
    report      INTEGER NOT NULL DEFAULT 0,
    metadata    TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    failures    INTEGER NOT NULL DEFAULT 0,
    faults      INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    modem       TEXT    NOT NULL DEFAULT '',
    concat_ref  INTEGER NOT NULL DEFAULT -1,
    parts_total INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    error_class TEXT    NOT NULL DEFAULT '',
    error_code  INTEGER NOT NULL DEFAULT 0
);
-- The scheduler walks this covering index in priority-then-age order and
-- filters on due time and routing without touching the table.
CREATE INDEX messages_ready ON messages(priority DESC, id, next_at, route_modem, route_tags)
    WHERE state = 'queued';
CREATE INDEX messages_due ON messages(next_at) WHERE state = 'queued';
CREATE INDEX messages_expiry ON messages(expires_at) WHERE state = 'queued' AND expires_at > 0;
CREATE INDEX messages_state ON messages(state, id);
CREATE INDEX messages_recipient ON messages(recipient, id);

CREATE TABLE requests (
    key        TEXT    PRIMARY KEY,
    hash       BLOB    NOT NULL,
    first_id   INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE parts (
    message_id  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    attempt_id  INTEGER NOT NULL,
    modem       TEXT    NOT NULL,
    mr          INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'sent',
    status_code INTEGER NOT NULL DEFAULT -1,
    status_at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
CREATE INDEX parts_mr ON parts(modem, mr, sent_at);

CREATE TABLE attempts (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    modem      TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER NOT NULL DEFAULT 0,
    outcome    TEXT    NOT NULL DEFAULT '',
    error      TEXT    NOT NULL DEFAULT '',
    code       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_message ON attempts(message_id);
CREATE INDEX attempts_modem ON attempts(modem, started_at);

CREATE TABLE inbound_parts (
    id          INTEGER PRIMARY KEY,
    modem       TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    ref         INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    scts        INTEGER NOT NULL,
    digest      INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    pdu         BLOB    NOT NULL,
    inbox_id    INTEGER
);
CREATE UNIQUE INDEX inbound_parts_dedup ON inbound_parts(modem, sender, ref, seq, scts, digest);
CREATE INDEX inbound_parts_open ON inbound_parts(modem, sender, ref, total, seq) WHERE inbox_id IS NULL;
CREATE INDEX inbound_parts_age ON inbound_parts(received_at) WHERE inbox_id IS NULL;
CREATE INDEX inbound_parts_inbox ON inbound_parts(inbox_id) WHERE inbox_id IS NOT NULL;

CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    modem       TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    coding      TEXT    NOT NULL DEFAULT '',
    ref         INTEGER NOT NULL DEFAULT 0,
    parts_total INTEGER NOT NULL,
    parts_have  INTEGER NOT NULL,
    incomplete  INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    scts        INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX inbox_sender ON inbox(sender, id);
CREATE INDEX inbox_modem ON inbox(modem, id);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT    NOT NULL,
    subject_id INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    data       TEXT    NOT NULL
);
