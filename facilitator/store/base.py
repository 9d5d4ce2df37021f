"""The narrow persistence interface. SQL lives only in implementations (`store/sqlite.py`).

Everything the rest of the code persists goes through `Store`. Keeping it small and typed is
what lets a PostgreSQL implementation be added later without touching callers.
Anonymous contributions (DESIGN invariant 4) have no field that could hold an identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SessionRecord:
    id: str
    title: str
    plan_file: str
    plan_text: str
    start: datetime
    end: datetime
    status: str  # "active" | "finished" | "cancelled"
    created_at: datetime


@dataclass(frozen=True)
class MeetingRecord:
    """The Zoom meeting provisioned for a session."""

    session_id: str
    meeting_id: int
    uuid: str
    join_url: str
    host_email: str
    rooms_fingerprint: str  # hash of the pre-assignment last sent, to know when to PATCH


@dataclass(frozen=True)
class RegistrantRecord:
    session_id: str
    email: str
    registrant_id: str
    join_url: str


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    session_id: str
    key: str  # idempotency key, unique
    kind: str
    audience: str
    recipient: str
    recipient_id: str
    channel: str
    template: str
    lane: str
    context: Mapping[str, Any]
    due: datetime
    deadline: datetime
    unless_completed: str | None
    status: MessageStatus
    attempts: int
    next_attempt: datetime
    last_error: str | None
    sent_at: datetime | None
    provider_id: str | None


@dataclass(frozen=True)
class Contribution:
    id: int
    session_id: str
    group_id: str
    body: str
    created_at: datetime
    hidden: bool  # hidden by moderation (or awaiting approval when the plan moderates)
    votes: int


class Store(Protocol):
    """Persistence for sessions, provisioning, the outbox, surveys, contributions and audit."""

    # sessions
    async def upsert_session(self, record: SessionRecord) -> None: ...
    async def get_session(self, session_id: str) -> SessionRecord | None: ...
    async def list_sessions(self) -> list[SessionRecord]: ...

    # Zoom provisioning progress
    async def load_meeting(self, session_id: str) -> MeetingRecord | None: ...
    async def save_meeting(self, record: MeetingRecord) -> None: ...
    async def load_registrants(self, session_id: str) -> dict[str, RegistrantRecord]: ...
    async def save_registrants(self, records: Sequence[RegistrantRecord]) -> None: ...

    # contributions (anonymous: no identity is ever passed in)
    async def add_contribution(
        self, session_id: str, group_id: str, body: str, created_at: datetime, hidden: bool
    ) -> Contribution: ...
    async def list_contributions(
        self, session_id: str, group_id: str | None = None, include_hidden: bool = False
    ) -> list[Contribution]: ...
    async def set_contribution_hidden(self, session_id: str, contribution_id: int, hidden: bool) -> bool: ...
    async def add_vote(self, contribution_id: int, voter_hash: str) -> bool: ...

    # audit log
    async def audit(self, session_id: str | None, actor: str, action: str, detail: str, at: datetime) -> None: ...

    async def close(self) -> None: ...
