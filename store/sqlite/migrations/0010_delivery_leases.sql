-- Schema version 10: a delivery handed out to a hook consumer names the node
-- (gateway) holding it, like an attempt, so that several gateways can share
-- a database: a gateway that restarts takes back its own deliveries at once,
-- and those of another gateway only once their lease (next_at, renewed by
-- the holder's heartbeat) has run out. Deliveries leased before have no
-- node; the next gateway to open the database treats them as its own.

ALTER TABLE deliveries ADD COLUMN node TEXT NOT NULL DEFAULT '';

CREATE INDEX deliveries_leased ON deliveries(node) WHERE leased = 1;
