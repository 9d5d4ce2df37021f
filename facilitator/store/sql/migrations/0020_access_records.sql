-- 0020 (issue 11): what the web app must remember across restarts to refuse replays and
-- revoked sign-ins, and anonymous post times to the minute only.
-- None of these tables holds an identity: signatures, random session ids and hashed nonces.

-- Zoom webhook signatures accepted, with the delivery's own timestamp: a captured delivery
-- replayed after a restart is still refused while its timestamp is inside the skew window;
-- older rows are deleted because the timestamp check refuses them anyway.
CREATE TABLE zoom_webhook_seen (
    signature   TEXT PRIMARY KEY,
    request_ts  INTEGER NOT NULL
);
CREATE INDEX zoom_webhook_seen_ts ON zoom_webhook_seen (request_ts);

-- Director sessions ended by logout: their cookies are refused until they would have expired.
CREATE TABLE director_sessions_revoked (
    sid         TEXT PRIMARY KEY,
    expires     TEXT NOT NULL
);

-- One-time sign-in links made by `facilitator director-link`: the SHA-256 of the nonce only.
CREATE TABLE director_login_links (
    nonce_hash  TEXT PRIMARY KEY,
    expires     TEXT NOT NULL,
    used_at     TEXT
);

-- Anonymous posts keep their minute, never their second: an exact time could be matched
-- against a proxy log (address + time). Fixed-width UTC text: "YYYY-MM-DDTHH:MM" is 16 chars.
UPDATE contributions
SET created_at = substr(created_at, 1, 16) || ':00.000000' || substr(created_at, 27)
WHERE substr(created_at, 17, 10) != ':00.000000';
