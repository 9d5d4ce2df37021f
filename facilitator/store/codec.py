"""Between Python records and SQLite rows: times as fixed-width UTC text, context as JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from facilitator.clock import utc
from facilitator.schedule.model import PlannedMessage
from facilitator.store.base import (
    AuditEntry,
    Contribution,
    DeliveryAttempt,
    MeetingRecord,
    MessageStatus,
    OutboxMessage,
    RegistrantRecord,
    SessionRecord,
)


def ts(dt: datetime) -> str:
    """UTC, microseconds, one fixed width: text order is time order. Naive datetimes are refused."""
    return utc(dt).isoformat(timespec="microseconds")


def parse_ts(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"stored time {text!r} has no time zone")
    return parsed


def opt_ts(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)


def message_params(session_id: str, message: PlannedMessage) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "key": message.key,
        "kind": str(message.kind),
        "audience": str(message.audience),
        "recipient": message.recipient,
        "recipient_id": message.recipient_id,
        "channel": message.channel,
        "template": message.template,
        "lane": str(message.lane),
        "context": json.dumps(dict(message.context), sort_keys=True, default=_json_default),
        "due": ts(message.due),
        "deadline": ts(message.deadline),
        "unless_completed": message.unless_completed,
    }


def _json_default(value: object) -> object:
    # Context should be JSON-safe already; datetimes are the one thing worth being kind about.
    if isinstance(value, datetime):
        return ts(value)
    raise TypeError(f"message context value {value!r} is not JSON-serialisable")


def to_message(row: sqlite3.Row) -> OutboxMessage:
    context: Mapping[str, Any] = json.loads(row["context"])
    return OutboxMessage(
        id=row["id"],
        session_id=row["session_id"],
        key=row["key"],
        kind=row["kind"],
        audience=row["audience"],
        recipient=row["recipient"],
        recipient_id=row["recipient_id"],
        channel=row["channel"],
        template=row["template"],
        lane=row["lane"],
        context=context,
        due=parse_ts(row["due"]),
        deadline=parse_ts(row["deadline"]),
        unless_completed=row["unless_completed"],
        status=MessageStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt=parse_ts(row["next_attempt"]),
        last_error=row["last_error"],
        sent_at=opt_ts(row["sent_at"]),
        provider_id=row["provider_id"],
    )


def to_session(row: sqlite3.Row) -> SessionRecord:
    return SessionRecord(
        id=row["id"],
        title=row["title"],
        plan_file=row["plan_file"],
        plan_text=row["plan_text"],
        start=parse_ts(row["start"]),
        end=parse_ts(row["end"]),
        status=row["status"],
        created_at=parse_ts(row["created_at"]),
        plan_revision=int(row["plan_revision"]),
    )


def to_meeting(row: sqlite3.Row) -> MeetingRecord:
    return MeetingRecord(
        session_id=row["session_id"],
        meeting_id=row["meeting_id"],
        uuid=row["uuid"],
        join_url=row["join_url"],
        host_email=row["host_email"],
        rooms_fingerprint=row["rooms_fingerprint"],
    )


def to_registrant(row: sqlite3.Row) -> RegistrantRecord:
    return RegistrantRecord(
        session_id=row["session_id"],
        email=row["email"],
        registrant_id=row["registrant_id"],
        join_url=row["join_url"],
    )


def to_contribution(row: sqlite3.Row) -> Contribution:
    return Contribution(
        id=row["id"],
        session_id=row["session_id"],
        group_id=row["group_id"],
        body=row["body"],
        created_at=parse_ts(row["created_at"]),
        hidden=bool(row["hidden"]),
        votes=row["votes"],
        answered=bool(row["answered"]),
    )


def to_attempt(row: sqlite3.Row) -> DeliveryAttempt:
    return DeliveryAttempt(
        id=row["id"],
        message_id=row["message_id"],
        at=parse_ts(row["at"]),
        outcome=row["outcome"],
        error=row["error"],
        provider_id=row["provider_id"],
    )


def to_audit(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        session_id=row["session_id"],
        actor=row["actor"],
        action=row["action"],
        detail=row["detail"],
        at=parse_ts(row["at"]),
    )
