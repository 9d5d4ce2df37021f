-- Students who asked for no more reminders or follow-ups, by pseudonymous survey code only.
CREATE TABLE opt_outs (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (session_id, code)
);
