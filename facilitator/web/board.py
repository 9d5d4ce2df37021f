"""The anonymous board: one signed link per room, the same for every student in it.

The link names a session and a room, never a person. Votes are deduplicated by a random token
the browser keeps in a cookie (stored only as a keyed hash). Works without JavaScript (plain
form posts); with it, posts and votes go over fetch and new posts arrive by server-sent events.
"""

from __future__ import annotations

import secrets
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from facilitator.calendars import detailed_calendar, room_attendee
from facilitator.links import Audience
from facilitator.schedule.model import Group
from facilitator.web import board_view, contributions
from facilitator.web.auth import derive_key
from facilitator.web.common import POST_LIMITER, ctx_of, row_id, session_or_404, verify_link
from facilitator.web.context import SessionEntry, clock_rate
from facilitator.web.hub import CLOCK_TOPIC, room_topic
from facilitator.web.sse import stream
from facilitator.zoom import bounded_json

VOTER_COOKIE = "board_voter"
VOTES_PER_POST = 10
"""Votes per minute per board link are this many times the plan's `posts_per_minute`."""


def _room(request: web.Request) -> tuple[SessionEntry, Group]:
    claims = verify_link(request, Audience.BOARD)
    entry = session_or_404(ctx_of(request), str(claims.get("sid")))
    gid = str(claims.get("gid"))
    group = next((g for g in entry.schedule.groups if g.id == gid), None)
    if group is None:
        raise web.HTTPNotFound(reason="There is no such room in this session.")
    return entry, group


def _wants_json(request: web.Request) -> bool:
    return (
        "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"
    )


def _voter(request: web.Request) -> tuple[str, bool]:
    token = request.cookies.get(VOTER_COOKIE, "")
    if 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum():
        return token, False
    return secrets.token_urlsafe(24), True


def _set_voter(request: web.Request, response: web.StreamResponse, voter: str) -> None:
    response.set_cookie(
        VOTER_COOKIE,
        voter,
        max_age=90 * 86400,
        path="/b/",
        httponly=True,
        samesite="Strict",
        secure=ctx_of(request).settings.cookie_secure,
    )


async def _render(
    request: web.Request,
    entry: SessionEntry,
    group: Group,
    *,
    error: str | None = None,
    notice: str | None = None,
    draft: str = "",
    status: int = 200,
) -> web.Response:
    ctx = ctx_of(request)
    items = await ctx.store.list_contributions(entry.id, group.id)
    tz = entry.schedule.session.timezone
    sort = board_view.sort_of(request.query.get("sort"))
    closed = board_view.is_closed(entry.schedule, ctx.now())
    closes = board_view.closes_at(entry.schedule)
    response = aiohttp_jinja2.render_template(
        "board.html",
        request,
        {
            "session": entry.schedule.session,
            "group": group,
            "token": request.match_info["token"],
            "items": [contributions.as_json(c, tz) for c in board_view.ordered(items, sort)],
            "sort": sort,
            "closed": closed,
            "closed_text": board_view.closed_reason(entry.schedule),
            "closes": closes.timestamp() if closes else "",
            "server_now": ctx.now().timestamp(),
            "rate": clock_rate(ctx.clock),
            "who_sees": board_view.WHO_SEES,
            "support": board_view.support_lines(entry.schedule.session),
            "error": error,
            "notice": notice,
            "draft": draft,
            "max_chars": contributions.MAX_CHARS,
        },
        status=status,
    )
    response.headers["Cache-Control"] = "no-store"
    voter, new = _voter(request)
    if new:
        _set_voter(request, response, voter)
    return response


async def board_page(request: web.Request) -> web.Response:
    entry, group = _room(request)
    notice = None
    if request.query.get("posted") == "held":
        notice = "Thank you. Your post will appear once the course director has approved it."
    elif request.query.get("posted") == "1":
        notice = "Posted."
    return await _render(request, entry, group, notice=notice)


def _too_many(request: web.Request, retry_after: float, action: str = "post") -> web.HTTPTooManyRequests:
    seconds = int(retry_after + 0.999)
    return web.HTTPTooManyRequests(
        reason=f"This room's board is busy: please wait {seconds} seconds and {action} again. Nothing was "
        "lost on your side; copy your text if you want to keep it.",
        headers={"Retry-After": str(seconds)},
    )


async def _closed(request: web.Request, entry: SessionEntry, group: Group, as_json: bool) -> web.Response:
    """After the breakout the board is read-only: a 409 that says so (the page, or JSON)."""
    reason = board_view.closed_reason(entry.schedule)
    if as_json:
        return web.json_response({"error": reason, "closed": True}, status=409)
    return await _render(request, entry, group, error=reason, status=409)


async def board_post(request: web.Request) -> web.StreamResponse:
    ctx = ctx_of(request)
    entry, group = _room(request)
    as_json = _wants_json(request)
    if board_view.is_closed(entry.schedule, ctx.now()):
        return await _closed(request, entry, group, as_json)
    raw: Any
    if request.content_type == "application/json":
        try:
            data = bounded_json.loads(await request.read())
        except bounded_json.BadJson:
            data = None
        raw = data.get("body") if isinstance(data, dict) else None
    else:
        raw = (await request.post()).get("body")
    try:
        contributions.clean_body(raw)
    except contributions.PostError as exc:
        if as_json:
            return web.json_response({"error": str(exc)}, status=400)
        return await _render(
            request,
            entry,
            group,
            error=str(exc),
            draft=raw[:5000] if isinstance(raw, str) else "",
            status=400,
        )
    limit = entry.schedule.session.board_posts_per_minute
    wait = request.app[POST_LIMITER].try_acquire(f"{entry.id}/{group.id}", limit)
    if wait:
        raise _too_many(request, wait)
    c = await contributions.post(ctx, entry, group.id, raw)
    if as_json:
        return web.json_response(
            {
                "ok": True,
                "held": c.hidden,
                "contribution": contributions.as_json(c, entry.schedule.session.timezone),
            }
        )
    raise web.HTTPSeeOther(f"/b/{request.match_info['token']}?posted={'held' if c.hidden else '1'}")


async def board_vote(request: web.Request) -> web.StreamResponse:
    ctx = ctx_of(request)
    entry, group = _room(request)
    if board_view.is_closed(entry.schedule, ctx.now()):
        return await _closed(request, entry, group, _wants_json(request))
    cid = row_id(request, "cid")
    voter, new = _voter(request)
    if new:
        # Without the cookie the board set, every request would look like a new browser and
        # votes would have no limit: ask for a reload (this answer sets the cookie).
        message = "Votes need this board's cookie: reload the board (with cookies allowed) and vote again."
        if _wants_json(request):
            refused = web.json_response({"error": message}, status=403)
            _set_voter(request, refused, voter)
            return refused
        return await _render(request, entry, group, error=message, status=403)
    limit = VOTES_PER_POST * entry.schedule.session.board_posts_per_minute
    wait = request.app[POST_LIMITER].try_acquire(f"votes/{entry.id}/{group.id}", limit)
    if wait:
        raise _too_many(request, wait, "vote")
    updated = await contributions.vote(ctx, entry, group.id, cid, voter, derive_key(ctx.settings, "vote"))
    if updated is None:
        raise web.HTTPNotFound(reason="There is no such post on this board.")
    if _wants_json(request):
        return web.json_response({"ok": True, "id": cid, "votes": updated.votes})
    return web.Response(status=303, headers={"Location": f"/b/{request.match_info['token']}"})


async def board_list(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    entry, group = _room(request)
    tz = entry.schedule.session.timezone
    items = await ctx.store.list_contributions(entry.id, group.id)
    return web.json_response(
        {"items": [contributions.as_json(c, tz) for c in sorted(items, key=lambda c: c.id)]},
        headers={"Cache-Control": "no-store"},
    )


async def board_events(request: web.Request) -> web.StreamResponse:
    entry, group = _room(request)
    # The app clock too, so an open board turns read-only when the breakout ends.
    return await stream(request, [room_topic(entry.id, group.id), CLOCK_TOPIC])


async def board_calendar(request: web.Request) -> web.Response:
    """The room's day as a calendar file (plenaries and this room), for students who did not
    take the emailed invitation. Per room, like the link: it names no student."""
    ctx = ctx_of(request)
    entry, group = _room(request)
    record = await ctx.store.get_session(entry.id)
    body = detailed_calendar(
        entry.schedule,
        room_attendee(entry.schedule, group.id),
        sequence=record.plan_revision if record else 0,
        dtstamp=ctx.now(),
    )
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{group.id}.ics"',
            "Cache-Control": "no-store",
        },
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/b/{token}", board_page, name="board"),
        web.post("/b/{token}", board_post, name="board_post"),
        web.get("/b/{token}/contributions", board_list, name="board_list"),
        web.get("/b/{token}/events", board_events, name="board_events"),
        web.get("/b/{token}/calendar.ics", board_calendar, name="board_calendar"),
        web.post("/b/{token}/vote/{cid}", board_vote, name="board_vote"),
    ]
