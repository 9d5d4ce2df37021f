"""The narrow persistence interface. SQL lives only in implementations (`store/sqlite.py`).

Everything the rest of the code persists goes through `Store`. Keeping it small and typed is
what lets a PostgreSQL implementation be added later without touching callers.
Anonymous contributions (DESIGN invariant 4) have no field that could hold an identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from facilitator.schedule.model import PlannedMessage
from facilitator.store.lease import DATABASE_SCOPE, DEFAULT_TTL, LeaseRecord


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
    plan_revision: int = 0  # plan edits applied so far (reconcile.py); an iCalendar SEQUENCE too


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
    answered: bool = False  # a facilitator marked it answered (shown on the board)


@dataclass(frozen=True)
class DeliveryAttempt:
    """One try at delivering an outbox row (or a state change the runner made on its behalf)."""

    id: int
    message_id: int
    at: datetime
    outcome: str  # sent | retry | failed | expired | cancelled | interrupted | requeued
    error: str | None
    provider_id: str | None


@dataclass(frozen=True)
class SurveyCounts:
    """Survey completions of one session: students with a completed pre, post, and both."""

    pre: int
    post: int
    both: int
    total: int  # students with a survey code
    late_pre: int = 0  # completions after the survey closed: reported, never counted above
    late_post: int = 0


@dataclass(frozen=True)
class AuditEntry:
    id: int
    session_id: str | None
    actor: str
    action: str
    detail: str
    at: datetime


class Store(Protocol):
    """Persistence for sessions, provisioning, the outbox, surveys, contributions and audit."""

    # sessions
    async def upsert_session(self, record: SessionRecord) -> None: ...
    async def get_session(self, session_id: str) -> SessionRecord | None: ...
    async def list_sessions(self) -> list[SessionRecord]: ...
    async def bump_plan_revision(self, session_id: str) -> int:
        """A plan edit was applied: the session's revision goes up by one; returns the new one."""
        ...

    async def replace_pending(
        self, message_id: int, retired_key: str, reason: str, new: PlannedMessage, at: datetime
    ) -> bool:
        """In one transaction: a pending row is cancelled (its key renamed to `retired_key`) and
        `new` is queued under the original key; False (nothing changed) when it is no longer pending."""
        ...

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
    async def set_contribution_answered(
        self, session_id: str, contribution_id: int, answered: bool
    ) -> bool: ...
    async def add_vote(self, contribution_id: int, voter_hash: str) -> bool: ...

    # audit log
    async def audit(
        self, session_id: str | None, actor: str, action: str, detail: str, at: datetime
    ) -> None: ...
    async def list_audit(self, session_id: str | None, limit: int = 100) -> list[AuditEntry]:
        """Newest first; `session_id=None` lists every session's entries."""
        ...

    # outbox: one row per message, keyed by its idempotency key (insert-or-ignore everywhere)
    async def fill_outbox(self, session_id: str, messages: Sequence[PlannedMessage]) -> int:
        """Insert the planned messages not already present; returns how many rows were new."""
        ...

    async def add_message(self, session_id: str, message: PlannedMessage) -> bool:
        """A run-time message (escalation, ...); False when its key already exists."""
        ...

    async def claim_due(self, now: datetime, lane: str | None, limit: int) -> list[OutboxMessage]:
        """Atomically move up to `limit` due pending rows to `sending`: cue lane first, then due order."""
        ...

    # The `mark_*` methods act on claimed (`sending`) rows only and record the attempt themselves;
    # `at` is the caller's (possibly virtual) time for the history, wall time when omitted.
    async def mark_sent(self, message_id: int, at: datetime, provider_id: str) -> None: ...
    async def mark_sent_many(self, confirmed: Sequence[tuple[int, datetime, str]]) -> None:
        """`mark_sent` for several (id, at, provider_id) in one transaction: all or none."""
        ...

    async def mark_retry(
        self, message_id: int, error: str, next_attempt: datetime, at: datetime | None = None
    ) -> None: ...
    async def mark_failed(self, message_id: int, error: str, at: datetime | None = None) -> None: ...
    async def mark_expired(self, message_id: int, reason: str, at: datetime | None = None) -> None: ...
    async def mark_cancelled(self, message_id: int, reason: str, at: datetime | None = None) -> None:
        """A claimed row that should not go out after all (e.g. the survey is already done)."""
        ...

    async def cancel_message(
        self, message_id: int, reason: str = "cancelled by the director", at: datetime | None = None
    ) -> bool:
        """Pending → cancelled; False when the row is not pending (already sent, in flight, ...)."""
        ...

    async def retry_message(self, message_id: int, now: datetime) -> bool:
        """Failed / expired / cancelled → pending, due now (its delivery window restarts now)."""
        ...

    async def expedite_retries(self, channel: str, now: datetime) -> int:
        """A channel works again: rows waiting to retry on it become due now."""
        ...

    async def get_message(self, message_id: int) -> OutboxMessage | None: ...
    async def message_by_key(self, key: str) -> OutboxMessage | None: ...
    async def list_messages(
        self,
        session_id: str,
        kinds: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[OutboxMessage]: ...
    async def next_due(self) -> datetime | None:
        """The earliest `next_attempt` among pending rows, or None when nothing is pending."""
        ...

    async def next_due_after(self, lane: str, after: datetime) -> datetime | None:
        """The earliest due time later than `after` among pending rows of `lane`, or None."""
        ...

    async def pending_between(
        self, lane: str, after: datetime, after_id: int, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Read-only: up to `limit` pending rows of `lane` with due <= `until` that come after
        (`after`, `after_id`) in (due, id) order; a page of rows about to fall due."""
        ...

    async def recover_sending(self, at: datetime | None = None) -> int:
        """Rows a crash left in `sending` go back to pending (resent: the at-least-once window)."""
        ...

    async def message_counts(self, session_id: str) -> dict[tuple[str, str], int]:
        """(kind, status) → number of rows."""
        ...

    async def record_attempt(
        self,
        message_id: int,
        at: datetime,
        outcome: str,
        error: str | None = None,
        provider_id: str | None = None,
    ) -> None:
        """Append to the delivery history (the `mark_*` methods already record their own)."""
        ...

    async def list_attempts(self, message_id: int) -> list[DeliveryAttempt]: ...

    # surveys: pseudonymous codes and completions
    async def save_survey_codes(self, session_id: str, study: str, codes: Mapping[str, str]) -> None:
        """email → code; saving again is harmless (codes are derived, so they do not change)."""
        ...

    async def code_for(self, session_id: str, email: str) -> str | None: ...
    async def record_survey_event(
        self, session_id: str, code: str, kind: str, event: str, at: datetime
    ) -> bool:
        """kind pre|post, event opened|completed; False for a repeated completion (kept once)."""
        ...

    async def survey_completed(self, session_id: str, code: str, kind: str) -> bool: ...
    async def survey_counts(self, session_id: str) -> SurveyCounts: ...
    async def record_late_completion(self, session_id: str, code: str, kind: str, at: datetime) -> bool: ...
    async def record_opt_out(self, session_id: str, code: str, at: datetime) -> bool: ...
    async def opted_out(self, session_id: str, code: str) -> bool: ...

    # the writer's lease (lease.py): who may send from this database
    async def get_lease(self, scope: str = DATABASE_SCOPE) -> LeaseRecord | None: ...
    async def acquire_lease(
        self,
        holder: str,
        command: str,
        now: datetime,
        ttl: timedelta = DEFAULT_TTL,
        *,
        scope: str = DATABASE_SCOPE,
    ) -> LeaseRecord | None:
        """Take the lease; None on success, else the live lease that stands in the way."""
        ...

    async def renew_lease(
        self, holder: str, now: datetime, ttl: timedelta = DEFAULT_TTL, *, scope: str = DATABASE_SCOPE
    ) -> bool: ...
    async def release_lease(self, holder: str, *, scope: str = DATABASE_SCOPE) -> None: ...

    # access records (issue 11): webhook replays, revoked director sessions, one-time links
    async def remember_webhook_signature(self, signature: str, request_ts: int, horizon: int) -> bool: ...
    async def revoke_director_session(self, sid: str, expires: datetime) -> None: ...
    async def revoked_director_sessions(self, now: datetime) -> set[str]: ...
    async def add_login_link(self, nonce_hash: str, expires: datetime) -> None: ...
    async def use_login_link(self, nonce_hash: str, now: datetime) -> bool: ...

    async def close(self) -> None: ...
