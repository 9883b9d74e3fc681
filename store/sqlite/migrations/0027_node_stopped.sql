-- Schema version 27: a gateway stopped on purpose records when it left,
-- so the others show it stopped at once rather than alive until its beat
-- ages out. NULL while it runs: its next beat clears it.
ALTER TABLE nodes ADD COLUMN stopped_at INTEGER;
