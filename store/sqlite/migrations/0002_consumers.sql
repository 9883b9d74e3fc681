-- Schema version 2: per-consumer delivery state for the event outbox, so
-- each hook (webhook, script) keeps its own cursor and retry schedule.

CREATE TABLE consumers (
    name       TEXT    PRIMARY KEY,
    cursor     INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deliveries (
    consumer TEXT    NOT NULL,
    event_id INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at  INTEGER NOT NULL,
    error    TEXT    NOT NULL DEFAULT '',
    dead     INTEGER NOT NULL DEFAULT 0,
    leased   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer, event_id)
) WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries(consumer, dead, next_at, event_id);
