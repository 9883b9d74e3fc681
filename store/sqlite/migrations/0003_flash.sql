-- Schema version 3: flash (class 0) messages, shown on the screen and not
-- stored by the phone.

ALTER TABLE messages ADD COLUMN flash INTEGER NOT NULL DEFAULT 0;
