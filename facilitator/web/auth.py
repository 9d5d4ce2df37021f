"""Director authentication: password hashes, signed session cookies, CSRF tokens, login throttling.

Why stateless cookies: the director's session survives a restart of `facilitator serve` without a
sessions table. The cookie is a JWT of its own audience, so no board, facilitator or login link
can be replayed as a session. CSRF tokens are an HMAC of the cookie's random id: no server state,
and a token from one director session is useless in another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from aiohttp import web

from facilitator.config import Settings

SESSION_COOKIE = "facilitator_director"
LOGIN_CSRF_COOKIE = "facilitator_login_csrf"
SESSION_AUDIENCE = "director-session"
API_AUDIENCE = "director-api"
SESSION_LIFETIME = timedelta(hours=12)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` (base64): what FACILITATOR_DIRECTOR_PASSWORD_HASH holds."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **_SCRYPT)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of `password` against a `hash_password` string; False if malformed."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.urlsafe_b64decode(salt_b64)
        expected = base64.urlsafe_b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode(),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def derive_key(settings: Settings, purpose: str) -> bytes:
    """A per-purpose key derived from the app secret, so one leaked token type opens nothing else."""
    return hmac.new(
        settings.secret_key.get_secret_value().encode(), purpose.encode(), hashlib.sha256
    ).digest()


def issue_session_cookie(settings: Settings, now: datetime) -> str:
    claims = {
        "aud": SESSION_AUDIENCE,
        "sid": secrets.token_urlsafe(16),
        "exp": int((now + SESSION_LIFETIME).timestamp()),
    }
    return jwt.encode(claims, derive_key(settings, SESSION_AUDIENCE), algorithm="HS256")


def director_api_token(settings: Settings, now: datetime, lifetime: timedelta = timedelta(days=30)) -> str:
    """A bearer token for `/api/` (scripts, the CLI); printed by the CLI, never stored."""
    claims = {"aud": API_AUDIENCE, "sid": secrets.token_urlsafe(8), "exp": int((now + lifetime).timestamp())}
    return jwt.encode(claims, derive_key(settings, API_AUDIENCE), algorithm="HS256")


def _decode(token: str, settings: Settings, audience: str, now: datetime) -> dict[str, Any] | None:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            derive_key(settings, audience),
            algorithms=["HS256"],
            audience=audience,
            options={"require": ["exp", "aud", "sid"], "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        return None
    return claims if int(claims["exp"]) >= int(now.timestamp()) else None


@dataclass(frozen=True)
class Director:
    """An authenticated director request: `csrf` is empty for bearer-token (non-cookie) requests."""

    sid: str
    csrf: str
    via_cookie: bool


def csrf_token(settings: Settings, sid: str) -> str:
    return hmac.new(derive_key(settings, "csrf"), sid.encode(), hashlib.sha256).hexdigest()[:40]


def authenticate(request: web.Request, settings: Settings, now: datetime) -> Director | None:
    """The director behind this request (cookie or `Authorization: Bearer`), or None."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        claims = _decode(header[7:].strip(), settings, API_AUDIENCE, now)
        return Director(str(claims["sid"]), "", False) if claims else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    claims = _decode(cookie, settings, SESSION_AUDIENCE, now)
    if claims is None:
        return None
    sid = str(claims["sid"])
    return Director(sid, csrf_token(settings, sid), True)


def set_session_cookie(response: web.StreamResponse, settings: Settings, now: datetime) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issue_session_cookie(settings, now),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="Strict",
    )


def check_csrf(director: Director, submitted: str | None) -> None:
    """Raise 403 unless a cookie-authenticated request carries its session's CSRF token."""
    if not director.via_cookie:
        return  # bearer tokens are not sent automatically by browsers: no cross-site risk
    if not submitted or not hmac.compare_digest(submitted, director.csrf):
        raise web.HTTPForbidden(reason="The form was missing its security token; reload the page and retry.")


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect); anything else goes to `/`.

    A single leading `/`, then no second `/` or backslash right after it, and no control or space
    characters anywhere: browsers drop tabs and newlines from URLs (so `/\t/evil.example` becomes
    `//evil.example`, another site) and a newline in a Location header breaks the response.
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/"
    if "\\" in target or any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in target):
        return "/"
    return target


class LoginThrottle:
    """Per-process lockout that doubles after each failure beyond the third (capped at 15 minutes).

    Not per client address: the app keeps no addresses. A locked-out director can still use the
    one-time login link the CLI printed.
    """

    def __init__(
        self,
        free_failures: int = 3,
        cap_seconds: float = 900.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.cap_seconds = cap_seconds
        self._monotonic = monotonic
        self.failures = 0
        self._locked_until = 0.0

    def retry_after(self) -> float:
        """Seconds until another attempt is allowed (0 when allowed now)."""
        return max(0.0, self._locked_until - self._monotonic())

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.free_failures:
            delay = min(self.cap_seconds, 2.0 ** (self.failures - self.free_failures))
            self._locked_until = self._monotonic() + delay

    def succeeded(self) -> None:
        self.failures = 0
        self._locked_until = 0.0
