"""Starting a session: its row, and one outbox row per planned message.

Idempotent by construction: the session row is an upsert and every message is inserted only
if its idempotency key is new, so starting the same session twice (or after a crash, or after
editing the plan) never duplicates a message that is already queued or sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from facilitator.schedule.model import Schedule
from facilitator.store.base import SessionRecord, Store


async def record_session(
    store: Store,
    schedule: Schedule,
    plan_text: str,
    plan_file: str,
    *,
    now: datetime | None = None,
) -> None:
    """Upsert the session's row, keeping its status and creation time across restarts."""
    existing = await store.get_session(schedule.session.id)
    await store.upsert_session(
        SessionRecord(
            id=schedule.session.id,
            title=schedule.session.title,
            plan_file=plan_file,
            plan_text=plan_text,
            start=schedule.session.start,
            end=schedule.session.end,
            status=existing.status if existing is not None else "active",
            created_at=existing.created_at if existing is not None else (now or datetime.now(UTC)),
        )
    )


async def start_session(
    store: Store,
    schedule: Schedule,
    plan_text: str,
    plan_file: str,
    *,
    now: datetime | None = None,
) -> int:
    """Record the session and queue its planned messages; returns how many rows were new."""
    await record_session(store, schedule, plan_text, plan_file, now=now)
    return await store.fill_outbox(schedule.session.id, schedule.messages)
