"""Reconciling an edited plan with what is already queued and sent (DESIGN invariant 9).

A session keeps its identity across edits (`session.id`), so its outbox rows keep their keys.
Comparing the new schedule with the rows gives the changes: a pending row whose recipient,
content or due time changed is cancelled and replaced (the old row keeps its history under a
retired key); a pending row the new plan no longer has is `cancelled` (never `failed`); a new
key is added; what was sent stays sent, and a person already told something now wrong (their
group, their rotation, the start time) gets one short correction. Nothing is applied here
without the caller's say-so: `plan_changes` is pure and the director sees its summary first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from facilitator.schedule.model import Audience, Lane, MessageKind, PlannedMessage, Schedule
from facilitator.store.base import MessageStatus, OutboxMessage, Store

RUN_TIME_KINDS = {MessageKind.ESCALATION.value, MessageKind.LINK_CHANGED.value, MessageKind.CORRECTION.value}
CORRECTION_WINDOW = timedelta(hours=1)  # a correction is still worth sending this long after the end


@dataclass(frozen=True)
class Replacement:
    old: OutboxMessage
    new: PlannedMessage


@dataclass
class PlanChanges:
    session_id: str
    revision: int  # what the session's plan revision becomes when these are applied
    moves: list[str] = field(default_factory=list)  # rotation and group changes, in words
    people_added: list[str] = field(default_factory=list)
    people_removed: list[str] = field(default_factory=list)
    start_moved: str | None = None
    cancel: list[OutboxMessage] = field(default_factory=list)
    replace: list[Replacement] = field(default_factory=list)
    add: list[PlannedMessage] = field(default_factory=list)
    corrections: list[PlannedMessage] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.cancel or self.replace or self.add or self.corrections)

    def summary(self) -> list[str]:
        """What applying would do, one line per kind of change."""
        lines: list[str] = []
        if self.start_moved:
            lines.append(self.start_moved)
        if self.people_added:
            lines.append(f"people added: {', '.join(self.people_added)}")
        if self.people_removed:
            lines.append(f"people removed: {', '.join(self.people_removed)}")
        lines.extend(self.moves)
        retimed = sum(1 for r in self.replace if r.old.due != r.new.due)
        lines.append(
            f"messages: {len(self.cancel)} to cancel, {len(self.replace)} to replace "
            f"({retimed} at a new time), {len(self.add)} to add, "
            f"{len(self.corrections)} correction(s) to people already told something now wrong"
        )
        return lines


def plan_changes(
    old: Schedule | None, new: Schedule, rows: Sequence[OutboxMessage], now: datetime, revision: int
) -> PlanChanges:
    """Pure: the changes that take the session from its rows (and old schedule) to `new`."""
    changes = PlanChanges(new.session.id, revision)
    planned = {m.key: m for m in new.messages}
    current = {r.key: r for r in rows if r.kind not in RUN_TIME_KINDS}
    for key, row in current.items():
        message = planned.get(key)
        if row.status is MessageStatus.PENDING:
            if message is None:
                changes.cancel.append(row)
            elif not _same(row, message):
                changes.replace.append(Replacement(row, message))
    changes.add = [m for key, m in planned.items() if key not in current]
    if old is not None:
        _describe(old, new, changes)
        told = {r.recipient.lower() for r in rows if r.status is MessageStatus.SENT}
        if now < new.session.end + CORRECTION_WINDOW:
            changes.corrections = _corrections(old, new, told, now, revision)
    return changes


async def apply_changes(store: Store, changes: PlanChanges, now: datetime) -> int:
    """Carry the changes out; returns the session's new plan revision."""
    sid, rev = changes.session_id, changes.revision
    for row in changes.cancel:
        await store.cancel_message(row.id, f"removed by plan revision {rev}", at=now)
    for r in changes.replace:
        retired = f"{r.old.key}~r{rev}"
        # False: claimed meanwhile (run and edit at once cannot happen: one writer holds the lease)
        await store.replace_pending(r.old.id, retired, f"replaced by plan revision {rev}", r.new, now)
    await store.fill_outbox(sid, changes.add)
    for correction in changes.corrections:
        await store.add_message(sid, correction)
    revision = await store.bump_plan_revision(sid)
    await store.audit(
        sid, "director", "plan_changed", f"revision {revision}: " + "; ".join(changes.summary()), now
    )
    return revision


def _same(row: OutboxMessage, message: PlannedMessage) -> bool:
    return (
        (row.recipient, row.recipient_id, row.channel, row.template, row.lane)
        == (message.recipient, message.recipient_id, message.channel, message.template, message.lane.value)
        and row.due == message.due
        and row.deadline == message.deadline
        and row.unless_completed == message.unless_completed
        and _plain(row.context) == _plain(message.context)
    )


def _plain(context: Mapping[str, Any]) -> str:
    return json.dumps(dict(context), sort_keys=True, default=str)


def _visits(schedule: Schedule) -> dict[str, list[str]]:
    """Facilitator id -> the group name visited in each slot ("-" when none)."""
    names = {g.id: g.name for g in schedule.groups}
    out: dict[str, list[str]] = {}
    for fac in schedule.facilitators:
        out[fac.id] = [
            names.get(schedule.rotation.room_of(fac.id, s.index) or "", "-") for s in schedule.rotation.slots
        ]
    return out


def _student_groups(schedule: Schedule) -> dict[str, str]:
    names = {g.id: g.name for g in schedule.groups}
    return {s.email.lower(): names.get(s.group, s.group) for s in schedule.students}


def _describe(old: Schedule, new: Schedule, changes: PlanChanges) -> None:
    old_people = set(_student_groups(old)) | {f.id for f in old.facilitators}
    new_people = set(_student_groups(new)) | {f.id for f in new.facilitators}
    changes.people_added = sorted(new_people - old_people)
    changes.people_removed = sorted(old_people - new_people)
    if old.session.start != new.session.start:
        changes.start_moved = (
            f"start moved: {_local(old, old.session.start)} -> {_local(new, new.session.start)}"
        )
    before, after = _visits(old), _visits(new)
    for fid, slots in after.items():
        if fid in before and before[fid] != slots:
            changes.moves.append(f"rotation of {fid}: {', '.join(before[fid])} -> {', '.join(slots)}")
    old_groups, new_groups = _student_groups(old), _student_groups(new)
    moved = sum(
        1 for email, group in new_groups.items() if email in old_groups and old_groups[email] != group
    )
    if moved:
        changes.moves.append(f"{moved} student(s) change group")


def _local(schedule: Schedule, when: datetime) -> str:
    zone = ZoneInfo(schedule.session.timezone)
    return f"{when.astimezone(zone):%A %d %B %Y, %H:%M} ({zone.key})"


def _corrections(
    old: Schedule, new: Schedule, told: set[str], now: datetime, revision: int
) -> list[PlannedMessage]:
    """One short correction per person still in the session who was already sent something that
    the edit made wrong: their group, their rotation, or the start time."""
    out: list[PlannedMessage] = []
    started = old.session.start != new.session.start
    start_line = f"the session now starts {_local(new, new.session.start)}"
    old_groups, before, after = _student_groups(old), _visits(old), _visits(new)
    for student in new.students:
        email = student.email.lower()
        if email not in told or email not in old_groups:
            continue
        lines = [start_line] if started else []
        group = _student_groups(new)[email]
        if old_groups[email] != group:
            lines.append(f"your group changed: you are now in {group}")
        if lines:
            out.append(
                _correction(
                    new, Audience.STUDENT, student.email, student.email, "email", lines, now, revision
                )
            )
    for fac in new.facilitators:
        if fac.email.lower() not in told or fac.id not in before:
            continue
        lines = [start_line] if started else []
        if before[fac.id] != after[fac.id]:
            visits = ", ".join(f"slot {i + 1}: {g}" for i, g in enumerate(after[fac.id]))
            lines.append(f"your rotation changed: {visits}")
        if lines:
            out.append(
                _correction(new, Audience.FACILITATOR, fac.email, fac.id, fac.channel, lines, now, revision)
            )
    return out


def _correction(
    schedule: Schedule,
    audience: Audience,
    email: str,
    recipient_id: str,
    channel: str,
    lines: list[str],
    now: datetime,
    revision: int,
) -> PlannedMessage:
    sid = schedule.session.id
    return PlannedMessage(
        key=f"{sid}/{MessageKind.CORRECTION.value}/{recipient_id}/r{revision}",
        kind=MessageKind.CORRECTION,
        audience=audience,
        recipient=email,
        recipient_id=recipient_id,
        channel=channel,
        template=MessageKind.CORRECTION.value,
        due=now,
        deadline=max(schedule.session.end, now) + CORRECTION_WINDOW,
        lane=Lane.BULK,
        context={"session_id": sid, "session_title": schedule.session.title, "changes": lines},
    )
