"""`facilitator status`: per session, messages by kind and status, and every failure's reason.

`session_status` gathers the figures; `format_status_table` (rich) and `status_json` present
them. The CLI is wired elsewhere; this module only reads the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from facilitator.store.base import MessageStatus, Store, SurveyCounts
from facilitator.surveys.rates import format_rates

STATUS_ORDER = tuple(s.value for s in MessageStatus)
PROBLEM_STATUSES = (MessageStatus.FAILED.value, MessageStatus.EXPIRED.value)


@dataclass(frozen=True)
class Problem:
    """A message that did not go out (failed or expired), with why."""

    key: str
    kind: str
    recipient: str
    status: str
    reason: str
    due: datetime
    attempts: int


@dataclass(frozen=True)
class SessionStatus:
    session_id: str
    title: str
    start: datetime
    status: str
    counts: dict[str, dict[str, int]]  # kind → status → n
    problems: list[Problem] = field(default_factory=list)
    survey: SurveyCounts | None = None  # None: the session issued no survey codes

    @property
    def responses(self) -> str | None:
        """ "pre 58 of 61, post 53 of 61, both 53 of 61 (87%)", as the study reports it."""
        c = self.survey
        if c is None:
            return None
        return format_rates(c.pre, c.post, c.both, c.total, c.late_pre, c.late_post)

    @property
    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(STATUS_ORDER, 0)
        for by_status in self.counts.values():
            for status, n in by_status.items():
                out[status] = out.get(status, 0) + n
        return out


async def session_status(store: Store, session_id: str | None = None) -> list[SessionStatus]:
    """Status of one session, or of every session (oldest first) when `session_id` is None."""
    if session_id is not None:
        record = await store.get_session(session_id)
        sessions = [record] if record is not None else []
    else:
        sessions = await store.list_sessions()
    result: list[SessionStatus] = []
    for s in sessions:
        counts: dict[str, dict[str, int]] = {}
        for (kind, status), n in sorted((await store.message_counts(s.id)).items()):
            counts.setdefault(kind, {})[status] = n
        problems = [
            Problem(m.key, m.kind, m.recipient, m.status.value, m.last_error or "", m.due, m.attempts)
            for m in await store.list_messages(s.id, statuses=PROBLEM_STATUSES)
        ]
        survey = await store.survey_counts(s.id)
        result.append(
            SessionStatus(
                s.id, s.title, s.start, s.status, counts, problems, survey if survey.total else None
            )
        )
    return result


def status_json(statuses: Sequence[SessionStatus]) -> list[dict[str, Any]]:
    """JSON-safe, stable field names (for `facilitator status --json`)."""
    return [
        {
            "session": s.session_id,
            "title": s.title,
            "start": s.start.isoformat(),
            "status": s.status,
            "totals": s.totals,
            "messages": s.counts,
            "responses": None
            if s.survey is None
            else {
                "pre": s.survey.pre,
                "post": s.survey.post,
                "both": s.survey.both,
                "total": s.survey.total,
                "late_pre": s.survey.late_pre,
                "late_post": s.survey.late_post,
                "text": s.responses,
            },
            "problems": [
                {
                    "key": p.key,
                    "kind": p.kind,
                    "recipient": p.recipient,
                    "status": p.status,
                    "reason": p.reason,
                    "due": p.due.isoformat(),
                    "attempts": p.attempts,
                }
                for p in s.problems
            ],
        }
        for s in statuses
    ]


def format_status_table(statuses: Sequence[SessionStatus]) -> Group:
    """One table of counts per session, followed by its problems (if any)."""
    if not statuses:
        return Group(Text("No sessions in this database yet."))
    parts: list[Table | Text] = []
    for s in statuses:
        # The title is the plan's text: a Text, so "[she/her]" prints and "[/i]" cannot crash it.
        table = Table(title=Text(f"{s.title}  ({s.session_id}, {s.status})"), title_justify="left")
        table.add_column("kind")
        for status in STATUS_ORDER:
            table.add_column(status, justify="right")
        for kind, by_status in s.counts.items():
            table.add_row(kind, *[_cell(by_status.get(status, 0)) for status in STATUS_ORDER])
        table.add_row(Text("total", style="bold"), *[_cell(s.totals[status]) for status in STATUS_ORDER])
        parts.append(table)
        if s.responses is not None:
            parts.append(Text(f"  Survey responses: {s.responses}"))
        for p in s.problems:
            parts.append(Text(f"  {p.status}: {p.kind} to {p.recipient}: {p.reason}", style="red"))
    return Group(*parts)


def _cell(n: int) -> str:
    return str(n) if n else "·"
