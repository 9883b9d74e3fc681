-- Schema version 9: keyword rules made through the API, tags that rules
-- put on senders, and conversations: one row per remote number, kept by
-- triggers in the same transaction as every received and queued message,
-- so that listing threads newest first costs the same with ten messages as
-- with millions. Times are Unix milliseconds (UTC).

CREATE TABLE rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    position   INTEGER NOT NULL,
    body       TEXT    NOT NULL, -- JSON: name, disabled, match, actions, then
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX rules_order ON rules(position, id);

CREATE TABLE sender_tags (
    number   TEXT    NOT NULL,
    tag      TEXT    NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (number, tag)
) WITHOUT ROWID;

-- Loop protection counts the auto-replies a number got in a window.
CREATE INDEX messages_auto_reply ON messages(recipient, created_at)
    WHERE metadata LIKE '%"auto_reply"%';

-- A thread is read newest first by time from both sides.
CREATE INDEX inbox_thread ON inbox(sender, received_at, id);
CREATE INDEX messages_thread ON messages(recipient, created_at, id);

CREATE TABLE conversations (
    number      TEXT    PRIMARY KEY,
    last_at     INTEGER NOT NULL,
    last_dir    TEXT    NOT NULL, -- 'in' or 'out'
    last_id     INTEGER NOT NULL, -- the inbox id or the message id
    last_text   TEXT    NOT NULL,
    reply_modem TEXT    NOT NULL DEFAULT '', -- the modem that last received from number
    unread      INTEGER NOT NULL DEFAULT 0,
    read_upto   INTEGER NOT NULL DEFAULT 0   -- the highest inbox id read
) WITHOUT ROWID;
CREATE INDEX conversations_recent ON conversations(last_at, number);

-- What was there before counts as read.
INSERT INTO conversations (number, last_at, last_dir, last_id, last_text, reply_modem, unread, read_upto)
    SELECT sender, max(received_at), 'in', id, text, modem, 0, id FROM inbox WHERE sender <> '' GROUP BY sender;
UPDATE conversations SET read_upto = (SELECT max(id) FROM inbox WHERE sender = conversations.number);
INSERT INTO conversations (number, last_at, last_dir, last_id, last_text)
    SELECT recipient, max(created_at), 'out', id, text FROM messages WHERE true GROUP BY recipient
    ON CONFLICT (number) DO UPDATE SET last_at = excluded.last_at, last_dir = 'out', last_id = excluded.last_id,
        last_text = excluded.last_text
    WHERE excluded.last_at >= conversations.last_at;

CREATE TRIGGER conversations_inbox_insert AFTER INSERT ON inbox WHEN NEW.sender <> ''
BEGIN
    INSERT INTO conversations (number, last_at, last_dir, last_id, last_text, reply_modem, unread)
        VALUES (NEW.sender, NEW.received_at, 'in', NEW.id, NEW.text, NEW.modem, 1)
        ON CONFLICT (number) DO UPDATE SET unread = unread + 1, reply_modem = excluded.reply_modem;
    UPDATE conversations SET last_at = NEW.received_at, last_dir = 'in', last_id = NEW.id, last_text = NEW.text
        WHERE number = NEW.sender AND last_at <= NEW.received_at;
END;

CREATE TRIGGER conversations_messages_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO conversations (number, last_at, last_dir, last_id, last_text)
        VALUES (NEW.recipient, NEW.created_at, 'out', NEW.id, NEW.text)
        ON CONFLICT (number) DO UPDATE SET last_at = excluded.last_at, last_dir = 'out',
            last_id = excluded.last_id, last_text = excluded.last_text
        WHERE excluded.last_at >= conversations.last_at;
END;

-- A deleted or purged message leaves the thread: the unread count and the
-- last message follow, and a thread with nothing left goes.
CREATE TRIGGER conversations_inbox_delete AFTER DELETE ON inbox WHEN OLD.sender <> ''
BEGIN
    UPDATE conversations SET unread = unread - 1
        WHERE number = OLD.sender AND OLD.id > read_upto AND unread > 0;
    DELETE FROM conversations WHERE number = OLD.sender
        AND NOT EXISTS (SELECT 1 FROM inbox WHERE sender = OLD.sender)
        AND NOT EXISTS (SELECT 1 FROM messages WHERE recipient = OLD.sender);
    UPDATE conversations SET (last_at, last_dir, last_id, last_text) = (
        SELECT at, dir, id, text FROM (
            SELECT * FROM (SELECT received_at AS at, 'in' AS dir, id, text FROM inbox WHERE sender = OLD.sender
                ORDER BY received_at DESC, id DESC LIMIT 1)
            UNION ALL
            SELECT * FROM (SELECT created_at AS at, 'out' AS dir, id, text FROM messages WHERE recipient = OLD.sender
                ORDER BY created_at DESC, id DESC LIMIT 1))
        ORDER BY at DESC, dir DESC LIMIT 1)
        WHERE number = OLD.sender AND last_dir = 'in' AND last_id = OLD.id;
END;

CREATE TRIGGER conversations_messages_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM conversations WHERE number = OLD.recipient
        AND NOT EXISTS (SELECT 1 FROM inbox WHERE sender = OLD.recipient)
        AND NOT EXISTS (SELECT 1 FROM messages WHERE recipient = OLD.recipient);
    UPDATE conversations SET (last_at, last_dir, last_id, last_text) = (
        SELECT at, dir, id, text FROM (
            SELECT * FROM (SELECT received_at AS at, 'in' AS dir, id, text FROM inbox WHERE sender = OLD.recipient
                ORDER BY received_at DESC, id DESC LIMIT 1)
            UNION ALL
            SELECT * FROM (SELECT created_at AS at, 'out' AS dir, id, text FROM messages WHERE recipient = OLD.recipient
                ORDER BY created_at DESC, id DESC LIMIT 1))
        ORDER BY at DESC, dir DESC LIMIT 1)
        WHERE number = OLD.recipient AND last_dir = 'out' AND last_id = OLD.id;
END;
