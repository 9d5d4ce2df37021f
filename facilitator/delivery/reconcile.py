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

from facilitator.delivery.notices import notice_to, person_of
from facilitator.schedule.model import Audience, Lane, MessageKind, PlannedMessage, Schedule
from facilitator.store.base import MessageStatus, OutboxMessage, Store

RUN_TIME_KINDS = {
    MessageKind.ESCALATION.value,
    MessageKind.LINK_CHANGED.value,
    MessageKind.CORRECTION.value,
    MessageKind.REMOVED.value,
}
_NOTICE_ALIVE = (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.SENT)
# What tells a person they are in the session (and put it in their calendar).
INVITING_KINDS = {MessageKind.INVITATION.value, MessageKind.FACILITATOR_WELCOME.value}
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
    new: Schedule, rows: Sequence[OutboxMessage], old_start: datetime, now: datetime, revision: int
) -> PlanChanges:
    """Pure: the changes that take the session from its rows to `new`. What people were told
    is read from the rows actually sent (their group, their visits), not from the old plan:
    a roster file may have changed under an unchanged plan text."""
    changes = PlanChanges(new.session.id, revision)
    planned = {m.key: m for m in new.messages}
    current = {r.key: r for r in rows if r.kind not in RUN_TIME_KINDS and "~r" not in r.key}
    for key, row in current.items():
        message = planned.get(key)
        if row.status is MessageStatus.PENDING:
            if message is None:
                changes.cancel.append(row)
            elif not _same(row, message):
                changes.replace.append(Replacement(row, message))
    changes.add = [m for key, m in planned.items() if key not in current]
    _describe(new, list(current.values()), old_start, changes)
    if now < new.session.end + CORRECTION_WINDOW:
        # corrections of an earlier edit count as told (sent or on their way): a later edit
        # corrects from what they say
        sent = [r for r in rows if "~r" not in r.key and _tells(r)]
        changes.corrections = _corrections(new, sent, old_start, now, revision)
        changes.corrections += _removals(new, rows, changes.people_removed, now, revision)
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
        sid, "director", "plan.changed", f"revision {revision}: " + "; ".join(changes.summary()), now
    )
    return revision


def _tells(row: OutboxMessage) -> bool:
    """Sent, or a correction that is going out: what the person knows (or is about to)."""
    if row.status is MessageStatus.SENT:
        return True
    open_ = (MessageStatus.PENDING, MessageStatus.SENDING)
    return row.kind == MessageKind.CORRECTION.value and row.status in open_


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


def _visits(schedule: Schedule) -> dict[str, dict[int, str]]:
    """Facilitator id -> slot -> group id, as the new plan has it."""
    out: dict[str, dict[int, str]] = {f.id: {} for f in schedule.facilitators}
    for slot in schedule.rotation.slots:
        for visit in slot.visits:
            out.setdefault(visit.facilitator, {})[slot.index] = visit.group
    return out


def _told_visits(rows: Sequence[OutboxMessage]) -> dict[str, dict[int, str]]:
    """Facilitator id -> slot -> group id, as the rows (welcome itineraries, cues) have it."""
    out: dict[str, dict[int, str]] = {}
    for row in rows:
        ctx = row.context
        if row.kind in (MessageKind.FACILITATOR_WELCOME.value, MessageKind.CORRECTION.value):
            for visit in ctx.get("visits") or []:
                out.setdefault(row.recipient_id, {})[int(visit["slot"])] = str(visit["group_id"])
        elif row.kind == MessageKind.MOVE_NOW.value and "slot" in ctx:
            out.setdefault(row.recipient_id, {})[int(ctx["slot"])] = str(ctx.get("group_id"))
    return out


def _told_groups(rows: Sequence[OutboxMessage]) -> dict[str, str]:
    """Student email -> the group id their messages named."""
    return {
        r.recipient.lower(): str(r.context["group_id"])
        for r in rows
        if r.audience == Audience.STUDENT.value and "group_id" in r.context
    }


def _itinerary(schedule: Schedule, visits: Mapping[int, str]) -> str:
    names = {g.id: g.name for g in schedule.groups}
    return ", ".join(f"slot {i + 1}: {names.get(g, g)}" for i, g in sorted(visits.items())) or "no visits"


def _describe(
    new: Schedule, rows: Sequence[OutboxMessage], old_start: datetime, changes: PlanChanges
) -> None:
    before = {person_of(r) for r in rows}
    after = (
        {s.email.lower() for s in new.students} | {f.id for f in new.facilitators} | {h.id for h in new.hosts}
    )
    changes.people_added = sorted(after - before)
    changes.people_removed = sorted(before - after)
    if old_start != new.session.start:
        changes.start_moved = f"start moved: {_local(new, old_start)} -> {_local(new, new.session.start)}"
    told, now_visits = _told_visits(rows), _visits(new)
    for fid, visits in now_visits.items():
        if fid in told and told[fid] != visits:
            changes.moves.append(
                f"rotation of {fid}: {_itinerary(new, told[fid])} -> {_itinerary(new, visits)}"
            )
    groups = _told_groups(rows)
    moved = sum(1 for s in new.students if groups.get(s.email.lower(), s.group) != s.group)
    if moved:
        changes.moves.append(f"{moved} student(s) change group")


def _local(schedule: Schedule, when: datetime) -> str:
    zone = ZoneInfo(schedule.session.timezone)
    return f"{when.astimezone(zone):%A %d %B %Y, %H:%M} ({zone.key})"


def _corrections(
    new: Schedule, sent: Sequence[OutboxMessage], old_start: datetime, now: datetime, revision: int
) -> list[PlannedMessage]:
    """One short correction per person still in the session who was already sent something that
    the edit made wrong: their group, their rotation, or the start time."""
    out: list[PlannedMessage] = []
    start_line = f"the session now starts {_local(new, new.session.start)}"
    moved = old_start != new.session.start
    told_to = {r.recipient.lower() for r in sent}
    groups, told_visits, visits = _told_groups(sent), _told_visits(sent), _visits(new)
    names = {g.id: g.name for g in new.groups}
    for student in new.students:
        email = student.email.lower()
        if email not in told_to:
            continue
        lines = [start_line] if moved else []
        if groups.get(email, student.group) != student.group:
            lines.append(f"your group changed: you are now in {names.get(student.group, student.group)}")
        if lines:
            who = (Audience.STUDENT, student.email, student.email, "email")
            out.append(_correction(new, *who, lines, now, revision, {"group_id": student.group}))
    for fac in new.facilitators:
        if fac.email.lower() not in told_to:
            continue
        lines = [start_line] if moved else []
        if fac.id in told_visits and told_visits[fac.id] != visits.get(fac.id, {}):
            lines.append(f"your rotation changed: {_itinerary(new, visits.get(fac.id, {}))}")
        if lines:
            who = (Audience.FACILITATOR, fac.email, fac.id, fac.channel)
            itinerary = [{"slot": i, "group_id": g} for i, g in sorted(visits.get(fac.id, {}).items())]
            out.append(_correction(new, *who, lines, now, revision, {"visits": itinerary}))
    return out


def _removals(
    new: Schedule, rows: Sequence[OutboxMessage], removed: Sequence[str], now: datetime, revision: int
) -> list[PlannedMessage]:
    """One notice per removed person who was already invited: it says they are no longer expected,
    and carries the cancellation of the calendar entry their invitation made (`delivery/invites`).
    Once: a person who has a notice (sent or on its way) is not told again by a later edit."""

    gone = set(removed)
    told = {person_of(r) for r in rows if r.kind == MessageKind.REMOVED.value and r.status in _NOTICE_ALIVE}
    out: list[PlannedMessage] = []
    seen: set[str] = set()
    for row in rows:
        rid = person_of(row)
        invited = row.kind in INVITING_KINDS and row.status is MessageStatus.SENT
        if not invited or rid not in gone or rid in seen or rid in told:
            continue
        seen.add(rid)
        key = f"{new.session.id}/{MessageKind.REMOVED.value}/{row.recipient_id}/r{revision}"
        deadline = max(new.session.end, now) + CORRECTION_WINDOW
        out.append(notice_to(row, new, MessageKind.REMOVED, key, now, deadline))
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
    told: Mapping[str, Any],
) -> PlannedMessage:
    """`told` (the group or visits it states) lets a later edit know what this one said."""
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
        context={"session_id": sid, "session_title": schedule.session.title, "changes": lines, **told},
    )
