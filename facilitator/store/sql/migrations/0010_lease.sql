-- 0010: the writer's lease (DESIGN invariant 8). One row per scope: today the scope is the whole
-- database ('database'); a PostgreSQL store shared by several instances will take one per session.
-- The holder renews `expires` while it runs; a row whose `expires` has passed may be taken over.
CREATE TABLE leases (
    scope       TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,      -- a random token per process: only its owner renews or releases it
    command     TEXT NOT NULL,      -- what holds it, in words ("facilitator run", "facilitator serve")
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    since       TEXT NOT NULL,
    heartbeat   TEXT NOT NULL,
    expires     TEXT NOT NULL
);
