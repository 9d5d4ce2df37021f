"""The console's HTTP side: the Home URL Zoom opens, and the WebSocket the page then talks over.

`GET /zoomapp/home` trusts only the encrypted X-Zoom-App-Context header: missing, forged, expired,
replayed or for another app is a plain 401 page; an attendee is a 403; a meeting no running
session owns is a 404. Every HTML answer carries the four headers Zoom's client insists on
(Strict-Transport-Security, X-Content-Type-Options, Content-Security-Policy, Referrer-Policy),
since Zoom refuses to render a 200 without them. The page gets a short-lived signed token in a
meta tag (never a cookie) and presents it as the first WebSocket message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from yarl import URL

from facilitator.links import LinkError
from facilitator.web.middleware import error_response
from facilitator.zoomapp.context import HEADER, ContextError, verify_context
from facilitator.zoomapp.hub import ConsoleLink
from facilitator.zoomapp.protocol import Ack, Control, Hello, ProtocolError, SdkEvent, parse_inbound
from facilitator.zoomapp.service import ConsoleService

log = logging.getLogger(__name__)

SERVICE: web.AppKey[ConsoleService] = web.AppKey("zoomapp_service", ConsoleService)
HELLO_WITHIN = 10.0  # real seconds for a new socket to present its token
VIEW_EVERY = 5.0  # real seconds between view refreshes (room occupancy changes by webhook)
PARTICIPANTS_EVERY = 12  # view refreshes between re-reads of the participant list (about a minute)
MAX_BAD_MESSAGES = 20


def console_headers(response: web.StreamResponse, public_url: str) -> None:
    """The headers Zoom's client requires on every HTML 200 (and that do no harm on errors)."""
    ws = public_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/")
    h = response.headers
    h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {ws}; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self' https://*.zoom.us https://*.zoom.com"
    )
    h["Cache-Control"] = "no-store"


def _refuse(request: web.Request, service: ConsoleService, status: int, reason: str) -> web.Response:
    response = error_response(request, status, reason)
    console_headers(response, service.signer.public_url)
    return response


async def home(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    now = service.clock.now()
    header = request.headers.get(HEADER)
    try:
        ctx = verify_context(header, service.client_id, service.client_secret, now)
        assert header is not None
        service.replay.check(header, ctx.expires_at_ms, now)
    except ContextError as exc:
        return _refuse(request, service, exc.status, exc.reason)
    if not ctx.may_control:
        return _refuse(request, service, 403, "The host console is for the meeting's host and co-hosts.")
    bound = service.session_for(ctx)
    if bound is None:
        return _refuse(request, service, 404, "No running session uses this Zoom meeting.")
    response = aiohttp_jinja2.render_template(
        "zoomapp_console.html",
        request,
        {
            "token": service.token(ctx, now),
            "session_title": bound.schedule.session.title,
            "in_breakout_room": ctx.in_breakout_room,
        },
    )
    console_headers(response, service.signer.public_url)
    return response


def _same_origin(request: web.Request, public_url: str) -> bool:
    """A browser always sends Origin on a WebSocket: only our own page may open one (no cross-site
    socket riding on a leaked token). Non-browser clients send none."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    ours = URL(public_url)
    theirs = URL(origin)
    here = URL(f"{request.scheme}://{request.host}")
    return any((theirs.scheme, theirs.host, theirs.port) == (u.scheme, u.host, u.port) for u in (ours, here))


async def socket(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    if not _same_origin(request, service.signer.public_url):
        raise web.HTTPForbidden(reason="The console's socket is only for the console page.")
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    try:
        first = await asyncio.wait_for(ws.receive(), HELLO_WITHIN)
        hello = parse_inbound(first.data) if first.type == WSMsgType.TEXT else None
        if not isinstance(hello, Hello):
            raise ProtocolError("the first message must be a hello with the console token")
        claims = service.verify_token(hello.token)
    except (TimeoutError, ProtocolError, LinkError) as exc:
        reason = str(exc) or "no hello in time"
        await ws.send_str(json.dumps({"type": "error", "reason": reason}))
        await ws.close(code=4401, message=b"unauthorized")
        return ws
    meeting = str(claims["mid"])
    link = ConsoleLink(
        send=ws.send_str,
        user_id=str(claims.get("uid")),
        role=str(claims.get("role")),
        hello=hello,
        may_control=True,
    )
    service.hub.attach(meeting, link)
    mode = "control" if link.in_control else "read-only"
    await ws.send_str(json.dumps({"type": "welcome", "mode": mode}))
    refresher = asyncio.get_running_loop().create_task(_refresh(service, meeting, link))
    bad = 0
    controls: set[asyncio.Task[None]] = set()
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                inbound = parse_inbound(msg.data)
            except ProtocolError as exc:
                bad += 1
                await ws.send_str(json.dumps({"type": "error", "reason": str(exc)}))
                if bad >= MAX_BAD_MESSAGES:
                    break
                continue
            if isinstance(inbound, Ack):
                service.hub.deliver(link, inbound)
            elif isinstance(inbound, Control):
                # On its own task: a control waits for SDK answers that arrive on this very loop.
                task = asyncio.get_running_loop().create_task(_control(service, meeting, link, inbound))
                controls.add(task)
                task.add_done_callback(controls.discard)
            elif isinstance(inbound, SdkEvent):
                log.debug("console event %s", inbound.name)
    finally:
        refresher.cancel()
        for task in controls:
            task.cancel()
        service.hub.detach(meeting, link)
    return ws


async def _control(service: ConsoleService, meeting: str, link: ConsoleLink, control: Control) -> None:
    outcome = await service.control(meeting, link, control)
    try:
        await link.send(json.dumps({"type": "control", "action": control.action, "outcome": outcome}))
        await link.send(json.dumps(service.view(meeting, link)))
    except Exception:  # the page went away meanwhile
        return


async def _refresh(service: ConsoleService, meeting: str, link: ConsoleLink) -> None:
    """Keep the page current; the console in control also re-reads the participant list now and then
    (the host confirms physicians from it, and it shows who became co-host)."""
    driver = service.meetings[meeting].driver
    for tick in itertools.count():
        if link.in_control and tick % PARTICIPANTS_EVERY == 0:
            await driver.refresh_participants()
        try:
            await link.send(json.dumps(service.view(meeting, link)))
        except Exception:
            return
        await asyncio.sleep(VIEW_EVERY)


def mount(app: web.Application, service: ConsoleService) -> None:
    """Add the console's routes to the web app (call before the app starts)."""
    app[SERVICE] = service
    app.router.add_get("/zoomapp/home", home, name="zoomapp_home")
    app.router.add_get("/zoomapp/ws", socket, name="zoomapp_ws")
