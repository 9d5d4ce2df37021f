"""`/optout`: a student stops reminders and follow-ups, honoured from the next send on.

GET shows what opting out means and a button (mail scanners follow links, so a GET must never
opt anyone out); POST records it. A mail client's one-click unsubscribe (RFC 8058) POSTs
`List-Unsubscribe=One-Click` to the same URL. The link's HMAC (surveys/optout.py) is the only
authority: a bad one is a 403 that records nothing.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from facilitator.surveys.codes import parse_code
from facilitator.surveys.optout import verify_opt_out
from facilitator.web.common import ctx_of

MAX_BODY = 1024


def _checked(request: web.Request) -> tuple[str, str]:
    ctx = ctx_of(request)
    q = request.query
    sid, code, sig = q.get("session", ""), q.get("code", ""), q.get("sig", "")
    if not verify_opt_out(ctx.settings.survey_secret.get_secret_value(), sid, code, sig):
        raise web.HTTPForbidden(reason="This opt-out link is not valid, so nothing was changed.")
    return sid, parse_code(code)


async def opt_out_page(request: web.Request) -> web.Response:
    sid, _ = _checked(request)
    title = await _title(request, sid)
    return aiohttp_jinja2.render_template("optout.html", request, {"title": title, "done": False})


async def opt_out(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    sid, code = _checked(request)
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    if await ctx.store.get_session(sid) is None:
        raise web.HTTPNotFound(reason="There is no such session.")
    await ctx.store.record_opt_out(sid, code, ctx.now())
    title = await _title(request, sid)
    return aiohttp_jinja2.render_template("optout.html", request, {"title": title, "done": True})


async def _title(request: web.Request, sid: str) -> str:
    record = await ctx_of(request).store.get_session(sid)
    if record is None:
        raise web.HTTPNotFound(reason="There is no such session.")
    return record.title


def routes() -> list[web.RouteDef]:
    return [
        web.get("/optout", opt_out_page, name="opt_out_page"),
        web.post("/optout", opt_out, name="opt_out"),
    ]
