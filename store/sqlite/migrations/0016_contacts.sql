-- Schema version 16: contacts and groups. A contact's number is unique
-- (E.164); its free fields are one JSON object; memberships join contacts
-- and groups both ways.

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    number     TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL DEFAULT '',
    fields     TEXT    NOT NULL DEFAULT '{}',
    time_zone  TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_name ON contacts(name COLLATE NOCASE);

CREATE TABLE contact_groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id   INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    PRIMARY KEY (group_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX group_members_contact ON group_members(contact_id, group_id);
