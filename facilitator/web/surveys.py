"""Survey links and completion callbacks.

`/s/{token}` records that a student opened their survey link and sends them on to the plan's
survey URL with their pseudonymous code filled in. `/survey/done` is the survey tool's
end-of-survey redirect; its HMAC (see surveys/completion.py) is what stops anyone from marking
another student's code complete, which would silence that student's reminders.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from facilitator.delivery.context import date_text, time_text
from facilitator.links import Audience
from facilitator.schedule.model import Schedule
from facilitator.surveys.codes import parse_code
from facilitator.surveys.completion import (
    KINDS,
    completion_signature,
    completion_url,
    survey_target_url,
    verify_completion,
)
from facilitator.web.common import ctx_of, session_or_404, verify_link
from facilitator.web.survey_close import is_closed


async def survey_link(request: web.Request) -> web.StreamResponse:
    ctx = ctx_of(request)
    claims = verify_link(request, Audience.SURVEY)
    sid, kind = str(claims.get("sid")), str(claims.get("kind"))
    try:
        code = parse_code(str(claims.get("code")))
    except ValueError:
        raise web.HTTPForbidden() from None
    entry = session_or_404(ctx, sid)
    template = entry.survey_urls.get(kind)
    if kind not in KINDS or not template:
        raise web.HTTPNotFound(reason="This session has no such survey.")
    closed = is_closed(entry.schedule, kind, ctx.now())
    if closed is not None:
        return _closed_page(request, entry.schedule, kind, closed, late=False)
    await ctx.store.record_survey_event(sid, code, kind, "opened", ctx.now())
    secret = ctx.settings.survey_secret.get_secret_value()
    target = survey_target_url(
        template,
        code,
        sig=completion_signature(secret, sid, code, kind),
        done_url=completion_url(ctx.settings.public_url, sid, code, kind, secret),
    )
    raise web.HTTPFound(target)


async def survey_done(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    q = request.query
    sid, code, kind, sig = (q.get("session", ""), q.get("code", ""), q.get("kind", ""), q.get("sig", ""))
    secret = ctx.settings.survey_secret.get_secret_value()
    if not verify_completion(secret, sid, code, kind, sig):
        raise web.HTTPForbidden(reason="This completion link is not valid, so nothing was recorded.")
    if await ctx.store.get_session(sid) is None:
        raise web.HTTPNotFound(reason="There is no such session.")
    entry = ctx.sessions.get(sid)
    closed = is_closed(entry.schedule, kind, ctx.now()) if entry is not None else None
    if closed is not None and entry is not None:
        # Kept apart and reported, never counted: a late pre-survey would spoil the pairing.
        await ctx.store.record_late_completion(sid, parse_code(code), kind, ctx.now())
        return _closed_page(request, entry.schedule, kind, closed, late=True)
    first = await ctx.store.record_survey_event(sid, parse_code(code), kind, "completed", ctx.now())
    if entry is not None and entry.on_outbox_change is not None:
        entry.on_outbox_change()  # reminders for this code can now be skipped
    return aiohttp_jinja2.render_template("survey_done.html", request, {"kind": kind, "first": first})


def _closed_page(
    request: web.Request, schedule: Schedule, kind: str, closed: datetime, *, late: bool
) -> web.Response:
    """A friendly page, in the session's zone, saying the survey closed and when (410 Gone)."""
    zone = ZoneInfo(schedule.session.timezone)
    context = {
        "kind": kind,
        "late": late,
        "closed_text": f"{date_text(closed, zone)} at {time_text(closed, zone)} ({zone.key})",
        "title": schedule.session.title,
    }
    return aiohttp_jinja2.render_template("survey_closed.html", request, context, status=410)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/s/{token}", survey_link, name="survey_link"),
        web.get("/survey/done", survey_done, name="survey_done"),
    ]
