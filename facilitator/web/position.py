"""Where Zoom sees a facilitator, in words for their own page.

The live room state (from Zoom's webhooks) knows which breakout room each facilitator is in; the
rotation says where they are due. When the two differ during a slot, the facilitator's page says
so at once ("Zoom shows you in Group 2; you are due in Group 5 since 14:30"), ahead of the
escalation cue that follows 2 minutes into the slot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from facilitator.web.common import hhmm
from facilitator.web.context import SessionEntry
from facilitator.web.hub import EventHub

POSITION_EVENT = "position"


def position_topic(session_id: str, facilitator_id: str) -> str:
    return f"{session_id}/@{facilitator_id}"


def position(entry: SessionEntry, facilitator_id: str, now: datetime) -> dict[str, Any]:
    """`{"text": str, "wrong": bool}`; empty text when there is nothing to say."""
    if entry.live is None:
        return {"text": "", "wrong": False}
    schedule = entry.schedule
    fac = schedule.facilitator(facilitator_id)
    miss = next((m for m in entry.live.misplaced(schedule, now) if m.facilitator_id == facilitator_id), None)
    if miss is not None:
        names = {g.id: g.name for g in schedule.groups}
        where = (
            "Zoom does not show you in the meeting"
            if miss.actual_group is None
            else f"Zoom shows you {miss.whereabouts(names)}"
        )
        due = names.get(miss.expected_group, miss.expected_group)
        return {
            "text": f"{where}; you are due in {due} since {hhmm(miss.since, fac.timezone)}.",
            "wrong": True,
        }
    room = entry.live.facilitator_positions().get(facilitator_id)
    if room in {g.id for g in schedule.groups}:
        return {"text": f"Zoom shows you in {schedule.group(str(room)).name}.", "wrong": False}
    return {"text": "", "wrong": False}


def publish_positions(hub: EventHub, entry: SessionEntry, now: datetime) -> None:
    """After a webhook changed the live state: tell each facilitator's open page where they are."""
    for fac in entry.schedule.facilitators:
        topic = position_topic(entry.id, fac.id)
        if hub.subscriber_count(topic):
            hub.publish((topic,), POSITION_EVENT, position(entry, fac.id, now))
