-- Schema version 14: loop protection counts the auto-replies a number got
-- by the auto_reply mark of schema 13 (schema 9 guessed at it from the
-- metadata); and the rules that fired on a received message are kept, so
-- that a message passing the inbound chain again reports each rule once.

DROP INDEX messages_auto_reply;
CREATE INDEX messages_auto_reply ON messages(recipient, created_at) WHERE auto_reply = 1;

CREATE TABLE rule_fired (
    inbox_id INTEGER NOT NULL,
    rule_id  TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (inbox_id, rule_id)
) WITHOUT ROWID;
CREATE INDEX rule_fired_age ON rule_fired(at);
