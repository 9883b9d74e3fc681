-- Schema version 9: a gateway stopped on purpose records when it left,
-- so the others show it stopped at once rather than alive until its
-- heartbeat ages out. NULL while it runs: its next heartbeat clears it.
ALTER TABLE nodes ADD COLUMN stopped_at bigint;
