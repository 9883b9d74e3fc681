-- Schema version 21: the register of the gateways sharing the database.
-- Each gateway beats every third of its lease, writing when it beat and
-- its modems as it sees them (JSON), so every gateway can show the whole
-- fleet's modems and tell which gateways are alive.
CREATE TABLE nodes (
    name    TEXT    PRIMARY KEY,
    beat_at INTEGER NOT NULL,
    modems  TEXT    NOT NULL DEFAULT '[]'
) WITHOUT ROWID;
