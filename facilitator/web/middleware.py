"""Middlewares: security headers, request body limits, and friendly error pages.

Why here and not in handlers: every response (including errors raised deep in aiohttp, such as
an oversized body) must carry the same strict headers and must never show a traceback for a
person's mistake. Paths under /api/ get JSON errors; everything else gets an HTML page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

_MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Sign in needed", "Please sign in first."),
    403: (
        "Not allowed",
        "This link is not valid: it may have expired, been mistyped, or be meant for "
        "another page. Ask the course director for a fresh link.",
    ),
    404: ("Not found", "There is no such page, session or room."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than this page accepts."),
    429: ("Slow down", "Too many requests in a short time. Please wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error happened on our side. It has been logged."),
}


def apply_security_headers(response: web.StreamResponse, secure: bool) -> None:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    # Links carry tokens in their path: never let them leak to other sites through Referer.
    h.setdefault("Referrer-Policy", "no-referrer")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")


DIRECTOR_PREFIXES = ("/sessions", "/api/", "/login", "/logout")
"""Paths whose answers are the director's (or their sign-in): never kept by a browser or proxy cache."""


def is_director_path(path: str) -> bool:
    return path == "/" or path.startswith(DIRECTOR_PREFIXES)


def security_headers(secure: bool) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        private = is_director_path(request.path)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            apply_security_headers(exc, secure)
            if private:
                exc.headers["Cache-Control"] = "no-store"
            raise
        if not response.prepared:
            apply_security_headers(response, secure)
            if private:
                # A shared or back-button cache must not keep emails, messages or CSRF tokens.
                response.headers["Cache-Control"] = "no-store"
        return response

    return middleware


def body_limit(default: int, small: int, small_prefixes: tuple[str, ...]) -> Middleware:
    """Refuse oversized bodies: declared ones before reading, streamed (chunked) ones while reading.

    A chunked body has no Content-Length, so the limit is also handed to the request itself
    (`client_max_size`), which makes `read()`/`post()` stop with 413 once it is passed.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        limit = small if request.path.startswith(small_prefixes) else default
        if request.content_length is not None and request.content_length > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
        if request.can_read_body and request.client_max_size > limit:
            request = request.clone(client_max_size=limit)
        return await handler(request)

    return middleware


def error_response(request: web.Request, status: int, detail: str | None) -> web.Response:
    title, default = _MESSAGES.get(status, ("Error", "The request failed."))
    message = detail or default
    if request.path.startswith("/api/") or request.headers.get("Accept", "").startswith("application/json"):
        return web.json_response({"error": message, "status": status}, status=status)
    return aiohttp_jinja2.render_template(
        "error.html", request, {"status": status, "title": title, "message": message}, status=status
    )


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # aiohttp's stock reasons ("Not Found") are replaced by our own friendlier text.
        stock = {HTTPStatus(exc.status).phrase, "Request Entity Too Large", "Content Too Large"}
        detail = exc.reason if exc.reason and exc.reason not in stock else None
        response = error_response(request, exc.status, detail)
        for name in ("Retry-After", "Allow", "WWW-Authenticate"):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception:
        log.exception("unexpected error handling %s %s", request.method, request.match_info.route.name)
        return error_response(request, 500, None)
