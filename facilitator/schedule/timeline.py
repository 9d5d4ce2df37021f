"""The timeline: every phase, talk and slot with absolute UTC times.

Phases follow each other by elapsed time (a 60-minute plenary is 60 real minutes even across a
DST change); only the session start is a wall-clock time, resolved once in the plan's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from facilitator.plan.models import BreakoutPhase, Plan, PlenaryPhase
from facilitator.plan.times import gap_message, skipped_by_dst
from facilitator.schedule.model import TimelineItem


class LocalTimeProblem(ValueError):
    """A local time that does not exist (skipped by a DST change)."""


def local_to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """Attach `tz` to a naive local time and convert to UTC, refusing times inside a DST gap."""
    if skipped_by_dst(local, tz):
        raise LocalTimeProblem(gap_message(local, tz))
    return local.replace(tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class BreakoutFrame:
    """Where the breakout sits and how many slots could fit in it."""

    phase_index: int
    start: datetime
    end: datetime
    slot_length: timedelta
    transition: timedelta
    capacity: int  # slots that fit in the phase

    def slot_start(self, index: int) -> datetime:
        return self.start + index * (self.slot_length + self.transition)

    def slot_end(self, index: int) -> datetime:
        return self.slot_start(index) + self.slot_length


def session_start(plan: Plan) -> datetime:
    return local_to_utc(plan.session.start, ZoneInfo(plan.session.timezone))


def phase_items(plan: Plan) -> tuple[list[TimelineItem], BreakoutFrame | None]:
    """Phases and talks (slots are added once the rotation is known), plus the breakout frame."""
    items: list[TimelineItem] = []
    frame: BreakoutFrame | None = None
    cursor = session_start(plan)
    for index, phase in enumerate(plan.phases):
        end = cursor + phase.duration
        items.append(TimelineItem(kind=phase.kind, title=phase.title, start=cursor, end=end, phase=index))
        if isinstance(phase, PlenaryPhase):
            talk_start = cursor
            for talk in phase.talks:
                talk_end = talk_start + timedelta(minutes=talk.minutes)
                title = talk.title or f"Talk by {talk.speaker}"
                items.append(TimelineItem("talk", title, talk_start, talk_end, index, speaker=talk.speaker))
                talk_start = talk_end
        if isinstance(phase, BreakoutPhase):
            step = phase.slot + phase.transition
            capacity = int((phase.duration + phase.transition) / step)
            frame = BreakoutFrame(index, cursor, end, phase.slot, phase.transition, capacity)
        cursor = end
    return items, frame


def slot_items(frame: BreakoutFrame, count: int, title: str) -> list[TimelineItem]:
    """Slot and transition items for the first `count` slots of the breakout."""
    items: list[TimelineItem] = []
    for i in range(count):
        start, end = frame.slot_start(i), frame.slot_end(i)
        items.append(TimelineItem("slot", f"{title}: slot {i + 1}", start, end, frame.phase_index, slot=i))
        if i + 1 < count and frame.transition:
            items.append(
                TimelineItem(
                    "transition", "Move rooms", end, frame.slot_start(i + 1), frame.phase_index, slot=i
                )
            )
    return items
