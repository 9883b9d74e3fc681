-- Schema version 18: what each sent message cost, at the price in force
-- when it was sent (millionths of the currency's unit per part), once per
-- message.

CREATE TABLE spend (
    message_id INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    modem      TEXT    NOT NULL,
    country    TEXT    NOT NULL,
    campaign   TEXT    NOT NULL,
    parts      INTEGER NOT NULL,
    price      INTEGER NOT NULL,
    currency   TEXT    NOT NULL
);
CREATE INDEX spend_at ON spend(at);
