-- Schema version 13: every outbound message has a category, which decides
-- how consent treats it (an opted-out number receives no marketing), and
-- a mark for the answers the gateway sends on its own to a received
-- message, which keyword rules never answer. Messages written before are
-- transactional, as plain API sends are.

ALTER TABLE messages ADD COLUMN category TEXT NOT NULL DEFAULT 'transactional';
ALTER TABLE messages ADD COLUMN auto_reply INTEGER NOT NULL DEFAULT 0;
