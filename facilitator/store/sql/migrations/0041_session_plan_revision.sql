-- 0041: the plan revision counter. It starts at 0 and is raised whenever a session's plan
-- changes; calendar invitations use it as their SEQUENCE so clients replace the old entry.
-- (Issue 10's plan-change reconciliation adds the same column; the two are one at merge.)
ALTER TABLE sessions ADD COLUMN plan_revision INTEGER NOT NULL DEFAULT 0;
