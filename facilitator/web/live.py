"""Live room occupancy for the director, from the Zoom webhook state: who is where, who is late.

Facilitators appear by name, because the point is to see that each is in the room the rotation
wants; students by name only as "missing" from the room they were assigned to (the director
knows the roster). In the first minutes of a slot a physician not yet in their room is "moving"
(neutral): the escalation waits `ESCALATION_AFTER`, and so does the alarm, which then reads as
the host's escalation does and says when the physician's escalation went out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from facilitator.schedule.wording import ESCALATION_AFTER, escalation_sent, missed_move, moving
from facilitator.web.context import SessionEntry
from facilitator.zoom.live import MAIN, UNMAPPED, current_slot

# (facilitator id, slot index) -> (sent at, channel) of the escalation cue to that facilitator
SentEscalations = Mapping[tuple[str, int], tuple[datetime, str]]


def live_summary(
    entry: SessionEntry, now: datetime, escalations: SentEscalations | None = None
) -> dict[str, Any] | None:
    """JSON-safe facts for the director's live panel, or None when no webhook state is attached."""
    live = entry.live
    if live is None:
        return None
    schedule = entry.schedule
    tz = ZoneInfo(schedule.session.timezone)
    names = {f.id: f.name for f in schedule.facilitators}
    group_names = {g.id: g.name for g in schedule.groups}
    student_names = {s.email: s.name for s in schedule.students}
    occupancy: dict[str, list[str]] = live.occupancy()
    slot = current_slot(schedule, now)
    expected = {v.group: v.facilitator for v in slot.visits} if slot else {}
    misses = live.misplaced_against({f: g for g, f in expected.items()}, since=slot.start) if slot else []
    in_grace = slot is not None and now < slot.start + ESCALATION_AFTER
    late = {m.facilitator_id: m for m in misses}
    moving_texts: list[str] = []
    alarms: list[str] = []
    for m in misses:
        assert slot is not None
        name, due_room = names.get(m.facilitator_id, m.facilitator_id), group_names[m.expected_group]
        where = m.whereabouts(group_names)
        if in_grace:
            moving_texts.append(moving(name, due_room, where))
            continue
        minutes = int(ESCALATION_AFTER.total_seconds() // 60)
        text = missed_move(name, due_room, slot.index + 1, minutes, where)
        sent = (escalations or {}).get((m.facilitator_id, slot.index))
        if sent is not None:
            text += "; " + escalation_sent(sent[0].astimezone(tz).strftime("%H:%M"), sent[1])
        else:
            text += "; escalation not sent yet"
        alarms.append(text)
    rooms: list[dict[str, Any]] = []
    for label, room_name in [
        (MAIN, "Main room"),
        *group_names.items(),
        (UNMAPPED, "Unidentified breakout room"),
    ]:
        people = occupancy.get(label, [])
        if label == UNMAPPED and not people:
            continue
        present = [names[p] for p in people if p in names]
        due = expected.get(label)
        away = bool(due) and due in late
        assigned = schedule.group(label).students if label in group_names else ()
        here = {p.lower() for p in people}
        rooms.append(
            {
                "id": label,
                "name": room_name,
                "count": len(people),
                "students": len(people) - len(present),
                "facilitators": present,
                "due": names.get(due, "") if due else "",
                "state": ("moving" if in_grace else "alarm") if away else "",
                "missing": away and not in_grace,
                "wrong": [],
                "expected_students": len(assigned),
                "missing_students": [student_names.get(e, e) for e in assigned if e.lower() not in here],
            }
        )
    if not in_grace:
        for m in misses:
            for room in rooms:
                if m.actual_group == room["id"]:
                    room["wrong"].append(names.get(m.facilitator_id, m.facilitator_id))
    return {
        "rooms": rooms,
        "moving": moving_texts,
        "misplaced": alarms,
        "slot": (slot.index + 1) if slot else None,
    }
