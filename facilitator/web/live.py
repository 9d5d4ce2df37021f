"""Live room occupancy for the director, from the Zoom webhook state: counts, who is where, who is late.

Students appear only as counts; facilitators by name, because the point is to see that each is
in the room the rotation wants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from facilitator.web.context import SessionEntry
from facilitator.zoom.live import MAIN, UNMAPPED, current_slot


def live_summary(entry: SessionEntry, now: datetime) -> dict[str, Any] | None:
    """JSON-safe facts for the director's live panel, or None when no webhook state is attached."""
    live = entry.live
    if live is None:
        return None
    schedule = entry.schedule
    names = {f.id: f.name for f in schedule.facilitators}
    occupancy: dict[str, list[str]] = live.occupancy()
    slot = current_slot(schedule, now)
    expected = {v.group: v.facilitator for v in slot.visits} if slot else {}
    rooms: list[dict[str, Any]] = []
    for label, group_name in [
        (MAIN, "Main room"),
        *((g.id, g.name) for g in schedule.groups),
        (UNMAPPED, "Unidentified breakout room"),
    ]:
        people = occupancy.get(label, [])
        if label == UNMAPPED and not people:
            continue
        present = [names[p] for p in people if p in names]
        due = expected.get(label)
        rooms.append(
            {
                "id": label,
                "name": group_name,
                "count": len(people),
                "students": len(people) - len(present),
                "facilitators": present,
                "due": names.get(due, "") if due else "",
                "missing": bool(due) and due not in people,
                "wrong": [],
            }
        )
    misplaced = [m.render_for(schedule) for m in live.misplaced(schedule, now)]
    for m in live.misplaced(schedule, now):
        for room in rooms:
            if m.actual_group == room["id"]:
                room["wrong"].append(names.get(m.facilitator_id, m.facilitator_id))
    return {"rooms": rooms, "misplaced": misplaced, "slot": (slot.index + 1) if slot else None}
