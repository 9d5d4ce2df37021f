"""Small builders for store and delivery tests: sessions, planned messages, schedules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from facilitator.schedule.model import (
    Audience,
    Lane,
    MessageKind,
    PlannedMessage,
    Rotation,
    Schedule,
    SessionSummary,
)
from facilitator.store.base import SessionRecord
from facilitator.store.sqlite import SqliteStore

T0 = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
SESSION = "shared-living-2025-03-04"


async def open_store(tmp_path: Path, name: str = "facilitator.db") -> SqliteStore:
    return await SqliteStore.open(tmp_path / name)


def session_record(session_id: str = SESSION, start: datetime = T0) -> SessionRecord:
    return SessionRecord(
        id=session_id,
        title="Shared Living Experiences",
        plan_file="session_plans/shared-living-experiences.yaml",
        plan_text="title: Shared Living Experiences\n",
        start=start,
        end=start + timedelta(hours=2),
        status="active",
        created_at=start - timedelta(days=2),
    )


async def store_with_session(tmp_path: Path, session_id: str = SESSION) -> SqliteStore:
    store = await open_store(tmp_path)
    await store.upsert_session(session_record(session_id))
    return store


def planned(
    key: str,
    *,
    due: datetime = T0,
    kind: MessageKind = MessageKind.INVITATION,
    lane: Lane = Lane.BULK,
    channel: str = "email",
    recipient: str | None = None,
    deadline: datetime | None = None,
    template: str | None = None,
    context: dict[str, Any] | None = None,
    unless_completed: str | None = None,
) -> PlannedMessage:
    is_cue = lane is Lane.CUE
    return PlannedMessage(
        key=key,
        kind=kind,
        audience=Audience.FACILITATOR if is_cue else Audience.STUDENT,
        recipient=recipient or f"{key.replace('/', '-')}@example.edu",
        recipient_id="dr-okafor" if is_cue else (recipient or f"{key.replace('/', '-')}@example.edu"),
        channel=channel,
        template=template or str(kind),
        due=due,
        deadline=deadline or (due + (timedelta(minutes=2) if is_cue else timedelta(days=1))),
        lane=lane,
        context=context if context is not None else {"name": "Ada Student", "room": "Group 1"},
        unless_completed=unless_completed,
    )


def bulk(n: int, *, due: datetime = T0, prefix: str = "invite", **kw: Any) -> list[PlannedMessage]:
    return [planned(f"{SESSION}/{prefix}/{i:04d}", due=due, **kw) for i in range(n)]


def cue(name: str, *, due: datetime = T0, **kw: Any) -> PlannedMessage:
    return planned(
        f"{SESSION}/move_now/{name}",
        due=due,
        kind=MessageKind.MOVE_NOW,
        lane=Lane.CUE,
        recipient=f"{name}@example.edu",
        **kw,
    )


def schedule_of(
    messages: Sequence[PlannedMessage], session_id: str = SESSION, start: datetime = T0
) -> Schedule:
    """A schedule carrying only what the outbox reads: the session summary and the messages."""
    return Schedule(
        session=SessionSummary(
            id=session_id,
            title="Shared Living Experiences",
            start=start,
            end=start + timedelta(hours=2),
            timezone="America/New_York",
            study="sle-2025",
            host_email="host@example.edu",
            zoom={},
        ),
        timeline=(),
        facilitators=(),
        students=(),
        groups=(),
        rotation=Rotation(lower_bound=0, optimal=True, slots=()),
        messages=tuple(messages),
    )
