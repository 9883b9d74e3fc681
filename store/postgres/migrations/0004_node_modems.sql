-- Schema version 4: each gateway's heartbeat also records its modems as
-- it sees them (JSON), so every gateway lists the whole fleet's modems.
ALTER TABLE nodes ADD COLUMN modems text NOT NULL DEFAULT '[]';
