"""Where a facilitator is due when: the facts behind "Now: Group 3 until 14:50, next: Group 5 at 14:55".

Pure functions of a Schedule (and a time), so the page, the countdown script's data and the
tests all agree on the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facilitator.schedule.model import Schedule


@dataclass(frozen=True)
class Stop:
    start: datetime
    end: datetime
    label: str  # "Group 3", "Plenary (main room)", "No visit: free slot"
    kind: str  # room | plenary | break | free
    group_id: str | None = None
    prompt: str | None = None


def itinerary(schedule: Schedule, facilitator_id: str) -> list[Stop]:
    """The facilitator's stops in time order: plenaries, breaks and one stop per rotation slot."""
    stops: list[Stop] = []
    for phase in schedule.phases:
        if phase.kind == "plenary":
            stops.append(Stop(phase.start, phase.end, f"{phase.title} (main room)", "plenary"))
        elif phase.kind == "break":
            stops.append(Stop(phase.start, phase.end, phase.title, "break"))
    for slot in schedule.rotation.slots:
        gid = schedule.rotation.room_of(facilitator_id, slot.index)
        if gid is None:
            stops.append(Stop(slot.start, slot.end, "No visit this slot (free)", "free"))
        else:
            group = schedule.group(gid)
            stops.append(Stop(slot.start, slot.end, group.name, "room", gid, group.prompt))
    return sorted(stops, key=lambda s: (s.start, s.end))


def current_and_next(stops: list[Stop], now: datetime) -> tuple[Stop | None, Stop | None]:
    """The stop running at `now` (None between stops) and the first one starting after it."""
    current = next((s for s in stops if s.start <= now < s.end), None)
    after = current.end if current else now
    upcoming = next((s for s in stops if s.start >= after and s is not current), None)
    return current, upcoming


def visited_groups(schedule: Schedule, facilitator_id: str) -> list[str]:
    """The group ids this facilitator visits, in slot order, without repeats."""
    out: list[str] = []
    for slot, visit in schedule.rotation.visits_of(facilitator_id):
        del slot
        if visit.group not in out:
            out.append(visit.group)
    return out
