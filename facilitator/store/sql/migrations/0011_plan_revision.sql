-- 0011: how many plan edits have been applied to a session (reconciled, DESIGN invariant 9).
-- Calendar invitations use it as their iCalendar SEQUENCE.
ALTER TABLE sessions ADD COLUMN plan_revision INTEGER NOT NULL DEFAULT 0;
