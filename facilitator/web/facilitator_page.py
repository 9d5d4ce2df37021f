"""The facilitator's page: where am I due now, where next, how long left, and my room's questions.

Opened from the personal link in their cues (no login), it is the physician's whole briefing:
their personal Zoom join link, how to move between rooms, the itinerary (their own talk
included) with each stop's times in their own zone, the room's prompt and its anonymous posts.
A small script picks the current stop from the app's clock (pushed over the event stream), runs
the countdown, shows the current room's posts as they arrive, and asks the server where Zoom
sees them on every (re)connection and at every slot boundary (see position.py). After the
session every room they visited stays readable.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from facilitator.exports import facilitator_calendar
from facilitator.links import Audience
from facilitator.schedule.model import FacilitatorInfo
from facilitator.web import contributions
from facilitator.web.common import ctx_of, hhmm, iso, local, session_or_404, verify_link
from facilitator.web.context import SessionEntry, clock_rate
from facilitator.web.hub import CLOCK_TOPIC, room_topic
from facilitator.web.itinerary import Stop, current_and_next, itinerary, visited_groups
from facilitator.web.position import position, position_topic
from facilitator.web.sse import stream


def _person(request: web.Request) -> tuple[SessionEntry, FacilitatorInfo]:
    claims = verify_link(request, Audience.FACILITATOR)
    entry = session_or_404(ctx_of(request), str(claims.get("sid")))
    fid = str(claims.get("fid"))
    person = next((f for f in entry.schedule.facilitators if f.id == fid), None)
    if person is None:
        raise web.HTTPNotFound(reason="This session has no such facilitator.")
    return entry, person


def now_text(entry: SessionEntry, person: FacilitatorInfo, stops: list[Any], now: Any) -> str:
    """The sentence at the top of the page, as the script will also compute it."""
    tz = person.timezone
    current, upcoming = current_and_next(stops, now)
    parts = []
    if current is not None:
        parts.append(f"Now: {current.label} until {hhmm(current.end, tz)}")
    elif upcoming is not None and stops and now >= stops[0].start:
        parts.append("Now: moving")
    if upcoming is not None:
        parts.append(f"next: {upcoming.label} at {hhmm(upcoming.start, tz)}")
    if not parts:
        return "The session is over. Thank you!"
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


async def join_url_of(ctx: Any, entry: SessionEntry, person: FacilitatorInfo) -> str | None:
    """Their personal Zoom join link (from provisioning), else the meeting's, else None."""
    registrants = await ctx.store.load_registrants(entry.id)
    mine = {email.lower(): r for email, r in registrants.items()}.get(person.email.lower())
    if mine is not None:
        return str(mine.join_url)
    meeting = await ctx.store.load_meeting(entry.id)
    return None if meeting is None else str(meeting.join_url)


def _focus(stops: list[Stop], now: Any) -> str | None:
    """The room whose posts show: the current room, else the next one; None after the last room
    (then every room they visited shows, read-only)."""
    current, _ = current_and_next(stops, now)
    if current is not None and current.group_id:
        return current.group_id
    return next((s.group_id for s in stops if s.group_id and s.start > now), None)


async def facilitator_page(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    entry, person = _person(request)
    schedule = entry.schedule
    tz = person.timezone
    now = ctx.now()
    stops = itinerary(schedule, person.id)
    current, _ = current_and_next(stops, now)
    focus = _focus(stops, now)
    rooms = []
    for gid in visited_groups(schedule, person.id):
        group = schedule.group(gid)
        items = await ctx.store.list_contributions(entry.id, gid)
        rooms.append(
            {
                "group": group,
                "visible": focus is None or focus == gid,
                "items": [contributions.as_json(c, tz) for c in sorted(items, key=lambda c: c.id)],
            }
        )
    response = aiohttp_jinja2.render_template(
        "facilitator.html",
        request,
        {
            "session": schedule.session,
            "person": person,
            "token": request.match_info["token"],
            "now_text": now_text(entry, person, stops, now),
            "console_moves_you": bool(entry.console_acting and entry.console_acting()),
            "stops": [
                {
                    "start": iso(s.start),
                    "end": iso(s.end),
                    "label": s.label,
                    "kind": s.kind,
                    "group": s.group_id or "",
                    "start_label": hhmm(s.start, tz),
                    "end_label": hhmm(s.end, tz),
                    "day": local(s.start, tz).strftime("%a %d %b"),
                    "current": s is current,
                }
                for s in stops
            ],
            "rooms": rooms,
            "position": position(entry, person.id, now),
            "join_url": await join_url_of(ctx, entry, person),
            "server_now": now.timestamp(),
            "rate": clock_rate(ctx.clock),
            "tz": tz,
            "day": local(schedule.session.start, tz).strftime("%A %d %B %Y"),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def facilitator_events(request: web.Request) -> web.StreamResponse:
    entry, person = _person(request)
    topics = [room_topic(entry.id, g) for g in visited_groups(entry.schedule, person.id)]
    return await stream(request, [*topics, position_topic(entry.id, person.id), CLOCK_TOPIC])


async def facilitator_position(request: web.Request) -> web.Response:
    """Where Zoom sees them now and when to ask again: fetched on every (re)connection and at
    every slot boundary, so the page never keeps a state that time has made wrong."""
    ctx = ctx_of(request)
    entry, person = _person(request)
    now = ctx.now()
    return web.json_response(
        {"now": now.timestamp(), "position": position(entry, person.id, now)},
        headers={"Cache-Control": "no-store"},
    )


async def facilitator_contributions(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    entry, person = _person(request)
    tz = person.timezone
    out: dict[str, list[dict[str, Any]]] = {}
    for gid in visited_groups(entry.schedule, person.id):
        items = await ctx.store.list_contributions(entry.id, gid)
        out[gid] = [contributions.as_json(c, tz) for c in sorted(items, key=lambda c: c.id)]
    return web.json_response({"rooms": out}, headers={"Cache-Control": "no-store"})


async def facilitator_answered(request: web.Request) -> web.Response:
    """Mark one of their rooms' posts answered (JSON `{"answered": true|false}`; default true)."""
    ctx = ctx_of(request)
    entry, person = _person(request)
    try:
        cid = int(request.match_info["cid"])
    except ValueError:
        raise web.HTTPNotFound(reason="There is no such post in your rooms.") from None
    answered = True
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(reason="The request body is not JSON.") from None
        value = data.get("answered", True) if isinstance(data, dict) else None
        if not isinstance(value, bool):
            raise web.HTTPBadRequest(reason="`answered` must be true or false.")
        answered = value
    rooms = visited_groups(entry.schedule, person.id)
    updated = await contributions.mark_answered(ctx, entry, rooms, cid, answered)
    if updated is None:
        raise web.HTTPNotFound(reason="There is no such post in your rooms.")
    return web.json_response({"id": cid, "answered": updated.answered})


async def plan_revision(ctx: Any, session_id: str) -> int:
    """The session's plan revision (the calendars' SEQUENCE); 0 before any change."""
    record = await ctx.store.get_session(session_id)
    return 0 if record is None else int(record.plan_revision)


async def facilitator_ics(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    entry, person = _person(request)
    page = ctx.signer.url(f"/f/{request.match_info['token']}")
    body = facilitator_calendar(
        entry.schedule,
        person.id,
        page_url=page,
        sequence=await plan_revision(ctx, entry.id),
        dtstamp=ctx.now(),
        join_url=await join_url_of(ctx, entry, person),
    )
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{person.id}.ics"',
            "Cache-Control": "no-store",
        },
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/f/{token}", facilitator_page, name="facilitator"),
        web.get("/f/{token}/events", facilitator_events, name="facilitator_events"),
        web.get("/f/{token}/position", facilitator_position, name="facilitator_position"),
        web.get("/f/{token}/contributions", facilitator_contributions, name="facilitator_contributions"),
        web.post("/f/{token}/answered/{cid}", facilitator_answered, name="facilitator_answered"),
        web.get("/f/{token}/calendar.ics", facilitator_ics, name="facilitator_ics"),
    ]
