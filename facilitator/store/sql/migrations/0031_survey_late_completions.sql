-- Completion callbacks that arrive after the survey's `close` time: kept apart and reported, never
-- counted as responses (a late pre-survey would contaminate the pre/post pairing). Pseudonymous
-- code only, like survey_events.
CREATE TABLE survey_late_completions (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('pre', 'post')),
    at          TEXT NOT NULL,
    UNIQUE (session_id, code, kind)
);
