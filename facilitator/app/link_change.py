"""When the Zoom meeting is recreated, everyone already invited gets the new join link.

Provisioning recreates the meeting when the plan's host changes or Zoom no longer has it; the
links in invitations already sent then lead nowhere. Pending invitations need nothing (join links
are filled in when a message is rendered), but each person whose invitation or welcome (the
messages that carry a join link) was already sent gets one `link_changed` message, keyed by the
new meeting, so recreating it again later sends again and restarting does not.
"""

from __future__ import annotations

from datetime import datetime

from facilitator.delivery.notices import notice_to, person_of
from facilitator.schedule.model import MessageKind, Schedule
from facilitator.store.base import MeetingRecord, MessageStatus, Store
from facilitator.zoom.provision import is_pending

CARRY_A_JOIN_LINK = (MessageKind.INVITATION.value, MessageKind.FACILITATOR_WELCOME.value)


def meeting_replaced(before: MeetingRecord | None, after: MeetingRecord | None) -> bool:
    """A meeting existed (not a create still pending) and provisioning ended with another one."""
    return (
        before is not None
        and after is not None
        and not is_pending(before)
        and before.meeting_id != after.meeting_id
    )


async def queue_new_links(store: Store, schedule: Schedule, new_meeting_id: int, now: datetime) -> int:
    """Queue a `link_changed` message for everyone already sent a join link; returns how many
    were new (0 when they were queued by an earlier run)."""
    sid = schedule.session.id
    if now >= schedule.session.end:
        return 0  # over: a new link would help nobody
    sent = await store.list_messages(sid, kinds=CARRY_A_JOIN_LINK, statuses=(MessageStatus.SENT.value,))
    still_here = {s.email.lower() for s in schedule.students} | {f.id for f in schedule.facilitators}
    added = 0
    told: set[str] = set()
    for row in sent:
        who = person_of(row)
        if who in told or who not in still_here:
            continue
        told.add(who)
        key = f"{sid}/{MessageKind.LINK_CHANGED.value}/{row.recipient_id}/{new_meeting_id}"
        deadline = max(schedule.session.end, now)
        message = notice_to(row, schedule, MessageKind.LINK_CHANGED, key, now, deadline)
        added += await store.add_message(sid, message)
    return added
