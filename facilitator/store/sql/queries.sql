-- Named queries for SqliteStore. Each block starts with "-- name: <name>" and runs as one statement.
-- Parameters are named (:param). Datetimes are fixed-width UTC ISO strings (see the migrations).

-- name: upsert_session
INSERT INTO sessions (id, title, plan_file, plan_text, start, "end", status, created_at)
VALUES (:id, :title, :plan_file, :plan_text, :start, :end, :status, :created_at)
ON CONFLICT (id) DO UPDATE SET
    title = excluded.title, plan_file = excluded.plan_file, plan_text = excluded.plan_text,
    start = excluded.start, "end" = excluded."end", status = excluded.status;

-- name: get_session
SELECT * FROM sessions WHERE id = :id;

-- name: list_sessions
SELECT * FROM sessions ORDER BY start, id;

-- name: load_meeting
SELECT * FROM zoom_meetings WHERE session_id = :session_id;

-- name: save_meeting
INSERT INTO zoom_meetings (session_id, meeting_id, uuid, join_url, host_email, rooms_fingerprint)
VALUES (:session_id, :meeting_id, :uuid, :join_url, :host_email, :rooms_fingerprint)
ON CONFLICT (session_id) DO UPDATE SET
    meeting_id = excluded.meeting_id, uuid = excluded.uuid, join_url = excluded.join_url,
    host_email = excluded.host_email, rooms_fingerprint = excluded.rooms_fingerprint;

-- name: load_registrants
SELECT * FROM zoom_registrants WHERE session_id = :session_id ORDER BY email;

-- name: save_registrant
INSERT INTO zoom_registrants (session_id, email, registrant_id, join_url)
VALUES (:session_id, :email, :registrant_id, :join_url)
ON CONFLICT (session_id, email) DO UPDATE SET
    registrant_id = excluded.registrant_id, join_url = excluded.join_url;

-- name: add_contribution
INSERT INTO contributions (session_id, group_id, body, created_at, hidden, votes)
VALUES (:session_id, :group_id, :body, :created_at, :hidden, 0)
RETURNING *;

-- name: list_contributions
SELECT * FROM contributions
WHERE session_id = :session_id
  AND (:group_id IS NULL OR group_id = :group_id)
  AND (:include_hidden OR hidden = 0)
ORDER BY created_at, id;

-- name: set_contribution_hidden
UPDATE contributions SET hidden = :hidden WHERE session_id = :session_id AND id = :id;

-- name: add_vote
INSERT INTO contribution_votes (contribution_id, voter_hash) VALUES (:contribution_id, :voter_hash)
ON CONFLICT DO NOTHING;

-- name: count_vote
UPDATE contributions SET votes = votes + 1 WHERE id = :contribution_id;

-- name: audit
INSERT INTO audit_log (session_id, actor, action, detail, at) VALUES (:session_id, :actor, :action, :detail, :at);

-- name: list_audit
SELECT * FROM audit_log WHERE (:session_id IS NULL OR session_id = :session_id)
ORDER BY at DESC, id DESC LIMIT :limit;

-- name: insert_message
INSERT INTO outbox (session_id, key, kind, audience, recipient, recipient_id, channel, template, lane,
                    context, due, deadline, unless_completed, status, attempts, next_attempt)
VALUES (:session_id, :key, :kind, :audience, :recipient, :recipient_id, :channel, :template, :lane,
        :context, :due, :deadline, :unless_completed, 'pending', 0, :due)
ON CONFLICT (key) DO NOTHING;

-- name: claim_due_lane
-- The index on (lane, due) WHERE pending is walked in due order; next_attempt >= due always holds,
-- so "due <= :now" bounds the walk and LIMIT stops it early.
UPDATE outbox SET status = 'sending', attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox
    WHERE status = 'pending' AND lane = :lane AND due <= :now AND next_attempt <= :now
    ORDER BY due, id
    LIMIT :limit
)
RETURNING *;

-- name: claim_due_any
UPDATE outbox SET status = 'sending', attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox
    WHERE status = 'pending' AND due <= :now AND next_attempt <= :now
    ORDER BY CASE lane WHEN 'cue' THEN 0 ELSE 1 END, due, id
    LIMIT :limit
)
RETURNING *;

-- name: mark_sent
UPDATE outbox SET status = 'sent', sent_at = :at, provider_id = :provider_id, last_error = NULL
WHERE id = :id AND status = 'sending';

-- name: mark_retry
UPDATE outbox SET status = 'pending', last_error = :error, next_attempt = max(:next_attempt, due)
WHERE id = :id AND status = 'sending';

-- name: mark_final
-- failed / expired / cancelled, from sending (the runner's decision about a claimed row).
UPDATE outbox SET status = :status, last_error = :error WHERE id = :id AND status = 'sending';

-- name: cancel_message
UPDATE outbox SET status = 'cancelled', last_error = :reason WHERE id = :id AND status = 'pending';

-- name: retry_message
UPDATE outbox SET status = 'pending', next_attempt = :next_attempt, deadline = :deadline, last_error = NULL
WHERE id = :id AND status IN ('failed', 'expired', 'cancelled');

-- name: expedite_retries
UPDATE outbox SET next_attempt = max(:now, due)
WHERE status = 'pending' AND channel = :channel AND attempts > 0 AND next_attempt > :now;

-- name: get_message
SELECT * FROM outbox WHERE id = :id;

-- name: message_by_key
SELECT * FROM outbox WHERE key = :key;

-- name: list_messages
SELECT * FROM outbox
WHERE session_id = :session_id
  AND (:kinds IS NULL OR kind IN (SELECT value FROM json_each(:kinds)))
  AND (:statuses IS NULL OR status IN (SELECT value FROM json_each(:statuses)))
ORDER BY due, id;

-- name: next_due
SELECT min(next_attempt) AS next_due FROM outbox WHERE status = 'pending';

-- name: next_due_after
-- The pending (lane, due, id) index answers this with one seek.
SELECT min(due) AS next_due FROM outbox WHERE status = 'pending' AND lane = :lane AND due > :after;

-- name: pending_between
-- A page of pending rows of a lane about to fall due, walked in (due, id) order on the same index.
SELECT * FROM outbox
WHERE status = 'pending' AND lane = :lane AND due >= :after AND due <= :until
  AND (due > :after OR id > :after_id)
ORDER BY due, id
LIMIT :limit;

-- name: sending_ids
SELECT id FROM outbox WHERE status = 'sending';

-- name: recover_sending
UPDATE outbox SET status = 'pending' WHERE status = 'sending';

-- name: message_counts
SELECT kind, status, count(*) AS n FROM outbox WHERE session_id = :session_id GROUP BY kind, status;

-- name: record_attempt
INSERT INTO delivery_attempts (message_id, at, outcome, error, provider_id)
VALUES (:message_id, :at, :outcome, :error, :provider_id);

-- name: list_attempts
SELECT * FROM delivery_attempts WHERE message_id = :message_id ORDER BY at, id;

-- name: save_survey_code
INSERT INTO survey_codes (session_id, email, code, study) VALUES (:session_id, :email, :code, :study)
ON CONFLICT (session_id, email) DO UPDATE SET code = excluded.code, study = excluded.study;

-- name: code_for
SELECT code FROM survey_codes WHERE session_id = :session_id AND email = :email;

-- name: record_survey_event
INSERT INTO survey_events (session_id, code, kind, event, at) VALUES (:session_id, :code, :kind, :event, :at)
ON CONFLICT DO NOTHING;

-- name: survey_completed
SELECT 1 FROM survey_events
WHERE session_id = :session_id AND code = :code AND kind = :kind AND event = 'completed';

-- name: survey_counts
-- Only completions by codes this session issued count: a mistyped code is not a response.
WITH done AS (
    SELECT DISTINCT e.code, e.kind
    FROM survey_events AS e
    JOIN survey_codes AS c ON c.session_id = e.session_id AND c.code = e.code
    WHERE e.session_id = :session_id AND e.event = 'completed'
)
SELECT
    (SELECT count(*) FROM survey_codes WHERE session_id = :session_id) AS total,
    (SELECT count(*) FROM done WHERE kind = 'pre') AS pre,
    (SELECT count(*) FROM done WHERE kind = 'post') AS post,
    (SELECT count(*) FROM done AS a JOIN done AS b ON a.code = b.code
      WHERE a.kind = 'pre' AND b.kind = 'post') AS both_;

-- name: get_contribution_exists
SELECT 1 FROM contributions WHERE id = :id;

-- Issue 13: facilitators mark board posts answered.
-- name: set_contribution_answered
UPDATE contributions SET answered = :answered WHERE session_id = :session_id AND id = :id;

-- issue 12: rehearsal databases, host cues, survey closing, opt-outs --------------------------

-- name: get_run_mode
SELECT mode, claimed_at FROM run_mode WHERE id = 1;

-- name: claim_run_mode
INSERT INTO run_mode (id, mode, claimed_at) VALUES (1, :mode, :claimed_at) ON CONFLICT (id) DO NOTHING;

-- name: count_settled_messages
SELECT count(*) AS n FROM outbox WHERE status = 'sent';

-- name: record_late_completion
INSERT INTO survey_late_completions (session_id, code, kind, at) VALUES (:session_id, :code, :kind, :at)
ON CONFLICT DO NOTHING;

-- name: late_survey_counts
-- Late completions by codes this session issued, and not also completed in time.
SELECT
    (SELECT count(*) FROM survey_late_completions AS l
      JOIN survey_codes AS c ON c.session_id = l.session_id AND c.code = l.code
      WHERE l.session_id = :session_id AND l.kind = 'pre') AS late_pre,
    (SELECT count(*) FROM survey_late_completions AS l
      JOIN survey_codes AS c ON c.session_id = l.session_id AND c.code = l.code
      WHERE l.session_id = :session_id AND l.kind = 'post') AS late_post;

-- name: record_opt_out
INSERT INTO opt_outs (session_id, code, at) VALUES (:session_id, :code, :at) ON CONFLICT DO NOTHING;

-- name: opted_out
SELECT 1 FROM opt_outs WHERE session_id = :session_id AND code = :code;

-- issue 10: the writer's lease, plan revisions, reconciling plan edits
-- name: get_lease
SELECT scope, holder, command, pid, host, since, heartbeat, expires FROM leases WHERE scope = :scope;

-- name: put_lease
INSERT INTO leases (scope, holder, command, pid, host, since, heartbeat, expires)
VALUES (:scope, :holder, :command, :pid, :host, :now, :now, :expires)
ON CONFLICT (scope) DO UPDATE SET
    holder = excluded.holder, command = excluded.command, pid = excluded.pid, host = excluded.host,
    since = excluded.since, heartbeat = excluded.heartbeat, expires = excluded.expires;

-- name: renew_lease
UPDATE leases SET heartbeat = :now, expires = :expires WHERE scope = :scope AND holder = :holder;

-- name: release_lease
DELETE FROM leases WHERE scope = :scope AND holder = :holder;

-- name: bump_plan_revision
UPDATE sessions SET plan_revision = plan_revision + 1 WHERE id = :id RETURNING plan_revision;

-- name: retire_pending
-- A pending row replaced by a plan edit: cancelled, its key freed for the new version.
UPDATE outbox SET status = 'cancelled', key = :retired_key, last_error = :reason
WHERE id = :id AND status = 'pending';

-- Issue 11: webhook replay memory, revoked director sessions, one-time sign-in links.

-- name: forget_webhook_signatures
DELETE FROM zoom_webhook_seen WHERE request_ts < :horizon;

-- name: remember_webhook_signature
INSERT INTO zoom_webhook_seen (signature, request_ts) VALUES (:signature, :request_ts)
ON CONFLICT DO NOTHING;

-- name: revoke_director_session
INSERT INTO director_sessions_revoked (sid, expires) VALUES (:sid, :expires)
ON CONFLICT DO NOTHING;

-- name: forget_revoked_sessions
DELETE FROM director_sessions_revoked WHERE expires < :now;

-- name: revoked_director_sessions
SELECT sid FROM director_sessions_revoked WHERE expires >= :now;

-- name: add_login_link
INSERT INTO director_login_links (nonce_hash, expires) VALUES (:nonce_hash, :expires);

-- name: use_login_link
UPDATE director_login_links SET used_at = :now
WHERE nonce_hash = :nonce_hash AND used_at IS NULL AND expires >= :now;
