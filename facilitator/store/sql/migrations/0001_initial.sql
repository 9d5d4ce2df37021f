-- 0001: the initial schema.
-- Datetimes are UTC ISO-8601 strings of one fixed width ("2025-03-04T15:00:00.000000+00:00"),
-- so comparing and ordering them as text is comparing and ordering instants.

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    plan_file   TEXT NOT NULL,
    plan_text   TEXT NOT NULL,
    start       TEXT NOT NULL,
    "end"       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'finished', 'cancelled')),
    created_at  TEXT NOT NULL
);

-- Zoom provisioning progress: what was created, so a restart updates instead of creating twice.
CREATE TABLE zoom_meetings (
    session_id          TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    meeting_id          INTEGER NOT NULL,
    uuid                TEXT NOT NULL,
    join_url            TEXT NOT NULL,
    host_email          TEXT NOT NULL,
    rooms_fingerprint   TEXT NOT NULL
);

CREATE TABLE zoom_registrants (
    session_id      TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    registrant_id   TEXT NOT NULL,
    join_url        TEXT NOT NULL,
    PRIMARY KEY (session_id, email)
);

-- The outbox: every outbound message is a row here before it is sent.
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    session_id          TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key                 TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL,
    audience            TEXT NOT NULL,
    recipient           TEXT NOT NULL,
    recipient_id        TEXT NOT NULL,
    channel             TEXT NOT NULL,
    template            TEXT NOT NULL,
    lane                TEXT NOT NULL CHECK (lane IN ('cue', 'bulk')),
    context             TEXT NOT NULL DEFAULT '{}',  -- JSON
    due                 TEXT NOT NULL,
    deadline            TEXT NOT NULL,
    unless_completed    TEXT CHECK (unless_completed IN ('pre', 'post')),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'expired', 'cancelled')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt        TEXT NOT NULL,
    last_error          TEXT,
    sent_at             TEXT,
    provider_id         TEXT
);

-- What the runner asks for all the time: due pending rows of a lane in due order, and the next wake-up.
CREATE INDEX outbox_pending ON outbox (lane, due, id) WHERE status = 'pending';
CREATE INDEX outbox_next ON outbox (next_attempt) WHERE status = 'pending';
CREATE INDEX outbox_session ON outbox (session_id, kind, status);
CREATE INDEX outbox_sending ON outbox (status) WHERE status = 'sending';

CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    outcome      TEXT NOT NULL
                 CHECK (outcome IN ('sent', 'retry', 'failed', 'expired', 'cancelled', 'interrupted', 'requeued')),
    error        TEXT,
    provider_id  TEXT
);
CREATE INDEX delivery_attempts_message ON delivery_attempts (message_id);

-- Pseudonymous survey codes: one per student per study, the same for pre and post.
CREATE TABLE survey_codes (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    code        TEXT NOT NULL,
    study       TEXT NOT NULL,
    PRIMARY KEY (session_id, email),
    UNIQUE (session_id, code)
);

CREATE TABLE survey_events (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('pre', 'post')),
    event       TEXT NOT NULL CHECK (event IN ('opened', 'completed')),
    at          TEXT NOT NULL
);
-- A completion counts once, however often the survey tool redirects.
CREATE UNIQUE INDEX survey_events_completed
    ON survey_events (session_id, code, kind, event) WHERE event = 'completed';

-- Anonymous contributions: session, room, text, time and moderation state only.
-- No column here may ever hold an identity (no email, Zoom id, IP address or user agent).
CREATE TABLE contributions (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    group_id    TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    hidden      INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    votes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contributions_room ON contributions (session_id, group_id, created_at);

-- One vote per (contribution, voter); the hash is opaque and chosen by the web layer.
CREATE TABLE contribution_votes (
    contribution_id  INTEGER NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    voter_hash       TEXT NOT NULL,
    PRIMARY KEY (contribution_id, voter_hash)
);

-- No foreign key: an audit entry outlives whatever it is about.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX audit_log_session ON audit_log (session_id, at);
