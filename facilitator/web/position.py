"""Where Zoom sees a facilitator, in words for their own page, and when that answer may change.

The live room state (from Zoom's webhooks) knows which breakout room each facilitator is in; the
rotation says where they are due. Three states follow:

* `ok`: Zoom shows them where they are due ("Zoom shows you in Group 5.");
* `moving`: a move is due and not yet seen, but there is still time: between slots, and for
  `MOVE_GRACE` into the new slot ("Moving to Group 5: Zoom still shows you in Group 2.");
* `wrong`: past the grace, still elsewhere ("Zoom shows you in Group 2; you are due in Group 5
  since 14:30."), ahead of the escalation cue that follows 2 minutes into the slot.

The answer changes when a webhook arrives (pushed to the page) and when the clock crosses a
boundary (slot start, end of the grace, slot end) with no webhook at all: `recheck` is the next
such instant, and the page fetches the position again when its clock reaches it, and after
every (re)connection of its event stream. So a page is never left showing a stale state.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from facilitator.schedule.model import Schedule
from facilitator.web.common import hhmm
from facilitator.web.context import SessionEntry
from facilitator.web.hub import EventHub
from facilitator.zoom.live import LiveRoomState, Misplacement

POSITION_EVENT = "position"
MOVE_GRACE = timedelta(minutes=1)  # after a slot starts: "moving" before the warning


def position_topic(session_id: str, facilitator_id: str) -> str:
    return f"{session_id}/@{facilitator_id}"


def recheck_at(schedule: Schedule, now: datetime) -> datetime | None:
    """The next instant after `now` at which the position may change without a webhook."""
    moments = [
        t
        for slot in schedule.rotation.slots
        for t in (slot.start, slot.start + MOVE_GRACE, slot.end)
        if t > now
    ]
    return min(moments, default=None)


def _answer(state: str, text: str, schedule: Schedule, now: datetime) -> dict[str, Any]:
    when = recheck_at(schedule, now)
    return {
        "text": text,
        "wrong": state == "wrong",
        "state": state,
        "recheck": when.timestamp() if when else None,
    }


def _due(schedule: Schedule, facilitator_id: str, now: datetime) -> tuple[str, datetime] | None:
    """The group they are due in now, or next when between slots, with when that started (starts)."""
    for slot in schedule.rotation.slots:
        if now < slot.end:
            gid = schedule.rotation.room_of(facilitator_id, slot.index)
            if gid is None:
                return None
            if now >= slot.start or _in_transition(schedule, slot.index, now):
                return gid, slot.start
            return None
    return None


def _in_transition(schedule: Schedule, index: int, now: datetime) -> bool:
    """Between the end of slot `index - 1` and the start of slot `index`."""
    return index > 0 and schedule.rotation.slots[index - 1].end <= now


def position(entry: SessionEntry, facilitator_id: str, now: datetime) -> dict[str, Any]:
    """`{"text", "wrong", "state", "recheck"}`: state is none | ok | moving | wrong; recheck an
    epoch second or None."""
    schedule = entry.schedule
    if entry.live is None:
        return _answer("none", "", schedule, now)
    live: LiveRoomState = entry.live
    fac = schedule.facilitator(facilitator_id)
    names = {g.id: g.name for g in schedule.groups}
    due = _due(schedule, facilitator_id, now)
    if due is not None:
        gid, since = due
        miss = next(iter(live.misplaced_against({facilitator_id: gid}, since)), None)
        if miss is not None:
            if now < since + MOVE_GRACE:
                return _answer("moving", _moving_text(miss, names, since, now, fac.timezone), schedule, now)
            where = (
                "Zoom does not show you in the meeting"
                if miss.actual_group is None
                else f"Zoom shows you {miss.whereabouts(names)}"
            )
            text = f"{where}; you are due in {names[gid]} since {hhmm(since, fac.timezone)}."
            return _answer("wrong", text, schedule, now)
    room = live.facilitator_positions().get(facilitator_id)
    if room in names:
        return _answer("ok", f"Zoom shows you in {names[str(room)]}.", schedule, now)
    return _answer("none", "", schedule, now)


def _moving_text(miss: Misplacement, names: dict[str, str], since: datetime, now: datetime, tz: str) -> str:
    due = names[miss.expected_group]
    head = f"Moving to {due}" if now >= since else f"Next: {due} at {hhmm(since, tz)}"
    if miss.actual_group is None:
        return f"{head}: Zoom does not show you in the meeting yet."
    return f"{head}: Zoom still shows you {miss.whereabouts(names)}."


def publish_positions(hub: EventHub, entry: SessionEntry, now: datetime) -> None:
    """After a webhook changed the live state: tell each facilitator's open page where they are."""
    for fac in entry.schedule.facilitators:
        topic = position_topic(entry.id, fac.id)
        if hub.subscriber_count(topic):
            hub.publish((topic,), POSITION_EVENT, position(entry, fac.id, now))
