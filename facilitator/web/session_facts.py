"""Facts for the director's session page that come from the store: the Zoom meeting, sent escalations.

Kept apart from the handlers so the page and the JSON API read them the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from facilitator.schedule.model import MessageKind
from facilitator.web.context import SessionEntry, WebContext
from facilitator.web.live import SentEscalations

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_when(dt: datetime, tz: str) -> str:
    """`Thu 14 Jan 2027, 13:00 (America/New_York)`: in English whatever the machine's locale."""
    local = dt.astimezone(ZoneInfo(tz))
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} ({tz})"
    )


def spaced_meeting_id(meeting_id: int) -> str:
    """`845 1234 5678`, as Zoom shows meeting ids (easier to read out and type)."""
    d = str(meeting_id)
    if len(d) == 11:
        return f"{d[:3]} {d[3:7]} {d[7:]}"
    if len(d) == 10:
        return f"{d[:3]} {d[3:6]} {d[6:]}"
    return d


def director_zone(entry: SessionEntry | None, plan_text: str = "") -> str:
    """The zone the director reads times in: the host's (plan `session.host.timezone`), else the
    plan's; for a stored session not running here, read from its saved plan; else UTC."""
    if entry is not None:
        hosts = entry.schedule.hosts
        return hosts[0].timezone if hosts else entry.schedule.session.timezone
    try:
        session = yaml.safe_load(plan_text)["session"]
        zone = str((session.get("host") or {}).get("timezone") or session["timezone"])
        ZoneInfo(zone)
    except Exception:
        return "UTC"
    return zone


async def sent_escalations(ctx: WebContext, entry: SessionEntry) -> SentEscalations:
    """(facilitator id, slot index) -> (sent at, channel) for each escalation cue that went out."""
    rows = await ctx.store.list_messages(entry.id, kinds=[MessageKind.ESCALATION.value], statuses=["sent"])
    out: dict[tuple[str, int], tuple[datetime, str]] = {}
    for m in rows:
        slot = m.context.get("slot")
        if isinstance(slot, int) and m.sent_at is not None:
            out[(m.recipient_id, slot)] = (m.sent_at, m.channel)
    return out


async def meeting_facts(ctx: WebContext, entry: SessionEntry) -> dict[str, Any] | None:
    """Meeting id, join link and the host's start link, once Zoom has the meeting; else None.

    Zoom's own `start_url` carries a token that expires in hours, so the page links the host to
    Zoom's start page for the meeting (`/s/{id}`), which asks them to sign in as the host.
    """
    record = await ctx.store.load_meeting(entry.id)
    if record is None:
        return None
    parts = urlsplit(record.join_url)
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""
    return {
        "id": spaced_meeting_id(record.meeting_id),
        "join_url": record.join_url,
        "start_url": f"{base}/s/{record.meeting_id}" if base else None,
        "host_email": record.host_email,
    }
