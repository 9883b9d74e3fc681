-- Schema version 3: campaigns. Every outbound message may belong to a
-- campaign (its id as text, '' for none). A campaign keeps its definition
-- as JSON and its state; its audience, once launched, is expanded into
-- recipients, each moved into the queue by a feeder (on any gateway) in
-- the same transaction that records its message id, so a crash or two
-- gateways feeding at once neither lose nor duplicate one.

ALTER TABLE messages ADD COLUMN campaign text NOT NULL DEFAULT '';
CREATE INDEX messages_campaign ON messages (campaign, state) WHERE campaign <> '';

CREATE TABLE campaigns (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text    NOT NULL,
    spec        text    NOT NULL, -- JSON: campaign.Spec
    state       text    NOT NULL,
    reason      text    NOT NULL DEFAULT '',
    expanded    boolean NOT NULL DEFAULT false,
    run         integer NOT NULL DEFAULT 0,
    quote       text    NOT NULL DEFAULT '', -- JSON: campaign.Cost quoted at expansion
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL,
    launched_at bigint  NOT NULL DEFAULT 0,
    finished_at bigint  NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_active ON campaigns (id) WHERE state IN ('running', 'scheduled');

CREATE TABLE campaign_recipients (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint  NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    run         integer NOT NULL DEFAULT 0,
    number      text    NOT NULL,
    name        text    NOT NULL DEFAULT '',
    time_zone   text    NOT NULL DEFAULT '',
    text        text    NOT NULL DEFAULT '',
    parts       integer NOT NULL DEFAULT 0,
    state       text    NOT NULL,
    reason      text    NOT NULL DEFAULT '',
    message_id  bigint  NOT NULL DEFAULT 0,
    not_before  bigint  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX campaign_recipients_number ON campaign_recipients (campaign_id, run, number);
CREATE INDEX campaign_recipients_state ON campaign_recipients (campaign_id, run, state, id);
CREATE INDEX spend_campaign ON spend (campaign) WHERE campaign <> '';
