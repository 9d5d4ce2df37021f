"""Zoom's per-second rate limits and endpoint facts (category, scopes), plus a client-side pacer.

Zoom counts requests per account and per category (Light / Medium / Heavy), across all apps
(API-NOTES section 4.1). The client paces itself so it never needs Zoom to say 429: one limiter
per category, shared by every call a client makes. The simulator uses the same tables to enforce
the limits, so the two can never disagree about which endpoint is which category.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiohttp

from facilitator.config import ZoomPlan
from facilitator.retry_after import parse_retry_after
from facilitator.zoom.errors import ZoomDailyLimit, ZoomRateLimited
from facilitator.zoom.models import ZoomErrorBody


class Category(StrEnum):
    """Zoom's rate-limit labels, spelled as in the `X-RateLimit-Category` header."""

    LIGHT = "Light"
    MEDIUM = "Medium"
    HEAVY = "Heavy"


# Requests per second, per account (API-NOTES 4.1; Business also covers Education/Enterprise).
PLAN_LIMITS: dict[ZoomPlan, dict[Category, int]] = {
    ZoomPlan.FREE: {Category.LIGHT: 4, Category.MEDIUM: 2, Category.HEAVY: 1},
    ZoomPlan.PRO: {Category.LIGHT: 30, Category.MEDIUM: 20, Category.HEAVY: 10},
    ZoomPlan.BUSINESS: {Category.LIGHT: 80, Category.MEDIUM: 60, Category.HEAVY: 40},
}


@dataclass(frozen=True)
class Endpoint:
    """One Zoom REST operation the bot uses; `path` is relative to the `/v2` base.

    `scopes`: any one of them allows the call (granular first, then classic). Server-to-Server
    apps act account-wide, hence the `:admin` forms.
    """

    name: str
    method: str
    path: str
    category: Category
    scopes: tuple[str, ...]


_L, _M, _H = Category.LIGHT, Category.MEDIUM, Category.HEAVY
_MTG_R, _MTG_W = "meeting:read:admin", "meeting:write:admin"
_ENDPOINTS = (
    Endpoint(
        "create_meeting", "POST", "/users/{userId}/meetings", _M, ("meeting:write:meeting:admin", _MTG_W)
    ),
    Endpoint(
        "list_meetings", "GET", "/users/{userId}/meetings", _M, ("meeting:read:list_meetings:admin", _MTG_R)
    ),
    Endpoint("get_meeting", "GET", "/meetings/{meetingId}", _L, ("meeting:read:meeting:admin", _MTG_R)),
    Endpoint(
        "update_meeting", "PATCH", "/meetings/{meetingId}", _L, ("meeting:update:meeting:admin", _MTG_W)
    ),
    Endpoint(
        "delete_meeting", "DELETE", "/meetings/{meetingId}", _L, ("meeting:delete:meeting:admin", _MTG_W)
    ),
    Endpoint(
        "add_registrant",
        "POST",
        "/meetings/{meetingId}/registrants",
        _L,
        ("meeting:write:registrant:admin", _MTG_W),
    ),
    Endpoint(
        "batch_registrants",
        "POST",
        "/meetings/{meetingId}/batch_registrants",
        _H,
        ("meeting:write:batch_registrants:admin", _MTG_W),
    ),
    Endpoint(
        "list_registrants",
        "GET",
        "/meetings/{meetingId}/registrants",
        _M,
        ("meeting:read:list_registrants:admin", _MTG_R),
    ),
    Endpoint(
        "list_past_participants",
        "GET",
        "/past_meetings/{meetingId}/participants",
        _M,
        ("meeting:read:list_past_participants:admin", _MTG_R),
    ),
    Endpoint("get_user", "GET", "/users/{userId}", _L, ("user:read:user:admin", "user:read:admin")),
    Endpoint(
        "send_chat_message",
        "POST",
        "/chat/users/{userId}/messages",
        _M,
        ("team_chat:write:user_message:admin", "chat_message:write:admin"),
    ),
)
ENDPOINTS: dict[str, Endpoint] = {e.name: e for e in _ENDPOINTS}

# Zoom counts a request when it reaches Zoom. Requests sent a second apart can arrive less than a
# second apart when the earlier one was held up on the way (a busy host, the network, Zoom's own
# gateways): measured here, up to ~75 ms on a loaded machine. A 0.1 s margin absorbs that and
# still uses ~91% of the limit.
DEFAULT_MARGIN_SECONDS = 0.1
SLOW_DOWN_STEP = 0.05
MAX_MARGIN_SECONDS = 0.5


class Grant:
    """One use of a rate-limit slot. `at` moves to when the request really left (see `sent`)."""

    __slots__ = ("at", "pending")

    def __init__(self, at: float) -> None:
        self.at = at
        self.pending = True  # granted, not yet on the wire: holds its slot until sent


class RollingWindow:
    """At most `limit` grants in any `window` seconds, granted in arrival order.

    WHY not a classic token bucket: a bucket of capacity N refilled at N/s lets 2N requests
    through in one second (a full bucket, then the refill), and Zoom answers the second N with
    429s. Here each grant's slot comes back exactly `window` seconds after it was used.
    WHY `sent`: Zoom counts a request when it arrives, not when we decided to send it. A busy
    event loop can hold a granted request back for tens of milliseconds, and the next second's
    requests, sent on time, would then land in the same second as it. So a grant's time is moved
    to the moment its headers were written, and the slot is held until then.
    """

    def __init__(
        self,
        limit: int,
        window: float = 1.0 + DEFAULT_MARGIN_SECONDS,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._grants: list[Grant] = []
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    def _prune(self, now: float) -> None:
        self._grants = [g for g in self._grants if g.pending or g.at > now - self.window]

    def try_acquire(self) -> bool:
        """Take a grant now if one is free (used by the simulator to decide on a 429)."""
        now = self._monotonic()
        self._prune(now)
        if len(self._grants) < self.limit:
            grant = Grant(now)
            grant.pending = False
            self._grants.append(grant)
            return True
        return False

    def remaining(self) -> int:
        self._prune(self._monotonic())
        return self.limit - len(self._grants)

    def sent(self, grant: Grant) -> None:
        """The request left now: its slot is counted from here (idempotent)."""
        if grant.pending:
            grant.pending = False
            grant.at = max(grant.at, self._monotonic())

    async def acquire(self) -> Grant:
        """Wait until a slot is free, then take it. FIFO: the lock queues waiters in order."""
        async with self._lock:
            while True:
                now = self._monotonic()
                self._prune(now)
                if len(self._grants) < self.limit:
                    grant = Grant(now)
                    self._grants.append(grant)
                    return grant
                settled = [g.at for g in self._grants if not g.pending]
                delay = min(settled) + self.window - now if settled else 0.005
                self.waited_seconds += delay
                await asyncio.sleep(max(delay, 0.001))


class RateLimiter:
    """One rolling window per category, sized for the account's plan."""

    def __init__(
        self,
        plan: ZoomPlan,
        *,
        margin: float = DEFAULT_MARGIN_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.limits = dict(PLAN_LIMITS[plan])
        self.windows = {
            cat: RollingWindow(limit, 1.0 + margin, monotonic=monotonic) for cat, limit in self.limits.items()
        }

    async def acquire(self, category: Category) -> Grant:
        return await self.windows[category].acquire()

    def sent(self, category: Category, grant: Grant) -> None:
        self.windows[category].sent(grant)

    def slow_down(self, category: Category) -> None:
        """Zoom said 429 anyway (other apps share the account, or arrivals bunched up): widen
        this category's window a little for the rest of the run, up to half a second."""
        window = self.windows[category]
        window.window = min(window.window + SLOW_DOWN_STEP, 1.0 + MAX_MARGIN_SECONDS)


class SentSignal:
    """Passed with a request (`trace_request_ctx`): tells the pacer when the request really left."""

    def __init__(self, limiter: RateLimiter, category: Category, grant: Grant) -> None:
        self.limiter, self.category, self.grant = limiter, category, grant

    def __call__(self) -> None:
        self.limiter.sent(self.category, self.grant)


async def _headers_sent(session: aiohttp.ClientSession, ctx: Any, params: Any) -> None:
    if isinstance(ctx.trace_request_ctx, SentSignal):
        ctx.trace_request_ctx()


def pacing_trace() -> aiohttp.TraceConfig:
    """An aiohttp trace that signals `SentSignal`s as soon as a request's headers are written."""
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(_headers_sent)
    return trace


# --- reading Zoom's 429s ----------------------------------------------------------------------


def is_daily_limit(limit_type: str | None, message: str) -> bool:
    """Daily limits are named in `X-RateLimit-Type`, or only in the message (per-user limits)."""
    if limit_type and "daily" in limit_type.lower():
        return True
    text = message.lower()
    return "daily" in text or "per day" in text or "gmt 00:00:00" in text


def next_utc_midnight(now: datetime) -> datetime:
    """When Zoom's daily counters reset ("You may resume these requests at GMT 00:00:00")."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: attempt 1 waits about `base`, doubling up to `cap`.

    The jitter (half to all of the step) keeps many clients that failed together from
    retrying together.
    """
    step: float = min(cap, base * 2.0 ** max(0, attempt - 1))
    return step * rng.uniform(0.5, 1.0)


def rate_limit_wait(
    headers: Mapping[str, str], error: ZoomErrorBody, now: datetime, max_wait: float
) -> float | None:
    """Seconds to wait after a 429 as Zoom asks, or None when it does not say (back off instead).

    Daily limits without a `Retry-After` reset at UTC midnight. A wait beyond `max_wait` is not
    worth sleeping through: raise ZoomDailyLimit (or ZoomRateLimited) with when to resume.
    """
    wait = parse_retry_after(headers.get("Retry-After"), now)
    daily = is_daily_limit(headers.get("X-RateLimit-Type"), error.message)
    if wait is None and daily:
        wait = (next_utc_midnight(now) - now).total_seconds()
    if wait is not None and wait > max_wait:
        resume = now + timedelta(seconds=wait)
        text = f"{error.message or 'Zoom rate limit reached'} (resume at {resume:%Y-%m-%d %H:%M} UTC)"
        if daily:
            raise ZoomDailyLimit(text, status=429, code=error.code, resume_at=resume)
        raise ZoomRateLimited(text, status=429, code=error.code)
    return wait
