-- Schema version 5: per-modem tariffs set through the API (PUT
-- /v1/tariffs/{modem}), each replacing the configuration's [[tariff]] of
-- the same modem: its own price rows (JSON, may be empty: the global
-- table's prices), free parts per month, and budget caps per UTC day and
-- month (millionths of the currency's unit; NULL: no cap). Spend gains the
-- parts each message sent free, and an index for a modem's month.

CREATE TABLE tariffs (
    modem                text   COLLATE "C" PRIMARY KEY,
    prices               text   NOT NULL,
    free_parts_per_month bigint NOT NULL,
    budget_day           bigint,
    budget_month         bigint,
    set_at               bigint NOT NULL
);

ALTER TABLE spend ADD COLUMN free_parts bigint NOT NULL DEFAULT 0;
CREATE INDEX spend_modem_at ON spend (modem, at);
