-- Schema version 19: campaigns. Every outbound message may belong to a
-- campaign (its id as text, '' for none). A campaign keeps its definition
-- as JSON and its state; its audience, once launched, is expanded into
-- recipients, each moved into the queue by the feeder in the same
-- transaction that records its message id, so a crash mid-launch neither
-- loses nor duplicates one.

ALTER TABLE messages ADD COLUMN campaign TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_campaign ON messages(campaign, state) WHERE campaign != '';

CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    spec        TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    expanded    INTEGER NOT NULL DEFAULT 0,
    run         INTEGER NOT NULL DEFAULT 0,
    quote       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    launched_at INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_state ON campaigns(state);

CREATE TABLE campaign_recipients (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    run         INTEGER NOT NULL DEFAULT 0,
    number      TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    time_zone   TEXT    NOT NULL DEFAULT '',
    text        TEXT    NOT NULL DEFAULT '',
    parts       INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    message_id  INTEGER NOT NULL DEFAULT 0,
    not_before  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX campaign_recipients_number ON campaign_recipients(campaign_id, run, number);
CREATE INDEX campaign_recipients_state ON campaign_recipients(campaign_id, run, state, id);
CREATE INDEX spend_campaign ON spend(campaign) WHERE campaign != '';
