"""Cues for the Zoom host and co-directors: only the host (or a co-host) can open and close rooms.

Zoom's API cannot open breakout rooms (DESIGN, "What Zoom allows"), so without a host console the
person hosting the meeting must do it, at the right moment, and needs telling like any
facilitator: open all rooms when the breakout starts, a warning before the rooms close, close
them at the end. Escalations about a late physician are copied to them at run time
(app/escalation.py). Every planned message is keyed per host, so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Iterator

from facilitator.plan.models import Plan
from facilitator.schedule.messages import MessageInputs, _message, iso
from facilitator.schedule.model import Audience, FacilitatorInfo, MessageKind, PlannedMessage

HOST_ID = "@host"  # '@' cannot start a facilitator id, so host ids never collide with theirs


def host_recipients(plan: Plan) -> tuple[FacilitatorInfo, ...]:
    """The host (from `session.zoom.host_email` and `session.host`) and each co-director."""
    s = plan.session
    default_channel = plan.messages.channels.facilitators
    host = FacilitatorInfo(
        id=HOST_ID,
        name=s.host.name,
        email=s.zoom.host_email,
        timezone=s.host.timezone or s.timezone,
        channel=(s.host.channel or default_channel).value,
        webhook_url=s.host.webhook_url,
    )
    others = tuple(
        FacilitatorInfo(
            id=f"@co-director-{i + 1}",
            name=c.name,
            email=c.email,
            timezone=c.timezone or s.timezone,
            channel=(c.channel or default_channel).value,
            webhook_url=c.webhook_url,
        )
        for i, c in enumerate(s.co_directors)
    )
    return (host, *others)


def host_messages(x: MessageInputs) -> Iterator[PlannedMessage]:
    if x.breakout_start is None or x.breakout_end is None or not x.rotation.slots:
        return
    s, msgs = x.session, x.plan.messages
    lead, grace = msgs.cue_lead, msgs.cue_grace
    groups = {g.id: g for g in x.groups}
    names = {f.id: f.name for f in x.facilitators}
    first = x.rotation.slots[0]
    rooms = [
        {
            "name": g.name,
            "students": len(g.students),
            "facilitators": [names[v.facilitator] for v in first.visits if v.group == g.id],
        }
        for g in x.groups
    ]
    base = {
        "breakout_start": iso(x.breakout_start),
        "breakout_end": iso(x.breakout_end),
        "rooms": rooms,
        "room_count": len(groups),
        "lead_minutes": int(lead.total_seconds() // 60),
        "next_phase": x.next_phase_title or "the main room",
    }
    warn_at = max(x.breakout_end - lead, x.rotation.slots[-1].start)
    cues = (
        (MessageKind.HOST_OPEN_ROOMS, x.breakout_start, x.breakout_start + grace),
        (MessageKind.HOST_TIME_WARNING, warn_at, x.breakout_end),
        (MessageKind.HOST_CLOSE_ROOMS, x.breakout_end, x.breakout_end + grace),
    )
    for person in x.hosts:
        for kind, due, deadline in cues:
            yield _message(s, kind, person, person.channel, due, deadline, base, audience=Audience.HOST)
