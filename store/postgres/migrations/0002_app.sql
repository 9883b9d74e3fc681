-- Schema version 2: what the gateways of a fleet share besides the queue:
-- keyword rules and sender tags, conversations, the consent ledger and
-- each number's standing, contacts and groups, the price table and spend.
-- Times are Unix milliseconds (UTC), as in the queue's tables. Where
-- numbers, prefixes or tags are sorted or paged they compare byte by byte
-- (COLLATE "C"), whatever the database's locale, so that every gateway
-- and both drivers follow one order.

-- Rules made through the API; body is the rule as JSON (name, disabled,
-- match, actions, then).
CREATE TABLE rules (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position   bigint NOT NULL,
    body       jsonb  NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX rules_order ON rules (position, id);

CREATE TABLE sender_tags (
    number   text   NOT NULL,
    tag      text   COLLATE "C" NOT NULL,
    added_at bigint NOT NULL,
    PRIMARY KEY (number, tag)
);

-- The rules that fired on a received message, so that a message passing
-- the inbound chain again (on any gateway) reports each rule once.
CREATE TABLE rule_fired (
    inbox_id bigint NOT NULL,
    rule_id  text   NOT NULL,
    at       bigint NOT NULL,
    PRIMARY KEY (inbox_id, rule_id)
);
CREATE INDEX rule_fired_age ON rule_fired (at);

-- Conversations: one row per remote number, kept by triggers in the
-- transaction of every received, queued, deleted or purged message, so
-- that listing threads newest first costs the same with ten messages as
-- with millions, whichever gateway wrote them. The triggers run once per
-- statement over its rows, and touch the conversations in number order,
-- so two gateways enqueueing batches at once lock them in one order.
CREATE TABLE conversations (
    number      text    PRIMARY KEY,
    last_at     bigint  NOT NULL,
    last_dir    text    NOT NULL, -- 'in' or 'out'
    last_id     bigint  NOT NULL, -- the inbox id or the message id
    last_text   text    NOT NULL,
    reply_modem text    NOT NULL DEFAULT '', -- the modem that last received from number
    unread      integer NOT NULL DEFAULT 0,
    read_upto   bigint  NOT NULL DEFAULT 0   -- the highest inbox id read
);
CREATE INDEX conversations_recent ON conversations (last_at, number COLLATE "C");

-- A thread is read newest first by time from both sides.
CREATE INDEX inbox_thread ON inbox (sender, received_at, id);
CREATE INDEX messages_thread ON messages (recipient, created_at, id);

CREATE FUNCTION conversations_messages_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversations AS c (number, last_at, last_dir, last_id, last_text)
        SELECT DISTINCT ON (recipient) recipient, created_at, 'out', id, text FROM new_rows
        ORDER BY recipient, created_at DESC, id DESC
    ON CONFLICT (number) DO UPDATE SET last_at = excluded.last_at, last_dir = 'out',
        last_id = excluded.last_id, last_text = excluded.last_text
        WHERE excluded.last_at >= c.last_at;
    RETURN NULL;
END $$;

CREATE FUNCTION conversations_inbox_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversations AS c (number, last_at, last_dir, last_id, last_text, reply_modem, unread)
        SELECT sender, received_at, 'in', id, text, modem, n FROM (
            SELECT DISTINCT ON (sender) sender, received_at, id, text, modem,
                count(*) OVER (PARTITION BY sender) AS n
            FROM new_rows WHERE sender <> '' ORDER BY sender, received_at DESC, id DESC) r
        ORDER BY sender
    ON CONFLICT (number) DO UPDATE SET
        unread = c.unread + excluded.unread,
        reply_modem = excluded.reply_modem,
        last_at   = CASE WHEN c.last_at <= excluded.last_at THEN excluded.last_at   ELSE c.last_at   END,
        last_dir  = CASE WHEN c.last_at <= excluded.last_at THEN 'in'               ELSE c.last_dir  END,
        last_id   = CASE WHEN c.last_at <= excluded.last_at THEN excluded.last_id   ELSE c.last_id   END,
        last_text = CASE WHEN c.last_at <= excluded.last_at THEN excluded.last_text ELSE c.last_text END;
    RETURN NULL;
END $$;

-- conversations_refresh brings the threads of the numbers given up to
-- date after messages of theirs were deleted: a thread with nothing left
-- goes; one whose last message went shows the newest left.
CREATE FUNCTION conversations_refresh(numbers text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM conversations c WHERE c.number = ANY (numbers)
        AND NOT EXISTS (SELECT 1 FROM inbox WHERE sender = c.number)
        AND NOT EXISTS (SELECT 1 FROM messages WHERE recipient = c.number);
    UPDATE conversations c SET (last_at, last_dir, last_id, last_text) = (
        SELECT at, dir, id, text FROM (
            (SELECT received_at AS at, 'in' AS dir, id, text FROM inbox WHERE sender = c.number
                ORDER BY received_at DESC, id DESC LIMIT 1)
            UNION ALL
            (SELECT created_at, 'out', id, text FROM messages WHERE recipient = c.number
                ORDER BY created_at DESC, id DESC LIMIT 1)) l
        ORDER BY at DESC, dir DESC LIMIT 1)
    WHERE c.number = ANY (numbers) AND NOT (
        (c.last_dir = 'in' AND EXISTS (SELECT 1 FROM inbox WHERE id = c.last_id))
        OR (c.last_dir = 'out' AND EXISTS (SELECT 1 FROM messages WHERE id = c.last_id)));
END $$;

CREATE FUNCTION conversations_inbox_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A deleted message not yet read is no longer unread.
    UPDATE conversations c SET unread = greatest(c.unread - d.n, 0)
        FROM (SELECT o.sender, count(*) AS n FROM old_rows o JOIN conversations k ON k.number = o.sender
              WHERE o.id > k.read_upto GROUP BY o.sender) d
        WHERE c.number = d.sender;
    PERFORM conversations_refresh(array(SELECT DISTINCT sender FROM old_rows WHERE sender <> '' ORDER BY 1));
    RETURN NULL;
END $$;

CREATE FUNCTION conversations_messages_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM conversations_refresh(array(SELECT DISTINCT recipient FROM old_rows ORDER BY 1));
    RETURN NULL;
END $$;

CREATE TRIGGER conversations_messages_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_messages_insert();
CREATE TRIGGER conversations_inbox_insert AFTER INSERT ON inbox
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_inbox_insert();
CREATE TRIGGER conversations_messages_delete AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_messages_delete();
CREATE TRIGGER conversations_inbox_delete AFTER DELETE ON inbox
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_inbox_delete();

-- The consent ledger is append-only: each record carries the hash of the
-- one before it (see consent.Record), and triggers refuse to change,
-- delete or truncate rows, so retention never touches it and a change
-- made around the triggers is found by `smsgw consent verify`.
CREATE TABLE consent_ledger (
    seq                bigint PRIMARY KEY,
    number             text   NOT NULL,
    action             text   NOT NULL,
    at                 bigint NOT NULL,
    source             text   NOT NULL,
    inbox_id           bigint NOT NULL DEFAULT 0,
    modem              text   NOT NULL DEFAULT '',
    token              text   NOT NULL DEFAULT '',
    disclosure         text   NOT NULL DEFAULT '',
    disclosure_version text   NOT NULL DEFAULT '',
    evidence           text   NOT NULL DEFAULT '',
    prev_hash          text   NOT NULL,
    hash               text   NOT NULL
);
CREATE INDEX consent_ledger_number ON consent_ledger (number, seq);
CREATE INDEX consent_ledger_at ON consent_ledger (at, seq);

CREATE FUNCTION consent_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the consent ledger is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER consent_ledger_no_update BEFORE UPDATE OR DELETE ON consent_ledger
    FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only();
CREATE TRIGGER consent_ledger_no_truncate BEFORE TRUNCATE ON consent_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_append_only();

-- The head of the chain: the last record's seq and hash, and a count of
-- the opt-outs applied. Every append locks this one row, so gateways
-- writing at once extend one chain in turn; a claim reads optouts as its
-- mark, and StillWanted compares it to tell that no opt-out came since.
CREATE TABLE consent_head (
    id      integer PRIMARY KEY CHECK (id = 1),
    seq     bigint  NOT NULL,
    hash    text    NOT NULL,
    optouts bigint  NOT NULL
);
INSERT INTO consent_head (id, seq, hash, optouts) VALUES (1, 0, '', 0);

-- Each number's standing, kept in the transaction that appends the record
-- that set it (enqueue and claim read it). action is opt_out or opt_in,
-- or '' for a number that only asked for help; last_seq and last_inbox
-- name its latest record of any action.
CREATE TABLE consent_numbers (
    number     text   PRIMARY KEY,
    action     text   NOT NULL,
    at         bigint NOT NULL,
    source     text   NOT NULL,
    seq        bigint NOT NULL,
    last_seq   bigint NOT NULL,
    last_inbox bigint NOT NULL DEFAULT 0
);
CREATE INDEX consent_optouts ON consent_numbers (number COLLATE "C") WHERE action = 'opt_out';

-- Double opt-in requests waiting for their YES; body is consent.Pending
-- as JSON.
CREATE TABLE consent_pending (
    number     text   PRIMARY KEY,
    expires_at bigint NOT NULL,
    body       text   NOT NULL
);

-- Contacts and groups. A contact's number is unique (E.164); its free
-- fields are one JSON object; group names are unique whatever their case.
CREATE TABLE contacts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number     text   NOT NULL UNIQUE,
    name       text   NOT NULL DEFAULT '',
    fields     jsonb  NOT NULL DEFAULT '{}',
    time_zone  text   NOT NULL DEFAULT '',
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

CREATE TABLE contact_groups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text   NOT NULL,
    description text   NOT NULL DEFAULT '',
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL
);
CREATE UNIQUE INDEX contact_groups_name ON contact_groups (lower(name));

CREATE TABLE group_members (
    group_id   bigint NOT NULL REFERENCES contact_groups (id) ON DELETE CASCADE,
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX group_members_contact ON group_members (contact_id, group_id);

-- The price table set through the API (PUT /v1/prices), which replaces
-- the configuration's [[price]] tables while it exists: one row per
-- prefix, the price in millionths of the currency's unit; the marker row
-- of price_tables says a table was set (it may be empty).
CREATE TABLE price_tables (
    id     integer PRIMARY KEY CHECK (id = 1),
    set_at bigint  NOT NULL
);

CREATE TABLE prices (
    prefix         text   COLLATE "C" PRIMARY KEY,
    price_per_part bigint NOT NULL,
    currency       text   NOT NULL
);

-- What each sent message cost, at the price in force when it was sent,
-- once per message.
CREATE TABLE spend (
    message_id bigint PRIMARY KEY,
    at         bigint NOT NULL,
    modem      text   NOT NULL,
    country    text   NOT NULL,
    campaign   text   NOT NULL,
    parts      bigint NOT NULL,
    price      bigint NOT NULL,
    currency   text   NOT NULL
);
CREATE INDEX spend_at ON spend (at);
