-- Which kind of run a database belongs to: 'simulated' (a rehearsal against the Zoom simulator
-- and a local mail server) or 'real'. The first run claims it; a real run refuses a rehearsal's
-- file, because the simulated sends are recorded as sent and would never be sent for real.
CREATE TABLE run_mode (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    mode        TEXT NOT NULL CHECK (mode IN ('simulated', 'real')),
    claimed_at  TEXT NOT NULL
);
