-- Schema version 7: webhooks registered through the API live in the
-- database (they were kept in webhooks.json beside it), so they are backed
-- up with it and seen by every gateway that shares it. The daemon imports
-- an existing webhooks.json once at start.

CREATE TABLE webhooks (
    id        TEXT PRIMARY KEY,
    url       TEXT NOT NULL,
    event     TEXT NOT NULL DEFAULT '',
    device_id TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
