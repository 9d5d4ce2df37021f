"""Notices made while running, to someone an earlier message reached: the new join link after a
meeting was recreated, the "no longer expected" notice after a plan edit.

They go to the same address, on the same channel, as the row that reached the person, and are
keyed so that running the same step again queues nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from facilitator.schedule.model import Audience, Lane, MessageKind, PlannedMessage, Schedule
from facilitator.store.base import OutboxMessage


def person_of(row: OutboxMessage) -> str:
    """Who a row went to, as the schedule names people: a student's address (lower case), a
    facilitator's or host's id."""
    return row.recipient_id.lower() if row.audience == Audience.STUDENT.value else row.recipient_id


def notice_to(
    row: OutboxMessage, schedule: Schedule, kind: MessageKind, key: str, now: datetime, deadline: datetime
) -> PlannedMessage:
    """A `kind` notice, due now, to whoever `row` reached."""
    return PlannedMessage(
        key=key,
        kind=kind,
        audience=Audience(row.audience),
        recipient=row.recipient,
        recipient_id=row.recipient_id,
        channel=row.channel,
        template=kind.value,
        due=now,
        deadline=deadline,
        lane=Lane.BULK,
        context={"session_id": schedule.session.id, "session_title": schedule.session.title},
    )
