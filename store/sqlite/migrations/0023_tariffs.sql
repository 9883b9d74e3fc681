-- Schema version 23: per-modem tariffs set through the API (PUT
-- /v1/tariffs/{modem}), each replacing the configuration's [[tariff]] of
-- the same modem: its own price rows (JSON, may be empty: the global
-- table's prices), free parts per month, and budget caps per UTC day and
-- month (millionths of the currency's unit; NULL: no cap). Spend gains the
-- parts each message sent free, and an index for a modem's month.

CREATE TABLE tariffs (
    modem                TEXT    NOT NULL PRIMARY KEY,
    prices               TEXT    NOT NULL,
    free_parts_per_month INTEGER NOT NULL,
    budget_day           INTEGER,
    budget_month         INTEGER,
    set_at               INTEGER NOT NULL
) WITHOUT ROWID;

ALTER TABLE spend ADD COLUMN free_parts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX spend_modem_at ON spend(modem, at);
