-- Schema version 11: binary and class messages. An outbound message may
-- carry 8-bit data instead of text, a client's own user data header, an
-- application port pair, a message class and TP-PID; a received one keeps
-- the 8-bit data, port and class it arrived with. -1 means absent; rows
-- written before are plain text messages.

ALTER TABLE messages ADD COLUMN data BLOB;
ALTER TABLE messages ADD COLUMN udh BLOB;
ALTER TABLE messages ADD COLUMN dst_port INTEGER NOT NULL DEFAULT -1;
ALTER TABLE messages ADD COLUMN src_port INTEGER NOT NULL DEFAULT -1;
ALTER TABLE messages ADD COLUMN class INTEGER NOT NULL DEFAULT -1;
ALTER TABLE messages ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;

ALTER TABLE inbox ADD COLUMN data BLOB;
ALTER TABLE inbox ADD COLUMN dst_port INTEGER NOT NULL DEFAULT -1;
ALTER TABLE inbox ADD COLUMN src_port INTEGER NOT NULL DEFAULT -1;
ALTER TABLE inbox ADD COLUMN class INTEGER NOT NULL DEFAULT -1;
