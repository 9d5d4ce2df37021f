"""The JSON API under /api/: sessions, schedule, messages, contributions, response rates, live rooms.

Authenticated like the director's pages (the session cookie) or with `Authorization: Bearer`
(a token from `auth.director_api_token`). POSTs made with the cookie need the `X-CSRF-Token`
header; bearer requests do not, since browsers never attach them on their own.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from facilitator.schedule.serialize import schedule_to_dict
from facilitator.store.base import OutboxMessage
from facilitator.surveys.rates import format_rates
from facilitator.web import contributions
from facilitator.web.auth import check_csrf
from facilitator.web.common import ctx_of, iso, row_id
from facilitator.web.context import clock_rate
from facilitator.web.live import live_summary
from facilitator.web.login import require_director
from facilitator.web.session_facts import sent_escalations
from facilitator.web.sessions import entry_or_404


def _message(m: OutboxMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "key": m.key,
        "kind": m.kind,
        "audience": m.audience,
        "recipient_id": m.recipient_id,
        "channel": m.channel,
        "due": iso(m.due),
        "deadline": iso(m.deadline),
        "status": str(m.status),
        "attempts": m.attempts,
        "last_error": m.last_error,
        "sent_at": iso(m.sent_at) if m.sent_at else None,
    }


async def sessions(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    out = {
        r.id: {
            "id": r.id,
            "title": r.title,
            "start": iso(r.start),
            "end": iso(r.end),
            "status": r.status,
            "running": r.id in ctx.sessions,
        }
        for r in await ctx.store.list_sessions()
    }
    for entry in ctx.sessions:
        s = entry.schedule.session
        out.setdefault(
            s.id,
            {
                "id": s.id,
                "title": s.title,
                "start": iso(s.start),
                "end": iso(s.end),
                "status": "active",
                "running": True,
            },
        )
    return web.json_response({"sessions": sorted(out.values(), key=lambda r: r["start"])})


async def schedule(request: web.Request) -> web.Response:
    require_director(request)
    entry = await entry_or_404(ctx_of(request), request.match_info["sid"])
    return web.json_response(schedule_to_dict(entry.schedule))


async def messages(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    statuses = request.query.getall("status", []) or None
    kinds = request.query.getall("kind", []) or None
    rows = await ctx.store.list_messages(entry.id, kinds=kinds, statuses=statuses)
    counts = [
        {"kind": k, "status": s, "count": n}
        for (k, s), n in sorted((await ctx.store.message_counts(entry.id)).items())
    ]
    return web.json_response({"messages": [_message(m) for m in rows], "counts": counts})


async def message_action(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    director = require_director(request)
    check_csrf(director, request.headers.get("X-CSRF-Token"))
    entry = await entry_or_404(ctx, request.match_info["sid"])
    mid = row_id(request, "mid")
    message = await ctx.store.get_message(mid)
    if message is None or message.session_id != entry.id:
        raise web.HTTPNotFound(reason="There is no such message in this session.")
    action = request.match_info["action"]
    done = await (
        ctx.store.retry_message(mid, ctx.now()) if action == "retry" else ctx.store.cancel_message(mid)
    )
    if done:
        await ctx.store.audit(entry.id, "director", f"message.{action}", message.key, ctx.now())
        if entry.on_outbox_change is not None:
            entry.on_outbox_change()
    updated = await ctx.store.get_message(mid)
    assert updated is not None
    return web.json_response({"changed": done, "message": _message(updated)}, status=200 if done else 409)


async def contributions_list(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    room = request.query.get("room") or None
    include_hidden = request.query.get("include_hidden", "1") not in {"0", "false", "no"}
    tz = entry.schedule.session.timezone
    items = await ctx.store.list_contributions(entry.id, room, include_hidden=include_hidden)
    return web.json_response(
        {"contributions": [contributions.as_json(c, tz) for c in sorted(items, key=lambda c: c.id)]}
    )


async def moderation(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    director = require_director(request)
    check_csrf(director, request.headers.get("X-CSRF-Token"))
    entry = await entry_or_404(ctx, request.match_info["sid"])
    cid = row_id(request, "cid")
    hidden = request.match_info["action"] == "hide"
    if not await contributions.moderate(ctx, entry, cid, hidden):
        raise web.HTTPNotFound(reason="There is no such contribution in this session.")
    await ctx.store.audit(
        entry.id, "director", "contribution.hide" if hidden else "contribution.show", str(cid), ctx.now()
    )
    return web.json_response({"id": cid, "hidden": hidden})


async def rates(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    c = await ctx.store.survey_counts(entry.id)
    return web.json_response(
        {
            "pre": c.pre,
            "post": c.post,
            "both": c.both,
            "total": c.total,
            "late_pre": c.late_pre,
            "late_post": c.late_post,
            "text": format_rates(c.pre, c.post, c.both, c.total, c.late_pre, c.late_post),
        }
    )


async def live(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    require_director(request)
    entry = await entry_or_404(ctx, request.match_info["sid"])
    summary = live_summary(entry, ctx.now(), await sent_escalations(ctx, entry))
    return web.json_response({"now": iso(ctx.now()), "live": summary})


async def time_now(request: web.Request) -> web.Response:
    """The app's clock (simulated or real): public, it reveals nothing."""
    ctx = ctx_of(request)
    return web.json_response(
        {"now": ctx.now().timestamp(), "iso": iso(ctx.now()), "rate": clock_rate(ctx.clock)}
    )


def routes() -> list[web.RouteDef]:
    sid = "/api/sessions/{sid}"
    return [
        web.get("/api/time", time_now, name="api_time"),
        web.get("/api/sessions", sessions, name="api_sessions"),
        web.get(f"{sid}/schedule", schedule, name="api_schedule"),
        web.get(f"{sid}/messages", messages, name="api_messages"),
        web.post(
            sid + r"/messages/{mid:\d+}/{action:retry|cancel}", message_action, name="api_message_action"
        ),
        web.get(f"{sid}/contributions", contributions_list, name="api_contributions"),
        web.post(sid + r"/contributions/{cid:\d+}/{action:hide|show}", moderation, name="api_moderation"),
        web.get(f"{sid}/rates", rates, name="api_rates"),
        web.get(f"{sid}/live", live, name="api_live"),
    ]
