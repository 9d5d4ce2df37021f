"""Small helpers every handler module shares: typed app keys, link checks, time formatting."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from facilitator.links import LinkError
from facilitator.web.clients import SignInThrottle
from facilitator.web.context import SessionEntry, WebContext
from facilitator.web.ratelimit import SlidingWindowLimiter

CTX = web.AppKey("ctx", WebContext)
THROTTLE = web.AppKey("login_throttle", SignInThrottle)
POST_LIMITER = web.AppKey("post_limiter", SlidingWindowLimiter)
USED_LOGIN = web.AppKey("used_login_nonces", set)
STREAMS = web.AppKey("open_streams_per_client", Counter)
"""Open event streams by client pseudonym (clients.client_key), for the per-client cap."""
REVOKED = web.AppKey("revoked_director_sessions", set)
"""Session ids of director cookies ended by logout (loaded from the database at start)."""


def ctx_of(request: web.Request) -> WebContext:
    return request.app[CTX]


class VerifiedLinks:
    """Claims of link tokens already verified, so a busy board checks each signature once.

    Safe because the cache key is the exact token string (a different signature is a different
    key) and expiry is still checked against the clock on every use. Bounded: cleared when full.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._claims: dict[tuple[str, str], dict[str, Any]] = {}

    def verify(self, ctx: WebContext, token: str, audience: str) -> dict[str, Any]:
        now = ctx.now()
        claims = self._claims.get((audience, token))
        if claims is None:
            claims = ctx.signer.verify(token, audience, now)
            if len(self._claims) >= self.limit:
                self._claims.clear()
            self._claims[(audience, token)] = claims
        elif int(claims["exp"]) < int(now.timestamp()):
            raise LinkError("this link has expired")
        return claims


VERIFIED = web.AppKey("verified_links", VerifiedLinks)


def verify_link(request: web.Request, audience: str) -> dict[str, Any]:
    """The claims of the `{token}` in the path for `audience`, or a 403 page."""
    try:
        return request.app[VERIFIED].verify(ctx_of(request), request.match_info["token"], audience)
    except LinkError:
        raise web.HTTPForbidden() from None


MAX_ROW_ID = 2**63 - 1


def row_id(request: web.Request, name: str) -> int:
    """The database id in the path parameter `name`; 404 unless it is one SQLite can hold."""
    text = request.match_info[name]
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 0 < int(text) <= MAX_ROW_ID:
        raise web.HTTPNotFound(reason="There is no such item.")
    return int(text)


def session_or_404(ctx: WebContext, session_id: str) -> SessionEntry:
    entry = ctx.sessions.get(session_id)
    if entry is None:
        raise web.HTTPNotFound(reason="There is no such session running here.")
    return entry


def local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def hhmm(dt: datetime, tz: str) -> str:
    return local(dt, tz).strftime("%H:%M")


def day_hhmm(dt: datetime, tz: str) -> str:
    return local(dt, tz).strftime("%a %d %b %H:%M")


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")
