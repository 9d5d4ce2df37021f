"""The app factory: templates, middlewares, routes and resources wired in one readable place.

`create_app(ctx)` builds the whole web app from a WebContext; `serve(ctx, host, port)` runs it
with the privacy-preserving access log until cancelled. Tests build the same app and drive it
with aiohttp's test client.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from facilitator.web import (
    api,
    board,
    director,
    exports,
    facilitator_page,
    login,
    optout,
    surveys,
    zoom_route,
)
from facilitator.web.access_log import PrivateAccessLogger
from facilitator.web.clients import SignInThrottle
from facilitator.web.common import (
    CTX,
    POST_LIMITER,
    REVOKED,
    STREAMS,
    THROTTLE,
    USED_LOGIN,
    VERIFIED,
    VerifiedLinks,
)
from facilitator.web.context import WebContext, clock_rate
from facilitator.web.hub import CLOCK_TOPIC
from facilitator.web.middleware import body_limit, error_pages, security_headers
from facilitator.web.ratelimit import SlidingWindowLimiter
from facilitator.web.sse import KEEPALIVE_SECONDS

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
RUNNER_KWARGS: dict[str, Any] = {"access_log_class": PrivateAccessLogger}


def _static_url(version: str) -> Any:
    def static(path: str) -> str:
        return f"/static/{path}?v={version}"

    return static


async def _clock_ticks(app: web.Application) -> AsyncIterator[None]:
    """Push the app clock to open pages whenever it jumps (simulations, tests)."""
    ctx = app[CTX]
    loop = asyncio.get_running_loop()

    def publish() -> None:
        ctx.hub.publish(
            (CLOCK_TOPIC,), "clock", {"now": ctx.now().timestamp(), "rate": clock_rate(ctx.clock)}
        )

    def on_jump() -> None:
        loop.call_soon_threadsafe(publish)

    unsubscribe = ctx.clock.subscribe(on_jump)
    yield
    unsubscribe()


async def _keepalive(app: web.Application) -> AsyncIterator[None]:
    """One timer for every stream: a keepalive comment keeps proxies from closing idle streams."""
    hub = app[CTX].hub

    async def tick() -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            hub.ping()

    task = asyncio.create_task(tick())
    yield
    task.cancel()


async def _load_revoked(app: web.Application) -> None:
    """Director sessions ended by logout stay ended across a restart."""
    ctx = app[CTX]
    app[REVOKED].update(await ctx.store.revoked_director_sessions(ctx.now()))


async def _end_streams(app: web.Application) -> None:
    app[CTX].hub.close()


def create_app(ctx: WebContext) -> web.Application:
    app = web.Application(
        client_max_size=ctx.max_body_bytes,
        middlewares=[
            security_headers(ctx.settings.cookie_secure),
            error_pages,
            body_limit(ctx.max_body_bytes, ctx.board_body_bytes, ("/b/", "/survey/", "/login")),
        ],
    )
    app[CTX] = ctx
    app[THROTTLE] = SignInThrottle()
    app[POST_LIMITER] = SlidingWindowLimiter(ctx.now)
    app[USED_LOGIN] = set()
    app[login.LOGIN_FIRST_USE] = {}
    app[REVOKED] = set()
    app[STREAMS] = Counter()
    app.on_startup.append(_load_revoked)
    app[VERIFIED] = VerifiedLinks()
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(ctx.templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    version = str(int(max(p.stat().st_mtime for p in STATIC_DIR.iterdir())))
    env.globals["static"] = _static_url(version)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=False)
    for module in (login, director, exports, facilitator_page, board, surveys, optout, api):
        app.router.add_routes(module.routes())
    zoom_route.mount(app, ctx)
    app.cleanup_ctx.append(_clock_ticks)
    app.cleanup_ctx.append(_keepalive)
    app.on_shutdown.append(_end_streams)
    return app


async def start(ctx: WebContext, host: str, port: int) -> web.AppRunner:
    """Start serving and return the runner (call `await runner.cleanup()` to stop)."""
    runner = web.AppRunner(create_app(ctx), **RUNNER_KWARGS)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)  # bursts of new viewers must not hit SYN retries
    await site.start()
    log.info("serving on http://%s:%s", host, port)
    return runner


async def serve(ctx: WebContext, host: str, port: int) -> None:
    """Serve until cancelled (Ctrl-C in `facilitator serve`)."""
    runner = await start(ctx, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
