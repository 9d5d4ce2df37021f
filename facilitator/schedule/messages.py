"""Every message the session will send, each with a due time, deadline and idempotency key.

Keys are `session/kind/recipient[/slot]`: deterministic, so filling the outbox twice never
duplicates a message and a restart recognises what it already sent. Contexts hold only facts
the schedule knows; links and codes that need secrets are added at send time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from facilitator.plan.models import Plan, Survey
from facilitator.schedule.model import (
    Audience,
    FacilitatorInfo,
    Group,
    Lane,
    MessageKind,
    PlannedMessage,
    Rotation,
    SessionSummary,
    Slot,
    StudentInfo,
)

CUE_KINDS = {
    MessageKind.HEADS_UP,
    MessageKind.MOVE_NOW,
    MessageKind.BREAKOUT_END,
    MessageKind.ESCALATION,
    MessageKind.HOST_OPEN_ROOMS,
    MessageKind.HOST_TIME_WARNING,
    MessageKind.HOST_CLOSE_ROOMS,
    MessageKind.HOST_ESCALATION,
}
FOLLOW_UP_LIFETIME = timedelta(days=7)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class MessageInputs:
    plan: Plan
    session: SessionSummary
    facilitators: tuple[FacilitatorInfo, ...]
    students: tuple[StudentInfo, ...]
    groups: tuple[Group, ...]
    rotation: Rotation
    breakout_start: datetime | None
    breakout_end: datetime | None
    next_phase_title: str | None
    hosts: tuple[FacilitatorInfo, ...] = ()


def visit_context(facilitator_id: str, group: Group, slot: Slot) -> dict[str, Any]:
    """What every cue about one visit says: who, which room (and its size and prompt), when."""
    return {
        "facilitator_id": facilitator_id,
        "group_id": group.id,
        "group_name": group.name,
        "slot": slot.index,
        "slot_start": iso(slot.start),
        "slot_end": iso(slot.end),
        "students": len(group.students),
        "prompt": group.prompt,
    }


def message_order(m: PlannedMessage) -> tuple[datetime, bool, str]:
    """Due time first; at the same instant cues before bulk mail; then by key (deterministic)."""
    return (m.due, m.lane != Lane.CUE, m.key)


def plan_messages(inputs: MessageInputs) -> tuple[PlannedMessage, ...]:
    messages = [*_student_messages(inputs), *_facilitator_messages(inputs)]
    return tuple(sorted(messages, key=message_order))


def _message(
    s: SessionSummary,
    kind: MessageKind,
    person: FacilitatorInfo | StudentInfo,
    channel: str,
    due: datetime,
    deadline: datetime,
    context: dict[str, Any],
    suffix: str | None = None,
    template: str | None = None,
    unless_completed: str | None = None,
    audience: Audience | None = None,
) -> PlannedMessage:
    is_fac = isinstance(person, FacilitatorInfo)
    rid = person.id if isinstance(person, FacilitatorInfo) else person.email
    key = f"{s.id}/{kind.value}/{rid}" + (f"/{suffix}" if suffix is not None else "")
    return PlannedMessage(
        key=key,
        kind=kind,
        audience=audience or (Audience.FACILITATOR if is_fac else Audience.STUDENT),
        recipient=person.email,
        recipient_id=rid,
        channel=channel,
        template=template or kind.value,
        due=due,
        deadline=max(deadline, due),
        lane=Lane.CUE if kind in CUE_KINDS else Lane.BULK,
        context={"session_id": s.id, "session_title": s.title, **context},
        unless_completed=unless_completed,
    )


def _student_messages(x: MessageInputs) -> Iterator[PlannedMessage]:
    s, msgs = x.session, x.plan.messages
    tz = ZoneInfo(s.timezone)
    channel = msgs.channels.students.value
    groups = {g.id: g for g in x.groups}
    invitation_at = msgs.invitation.resolve(s.start, s.end, tz)
    for student in x.students:
        # A talks-only plan has no breakout: its students have no group, and no group messages.
        group = groups.get(student.group)
        where = {"group_id": group.id, "group_name": group.name} if group else {}
        yield _message(s, MessageKind.INVITATION, student, channel, invitation_at, s.end, where)
        yield from _survey_messages(x, student, channel, tz, where)
        if x.breakout_start is not None and x.breakout_end is not None and msgs.board.enabled:
            yield _message(
                s, MessageKind.BOARD_LINK, student, channel, x.breakout_start, x.breakout_end, where
            )
        for slot in x.rotation.slots if group else ():
            if group is not None and not any(v.group == group.id for v in slot.visits):
                ctx = {
                    **where,
                    "slot": slot.index,
                    "slot_start": iso(slot.start),
                    "slot_end": iso(slot.end),
                    "prompt": group.prompt,
                }
                yield _message(
                    s,
                    MessageKind.SELF_GUIDED_PROMPT,
                    student,
                    channel,
                    slot.start,
                    slot.end,
                    ctx,
                    suffix=str(slot.index),
                )
        if msgs.resources is not None:
            due = msgs.resources.send.resolve(s.start, s.end, tz)
            items = [{"title": r.title, "url": r.url} for r in msgs.resources.items]
            yield _message(
                s, MessageKind.RESOURCES, student, channel, due, due + FOLLOW_UP_LIFETIME, {"items": items}
            )
        if msgs.focus_group is not None:
            due = msgs.focus_group.send.resolve(s.start, s.end, tz)
            yield _message(
                s,
                MessageKind.FOCUS_GROUP,
                student,
                channel,
                due,
                due + FOLLOW_UP_LIFETIME,
                {"url": msgs.focus_group.url},
            )


def _survey_messages(
    x: MessageInputs, student: StudentInfo, channel: str, tz: ZoneInfo, where: dict[str, Any]
) -> Iterator[PlannedMessage]:
    s = x.session
    surveys: list[tuple[str, Survey | None, MessageKind, MessageKind, datetime]] = [
        ("pre", x.plan.messages.pre_survey, MessageKind.PRE_SURVEY, MessageKind.PRE_SURVEY_REMINDER, s.start),
        (
            "post",
            x.plan.messages.post_survey,
            MessageKind.POST_SURVEY,
            MessageKind.POST_SURVEY_REMINDER,
            s.end + timedelta(days=14),
        ),
    ]
    for name, survey, kind, reminder_kind, default_close in surveys:
        if survey is None:
            continue
        close = survey.close.resolve(s.start, s.end, tz) if survey.close else default_close
        ctx = {**where, "survey": name, "url_template": survey.url, "close": iso(close)}
        yield _message(s, kind, student, channel, survey.send.resolve(s.start, s.end, tz), close, ctx)
        for i, reminder in enumerate(survey.reminders):
            due = reminder.resolve(s.start, s.end, tz)
            yield _message(
                s, reminder_kind, student, channel, due, close, ctx, suffix=f"r{i + 1}", unless_completed=name
            )


def _facilitator_messages(x: MessageInputs) -> Iterator[PlannedMessage]:
    s, msgs = x.session, x.plan.messages
    tz = ZoneInfo(s.timezone)
    groups = {g.id: g for g in x.groups}
    lead, grace = msgs.cue_lead, msgs.cue_grace
    invitation_at = msgs.invitation.resolve(s.start, s.end, tz)
    for fac in x.facilitators:
        visits = x.rotation.visits_of(fac.id)
        itinerary = [
            {
                "slot": slot.index,
                "group_id": v.group,
                "group_name": groups[v.group].name,
                "start": iso(slot.start),
                "end": iso(slot.end),
                "students": len(groups[v.group].students),
            }
            for slot, v in visits
        ]
        yield _message(
            s,
            MessageKind.FACILITATOR_WELCOME,
            fac,
            fac.channel,
            invitation_at,
            s.start,
            {"facilitator_id": fac.id, "visits": itinerary},
        )
        for slot, visit in visits:
            group = groups[visit.group]
            ctx = {**visit_context(fac.id, group, slot), "lead_minutes": int(lead.total_seconds() // 60)}
            heads_up_at = slot.start - lead
            yield _message(
                s,
                MessageKind.HEADS_UP,
                fac,
                fac.channel,
                heads_up_at,
                heads_up_at + min(grace, lead),
                ctx,
                suffix=str(slot.index),
            )
            yield _message(
                s,
                MessageKind.MOVE_NOW,
                fac,
                fac.channel,
                slot.start,
                slot.start + grace,
                ctx,
                suffix=str(slot.index),
            )
        if visits and x.rotation.slots:
            last_end = x.rotation.slots[-1].end
            due = max(last_end - lead, x.rotation.slots[-1].start)
            ctx = {
                "facilitator_id": fac.id,
                "breakout_end": iso(last_end),
                "next_phase": x.next_phase_title or "the main room",
                "lead_minutes": int(lead.total_seconds() // 60),
            }
            yield _message(s, MessageKind.BREAKOUT_END, fac, fac.channel, due, last_end, ctx)
