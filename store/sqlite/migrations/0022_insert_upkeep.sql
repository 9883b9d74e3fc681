-- Schema version 22: inserting a message runs no trigger. The state counts
-- (schema 6) and the conversations (schema 9) of inserted messages are kept
-- by the statement that inserts them, one statement each per request (see
-- wtx.inserted), in the same transaction: a per-row trigger program cost
-- each queued message more than its row and its five indexes together.
-- Updates and deletes still move both by trigger.

DROP TRIGGER messages_count_insert;
DROP TRIGGER conversations_messages_insert;
