"""Things that are allowed but probably not what the director wants."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from facilitator.plan.times import format_duration
from facilitator.schedule.model import Audience, MessageKind, Schedule, Warning
from facilitator.schedule.survey_warnings import completion_warnings
from facilitator.schedule.timeline import BreakoutFrame

NIGHT_START = time(22, 0)
NIGHT_END = time(7, 0)
SMALL_GROUP = 3


def _at_night(moment: datetime, tz: str) -> bool:
    local = moment.astimezone(ZoneInfo(tz)).time()
    return local >= NIGHT_START or local < NIGHT_END


def collect(schedule: Schedule, frame: BreakoutFrame | None, now: datetime | None) -> tuple[Warning, ...]:
    out: list[str] = []
    s = schedule.session
    if now is not None and s.start < now:
        local = s.start.astimezone(ZoneInfo(s.timezone))
        out.append(f"the session starts in the past ({local:%Y-%m-%d %H:%M} {s.timezone})")
    night: dict[str, list[str]] = {}
    for msg in schedule.messages:
        if msg.audience != Audience.FACILITATOR or msg.kind not in {
            MessageKind.HEADS_UP,
            MessageKind.MOVE_NOW,
        }:
            continue
        fac = schedule.facilitator(msg.recipient_id)
        if _at_night(msg.due, fac.timezone):
            local = msg.due.astimezone(ZoneInfo(fac.timezone))
            night.setdefault(fac.id, []).append(f"{local:%H:%M}")
    for fid, times in night.items():
        fac = schedule.facilitator(fid)
        out.append(
            f"{fac.name} ({fid}) gets cues at night in {fac.timezone}: {', '.join(sorted(set(times)))}"
        )
    for group in schedule.groups:
        if len(group.students) < SMALL_GROUP:
            out.append(f"{group.name} has only {len(group.students)} student(s); small groups rarely open up")
    if frame is not None and schedule.rotation.slots:
        unused = frame.end - schedule.rotation.slots[-1].end
        if unused.total_seconds() >= 60:
            out.append(
                f"the breakout has {format_duration(unused)} left after its last slot "
                f"({len(schedule.rotation.slots)} of {frame.capacity} possible slots used)"
            )
    out.extend(completion_warnings(schedule))
    return tuple(Warning(m) for m in out)
