-- Schema version 6: the number of messages in each state, kept by triggers
-- in the same transaction as every change, so that the counts behind the
-- metrics and summaries cost the same with ten messages as with a million
-- (counting the rows scanned the whole table on every scrape). Triggers,
-- not the code, keep it: every insert, state change and delete, whatever
-- statement makes it, moves the count, so it cannot drift from the rows.

CREATE TABLE state_counts (
    state TEXT    PRIMARY KEY,
    n     INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO state_counts (state, n) SELECT state, count(*) FROM messages GROUP BY state;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO state_counts (state, n) VALUES (NEW.state, 1)
        ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER messages_count_update AFTER UPDATE OF state ON messages
WHEN OLD.state IS NOT NEW.state
BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
    INSERT INTO state_counts (state, n) VALUES (NEW.state, 1)
        ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
END;
