"""`SqliteStore`: the default `Store`, one SQLite file in WAL mode.

Open it with `await SqliteStore.open(settings.db_path)`; migrations run at open. The outbox
methods live in `sqlite_outbox.py`, the SQL itself in `sql/`. Sessions must exist before rows
that belong to them (outbox, codes, contributions): foreign keys are on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from facilitator.store.base import (
    AuditEntry,
    Contribution,
    MeetingRecord,
    RegistrantRecord,
    SessionRecord,
    Store,
    SurveyCounts,
)
from facilitator.store.codec import (
    to_audit,
    to_contribution,
    to_meeting,
    to_registrant,
    to_session,
    ts,
)
from facilitator.store.errors import StoreOpenError
from facilitator.store.run_mode import SqliteOptOuts, SqliteRunMode
from facilitator.store.sqlite_access import SqliteAccess
from facilitator.store.sqlite_base import connect
from facilitator.store.sqlite_lease import SqliteLeases
from facilitator.store.sqlite_outbox import SqliteOutbox

__all__ = ["SqliteStore", "StoreOpenError"]

SURVEY_KINDS = ("pre", "post")
SURVEY_EVENTS = ("opened", "completed")


class SqliteStore(SqliteOutbox, SqliteRunMode, SqliteOptOuts, SqliteLeases, SqliteAccess):
    """Everything persistent, in one file. Use from one event loop; open one per process."""

    @classmethod
    async def open(cls, path: str | Path, *, check: bool = False) -> SqliteStore:
        """Open (and migrate) the file; `check` also runs SQLite's quick integrity check, so a
        damaged file is refused at start rather than failing half-way through a session."""
        store = cls(connect(path))
        if check:
            try:
                problems = [str(r[0]) for r in store._conn.execute("PRAGMA quick_check(5)").fetchall()]
            except sqlite3.DatabaseError as exc:
                problems = [str(exc)]
            if problems != ["ok"]:
                await store.close()
                lines = [x for x in "\n".join(problems).splitlines() if not x.startswith("***")]
                first = (lines or ["unknown damage"])[0]  # quick_check may report pages of it: one will do
                raise StoreOpenError(f"database {path} is damaged ({first})")
        return store

    # sessions
    async def upsert_session(self, record: SessionRecord) -> None:
        self._run(
            "upsert_session",
            {
                "id": record.id,
                "title": record.title,
                "plan_file": record.plan_file,
                "plan_text": record.plan_text,
                "start": ts(record.start),
                "end": ts(record.end),
                "status": record.status,
                "created_at": ts(record.created_at),
            },
        )

    async def get_session(self, session_id: str) -> SessionRecord | None:
        row = self._one("get_session", {"id": session_id})
        return None if row is None else to_session(row)

    async def list_sessions(self) -> list[SessionRecord]:
        return [to_session(r) for r in self._all("list_sessions")]

    async def bump_plan_revision(self, session_id: str) -> int:
        row = self._one("bump_plan_revision", {"id": session_id})
        return 0 if row is None else int(row["plan_revision"])

    # Zoom provisioning progress
    async def load_meeting(self, session_id: str) -> MeetingRecord | None:
        row = self._one("load_meeting", {"session_id": session_id})
        return None if row is None else to_meeting(row)

    async def save_meeting(self, record: MeetingRecord) -> None:
        self._run(
            "save_meeting",
            {
                "session_id": record.session_id,
                "meeting_id": record.meeting_id,
                "uuid": record.uuid,
                "join_url": record.join_url,
                "host_email": record.host_email,
                "rooms_fingerprint": record.rooms_fingerprint,
            },
        )

    async def load_registrants(self, session_id: str) -> dict[str, RegistrantRecord]:
        rows = self._all("load_registrants", {"session_id": session_id})
        return {r["email"]: to_registrant(r) for r in rows}

    async def save_registrants(self, records: Sequence[RegistrantRecord]) -> None:
        with self._tx() as conn:
            conn.executemany(
                self._sql["save_registrant"],
                [
                    {
                        "session_id": r.session_id,
                        "email": r.email,
                        "registrant_id": r.registrant_id,
                        "join_url": r.join_url,
                    }
                    for r in records
                ],
            )

    # contributions: the signature itself admits no identity
    async def add_contribution(
        self, session_id: str, group_id: str, body: str, created_at: datetime, hidden: bool
    ) -> Contribution:
        row = self._one(
            "add_contribution",
            {
                "session_id": session_id,
                "group_id": group_id,
                "body": body,
                # To the minute only: an exact time could be matched against a proxy's log
                # (address + time) to find the author of an anonymous post.
                "created_at": ts(created_at.replace(second=0, microsecond=0)),
                "hidden": int(hidden),
            },
        )
        assert row is not None  # INSERT ... RETURNING always yields the row
        return to_contribution(row)

    async def list_contributions(
        self, session_id: str, group_id: str | None = None, include_hidden: bool = False
    ) -> list[Contribution]:
        params = {"session_id": session_id, "group_id": group_id, "include_hidden": int(include_hidden)}
        return [to_contribution(r) for r in self._all("list_contributions", params)]

    async def set_contribution_hidden(self, session_id: str, contribution_id: int, hidden: bool) -> bool:
        params = {"session_id": session_id, "id": contribution_id, "hidden": int(hidden)}
        return self._run("set_contribution_hidden", params).rowcount == 1

    async def set_contribution_answered(self, session_id: str, contribution_id: int, answered: bool) -> bool:
        params = {"session_id": session_id, "id": contribution_id, "answered": int(answered)}
        return self._run("set_contribution_answered", params).rowcount == 1

    async def add_vote(self, contribution_id: int, voter_hash: str) -> bool:
        """One vote per voter per contribution; False for a repeat (or an unknown contribution)."""
        with self._tx():
            if self._one("get_contribution_exists", {"id": contribution_id}) is None:
                return False
            params = {"contribution_id": contribution_id, "voter_hash": voter_hash}
            if self._run("add_vote", params).rowcount != 1:
                return False
            self._run("count_vote", {"contribution_id": contribution_id})
        return True

    # audit log
    async def audit(self, session_id: str | None, actor: str, action: str, detail: str, at: datetime) -> None:
        params = {"session_id": session_id, "actor": actor, "action": action, "detail": detail, "at": ts(at)}
        self._run("audit", params)

    async def list_audit(self, session_id: str | None, limit: int = 100) -> list[AuditEntry]:
        return [to_audit(r) for r in self._all("list_audit", {"session_id": session_id, "limit": limit})]

    # surveys
    async def save_survey_codes(self, session_id: str, study: str, codes: Mapping[str, str]) -> None:
        params = [{"session_id": session_id, "email": e, "code": c, "study": study} for e, c in codes.items()]
        with self._tx() as conn:
            conn.executemany(self._sql["save_survey_code"], params)

    async def code_for(self, session_id: str, email: str) -> str | None:
        row = self._one("code_for", {"session_id": session_id, "email": email})
        return None if row is None else str(row["code"])

    async def record_survey_event(
        self, session_id: str, code: str, kind: str, event: str, at: datetime
    ) -> bool:
        if kind not in SURVEY_KINDS:
            raise ValueError(f"survey kind must be one of {SURVEY_KINDS}, not {kind!r}")
        if event not in SURVEY_EVENTS:
            raise ValueError(f"survey event must be one of {SURVEY_EVENTS}, not {event!r}")
        params = {"session_id": session_id, "code": code, "kind": kind, "event": event, "at": ts(at)}
        return self._run("record_survey_event", params).rowcount == 1

    async def survey_completed(self, session_id: str, code: str, kind: str) -> bool:
        return (
            self._one("survey_completed", {"session_id": session_id, "code": code, "kind": kind}) is not None
        )

    async def survey_counts(self, session_id: str) -> SurveyCounts:
        row = self._one("survey_counts", {"session_id": session_id})
        assert row is not None  # an aggregate always returns one row
        late = self._one("late_survey_counts", {"session_id": session_id})
        assert late is not None
        return SurveyCounts(
            pre=row["pre"],
            post=row["post"],
            both=row["both_"],
            total=row["total"],
            late_pre=late["late_pre"],
            late_post=late["late_post"],
        )

    async def record_late_completion(self, session_id: str, code: str, kind: str, at: datetime) -> bool:
        """Keep a completion that came after the survey closed; True the first time for this code."""
        params = {"session_id": session_id, "code": code, "kind": kind, "at": ts(at)}
        return self._run("record_late_completion", params).rowcount == 1


if TYPE_CHECKING:  # mypy proves, at no run-time cost, that SqliteStore is a complete Store

    def _is_a_store(store: SqliteStore) -> Store:
        return store
