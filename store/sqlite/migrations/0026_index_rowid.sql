-- Schema version 26: messages_state, messages_recipient and messages_thread
-- no longer name id. Every entry of an index on a table with a rowid ends
-- with the rowid, which id is: these indexes kept each message's id twice.
-- Without the copy they sort the same, (state, id), (recipient, id) and
-- (recipient, created_at, id), and serve the same queries with the same
-- plans (TestQueryPlans); their entries are 3 to 5 bytes shorter, and a
-- batch of 500 recipients writes about 3 % fewer pages to the log.

DROP INDEX messages_state;
CREATE INDEX messages_state ON messages(state);
DROP INDEX messages_recipient;
CREATE INDEX messages_recipient ON messages(recipient);
DROP INDEX messages_thread;
CREATE INDEX messages_thread ON messages(recipient, created_at);
