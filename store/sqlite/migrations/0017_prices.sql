-- Schema version 17: the price table set through the API (PUT /v1/prices),
-- which replaces the configuration's [[price]] tables while it exists; one
-- row per prefix, the price in millionths of the currency's unit; the
-- marker row of price_tables says a table was set (it may be empty).

CREATE TABLE price_tables (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    set_at INTEGER NOT NULL
);

CREATE TABLE prices (
    prefix         TEXT    NOT NULL PRIMARY KEY,
    price_per_part INTEGER NOT NULL,
    currency       TEXT    NOT NULL
) WITHOUT ROWID;
