-- Schema version 25: a conversation no longer keeps a copy of its last
-- message's text; it is read from that message (last_dir, last_id) when
-- conversations are listed. Texts never change once stored, and the
-- delete triggers keep last_id on a message that exists. The copy made
-- every queued message write its text twice, and made the conversations
-- of a batch of 500 about an eighth of the pages its commit writes.

DROP TRIGGER conversations_inbox_insert;
DROP TRIGGER conversations_inbox_delete;
DROP TRIGGER conversations_messages_delete;
ALTER TABLE conversations DROP COLUMN last_text;

CREATE TRIGGER conversations_inbox_insert AFTER INSERT ON inbox WHEN NEW.sender <> ''
BEGIN
    INSERT INTO conversations (number, last_at, last_dir, last_id, reply_modem, unread)
        VALUES (NEW.sender, NEW.received_at, 'in', NEW.id, NEW.modem, 1)
        ON CONFLICT (number) DO UPDATE SET unread = unread + 1, reply_modem = excluded.reply_modem;
    UPDATE conversations SET last_at = NEW.received_at, last_dir = 'in', last_id = NEW.id
        WHERE number = NEW.sender AND last_at <= NEW.received_at;
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
    UPDATE conversations SET (last_at, last_dir, last_id) = (
        SELECT at, dir, id FROM (
            SELECT * FROM (SELECT received_at AS at, 'in' AS dir, id FROM inbox WHERE sender = OLD.sender
                ORDER BY received_at DESC, id DESC LIMIT 1)
            UNION ALL
            SELECT * FROM (SELECT created_at AS at, 'out' AS dir, id FROM messages WHERE recipient = OLD.sender
                ORDER BY created_at DESC, id DESC LIMIT 1))
        ORDER BY at DESC, dir DESC LIMIT 1)
        WHERE number = OLD.sender AND last_dir = 'in' AND last_id = OLD.id;
END;

CREATE TRIGGER conversations_messages_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM conversations WHERE number = OLD.recipient
        AND NOT EXISTS (SELECT 1 FROM inbox WHERE sender = OLD.recipient)
        AND NOT EXISTS (SELECT 1 FROM messages WHERE recipient = OLD.recipient);
    UPDATE conversations SET (last_at, last_dir, last_id) = (
        SELECT at, dir, id FROM (
            SELECT * FROM (SELECT received_at AS at, 'in' AS dir, id FROM inbox WHERE sender = OLD.recipient
                ORDER BY received_at DESC, id DESC LIMIT 1)
            UNION ALL
            SELECT * FROM (SELECT created_at AS at, 'out' AS dir, id FROM messages WHERE recipient = OLD.recipient
                ORDER BY created_at DESC, id DESC LIMIT 1))
        ORDER BY at DESC, dir DESC LIMIT 1)
        WHERE number = OLD.recipient AND last_dir = 'out' AND last_id = OLD.id;
END;
