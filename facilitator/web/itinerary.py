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
    label: str  # "Group 3", "Plenary (main room)", "Your talk: ...", "No visit: free slot"
    kind: str  # room | plenary | talk | break | free
    group_id: str | None = None
    prompt: str | None = None


def itinerary(schedule: Schedule, facilitator_id: str) -> list[Stop]:
    """The facilitator's stops in time order: plenaries, their own talks, breaks, one stop per slot.

    A talk lies inside its plenary; at equal starts the longer stop comes first, so the plenary
    reads as the container and the talk as the part of it that is theirs.
    """
    stops: list[Stop] = []
    for phase in schedule.phases:
        if phase.kind == "plenary":
            stops.append(Stop(phase.start, phase.end, f"{phase.title} (main room)", "plenary"))
        elif phase.kind == "break":
            stops.append(Stop(phase.start, phase.end, phase.title, "break"))
    for item in schedule.timeline:
        if item.kind == "talk" and item.speaker == facilitator_id:
            stops.append(Stop(item.start, item.end, f"Your talk: {item.title} (main room)", "talk"))
    for slot in schedule.rotation.slots:
        gid = schedule.rotation.room_of(facilitator_id, slot.index)
        if gid is None:
            stops.append(Stop(slot.start, slot.end, "No visit this slot (free)", "free"))
        else:
            group = schedule.group(gid)
            stops.append(Stop(slot.start, slot.end, group.name, "room", gid, group.prompt))
    return sorted(stops, key=lambda s: (s.start, s.start - s.end))


def current_and_next(stops: list[Stop], now: datetime) -> tuple[Stop | None, Stop | None]:
    """The stop running at `now` (the shortest one: a talk within its plenary; None between
    stops) and the first one starting after `now` that is not running already."""
    running = [s for s in stops if s.start <= now < s.end]
    current = min(running, key=lambda s: s.end - s.start) if running else None
    upcoming = next((s for s in stops if s.start > now and s is not current), None)
    return current, upcoming


def visited_groups(schedule: Schedule, facilitator_id: str) -> list[str]:
    """The group ids this facilitator visits, in slot order, without repeats."""
    out: list[str] = []
    for slot, visit in schedule.rotation.visits_of(facilitator_id):
        del slot
        if visit.group not in out:
            out.append(visit.group)
    return out
