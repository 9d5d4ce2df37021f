"""Director sign-in: a password (checked against the configured hash) or the one-time link the CLI prints.

Failures are slowed down per client (clients.SignInThrottle), so nobody can lock the director
out. The sign-in link printed at start carries the nonce of this process only; after its first use
it keeps working for 10 minutes (other devices, mail scanners), then is refused, as is a link
printed by an earlier run. `facilitator director-link` prints a fresh link whose nonce's hash is
kept in the database and works once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from facilitator.links import Audience, LinkError
from facilitator.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    Director,
    authenticate,
    check_csrf,
    safe_next,
    set_session_cookie,
    verify_password,
)
from facilitator.web.clients import client_key
from facilitator.web.common import REVOKED, THROTTLE, USED_LOGIN, ctx_of
from facilitator.web.context import WebContext

LOGIN_LINK_LIFETIME = timedelta(days=2)
# After its first use the sign-in link still works this long (wall time) on other devices: a mail
# scanner or a co-director opening it first must not lock the director out.
LOGIN_REUSE_WINDOW = timedelta(minutes=10)
LOGIN_FIRST_USE: web.AppKey[dict[str, datetime]] = web.AppKey("login_first_use", dict)


def wall_now() -> datetime:
    """Sign-in is about people and their devices, so it runs on wall time, never on the app's clock:
    a simulated run's fast clock must not expire the director's session or sign-in link."""
    return datetime.now(UTC)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def login_url(ctx: WebContext, next_path: str = "/") -> str:
    """The one-time sign-in link for this process (what `facilitator serve` prints)."""
    token = ctx.signer.director_login_token(ctx.login_nonce, wall_now() + LOGIN_LINK_LIFETIME)
    suffix = f"?next={next_path}" if next_path != "/" else ""
    return ctx.signer.url(f"/login/{token}{suffix}")


def login_nonce_hash(nonce: str) -> str:
    """What the database keeps of a `director-link` nonce: its SHA-256, never the nonce itself."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def require_director(request: web.Request) -> Director:
    """The signed-in director, or a redirect to sign in (401 JSON under /api/)."""
    ctx = ctx_of(request)
    # The cookie is a person's sign-in: wall time. Bearer tokens (scripts) keep the app's clock.
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    director = authenticate(request, ctx.settings, ctx.now() if bearer else wall_now())
    if director is not None and not (director.via_cookie and director.sid in request.app[REVOKED]):
        return director
    if request.path.startswith("/api/"):
        raise web.HTTPUnauthorized(
            reason="Sign in, or send Authorization: Bearer <token>.", headers={"WWW-Authenticate": "Bearer"}
        )
    target = request.path_qs if request.method == "GET" else "/"
    raise web.HTTPSeeOther(f"/login?{urlencode({'next': target})}")


async def require_form(request: web.Request) -> tuple[Director, dict[str, str]]:
    """A signed-in director's form post with a valid CSRF token (403 otherwise)."""
    director = require_director(request)
    data = await request.post()
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    check_csrf(director, form.get("csrf") or request.headers.get("X-CSRF-Token"))
    return director, form


def _login_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    ctx = ctx_of(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = aiohttp_jinja2.render_template(
        "login.html",
        request,
        {
            "error": error,
            "csrf": token,
            "next": safe_next(request.query.get("next")),
            "password_enabled": ctx.settings.director_password_hash is not None,
        },
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/login",
        httponly=True,
        samesite="Strict",
        secure=ctx.settings.cookie_secure,
    )
    return response


async def login_form(request: web.Request) -> web.Response:
    return _login_page(request)


async def login_submit(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    data = await request.post()
    submitted = data.get("csrf")
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not isinstance(submitted, str) or not cookie or not secrets.compare_digest(submitted, cookie):
        raise web.HTTPForbidden(reason="The form was missing its security token; reload the page and retry.")
    throttle, client = request.app[THROTTLE], client_key(request)
    wait = throttle.retry_after(client)
    if wait > 0:
        raise web.HTTPTooManyRequests(
            reason=f"Too many failed sign-ins: try again in {int(wait) + 1} seconds, or use the sign-in link "
            "printed when the server started.",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    stored = ctx.settings.director_password_hash
    password = data.get("password")
    if (
        stored is None
        or not isinstance(password, str)
        or not verify_password(password, stored.get_secret_value())
    ):
        throttle.failed(client)
        return _login_page(request, "That password is not right.", status=401)
    throttle.succeeded(client)
    await ctx.store.audit(None, "director", "login", "password", ctx.now())
    response = web.Response(status=303, headers={"Location": safe_next(str(data.get("next") or "/"))})
    set_session_cookie(response, ctx.settings, wall_now())
    return response


async def login_link(request: web.Request) -> web.Response:
    ctx = ctx_of(request)
    try:
        claims = ctx.signer.verify(request.match_info["token"], Audience.DIRECTOR_LOGIN, wall_now())
    except LinkError:
        raise web.HTTPForbidden() from None
    nonce = str(claims.get("nonce"))
    used = request.app[USED_LOGIN]
    first_use = request.app[LOGIN_FIRST_USE]
    now = wall_now()
    spent = nonce in used and now - first_use.get(nonce, now - LOGIN_REUSE_WINDOW) >= LOGIN_REUSE_WINDOW
    this_run = secrets.compare_digest(nonce, ctx.login_nonce) and not spent
    # Else a link from `facilitator director-link`: its nonce's hash is in the database, once.
    if not this_run and not await ctx.store.use_login_link(login_nonce_hash(nonce), ctx.now()):
        raise web.HTTPForbidden(
            reason="This sign-in link was already used (it works for 10 minutes after its first use) "
            "or belongs to an earlier run. Use the password, or print a new one with "
            "`facilitator director-link`."
        )
    used.add(nonce)
    first_use.setdefault(nonce, now)
    await ctx.store.audit(None, "director", "login", "one-time link", ctx.now())
    response = web.Response(status=303, headers={"Location": safe_next(request.query.get("next"))})
    set_session_cookie(response, ctx.settings, now)
    return response


async def logout(request: web.Request) -> web.Response:
    director, _ = await require_form(request)
    if director.via_cookie:
        # Server-side: a copy of the cookie (another tab, a stolen one) stops working too.
        ctx = ctx_of(request)
        request.app[REVOKED].add(director.sid)
        await ctx.store.revoke_director_session(director.sid, ctx.now() + SESSION_LIFETIME)
    response = web.Response(status=303, headers={"Location": "/login"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def routes() -> list[web.RouteDef]:
    return [
        web.get("/login", login_form, name="login"),
        web.post("/login", login_submit, name="login_submit"),
        web.get("/login/{token}", login_link, name="login_link"),
        web.post("/logout", logout, name="logout"),
    ]
