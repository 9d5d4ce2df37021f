"""The request loop under ZoomClient: pacing, retries, backoff and 429 handling for one call.

Every call goes: token, then a rate-limit grant, then the request. It retries what is worth
retrying: 429s (honouring `Retry-After`), 5xx, timeouts and dropped connections; never other 4xx,
which become typed ZoomErrors. An expired token (code 124) is replaced once. Only method,
endpoint template and status are logged: no tokens, no bodies, no emails.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from yarl import URL

from facilitator.zoom.errors import (
    FieldError,
    ZoomRateLimited,
    ZoomUnavailable,
    error_for,
    parse_error_body,
)
from facilitator.zoom.models import TokenResponse, ZoomErrorBody
from facilitator.zoom.ratelimit import (
    ENDPOINTS,
    RateLimiter,
    SentSignal,
    backoff_delay,
    is_daily_limit,
    rate_limit_wait,
)

# The client's logger, as before these modules were split out of it, so log filters keep working.
log = logging.getLogger("facilitator.zoom.client")

Sleep = Callable[[float], Awaitable[None]]


class TokenSource(Protocol):
    """Where the transport gets its bearer token (`auth.ZoomAuth`), and tells it one was refused."""

    async def token(self) -> TokenResponse: ...

    def invalidate(self, used: TokenResponse) -> None: ...


MAX_PAGES = 1000  # 300 per page: 300,000 items, far past any listing this program makes

RETRYABLE = (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Tests shrink `backoff_base`; `max_wait_seconds` caps rate-limit waits."""

    max_attempts: int = 5  # per call, for 5xx / timeouts / dropped connections
    max_rate_limited: int = 12  # per call, for per-second 429s
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_wait_seconds: float = 120.0  # a reset further away than this raises ZoomDailyLimit


@dataclass
class ZoomStats:
    """What the client did: for benchmarks, tests and `doctor`."""

    requests: Counter[str] = field(default_factory=Counter)  # by rate-limit category
    by_endpoint: Counter[str] = field(default_factory=Counter)
    responses_429: int = 0
    token_requests: int = 0
    retries: int = 0
    remaining: dict[str, int] = field(default_factory=dict)  # last X-RateLimit-Remaining seen


class Waits:
    """The waiting between tries, shared by API calls and token requests (one jitter source)."""

    def __init__(
        self, policy: RetryPolicy, stats: ZoomStats, sleep: Sleep, now: Callable[[], datetime]
    ) -> None:
        self.policy, self.stats = policy, stats
        self._sleep, self._now = sleep, now
        self._rng = random.Random()

    async def backoff(self, label: str, attempt: int, reason: str) -> None:
        """Sleep before retry `attempt`, or raise ZoomUnavailable when retries are used up."""
        if attempt >= self.policy.max_attempts:
            raise ZoomUnavailable(f"Zoom did not answer {label} after {attempt} attempts ({reason})")
        self.stats.retries += 1
        delay = backoff_delay(attempt, self.policy.backoff_base, self.policy.backoff_cap, self._rng)
        log.warning("zoom %s failed (%s); retry %d in %.2fs", label, reason, attempt, delay)
        await self._sleep(delay)

    async def rate_limited(
        self, label: str, headers: Mapping[str, str], err: ZoomErrorBody, count: int
    ) -> None:
        """Wait as Zoom asks (API-NOTES 4.2); `rate_limit_wait` raises when the wait is too long."""
        wait = rate_limit_wait(headers, err, self._now(), self.policy.max_wait_seconds)
        if count >= self.policy.max_rate_limited:
            raise ZoomRateLimited(f"Zoom kept answering 429 to {label} after {count} tries", status=429)
        if wait is None:
            wait = backoff_delay(count, self.policy.backoff_base, self.policy.backoff_cap, self._rng)
        log.warning("zoom %s rate limited; waiting %.2fs", label, wait)
        await self._sleep(wait)


class ZoomTransport:
    """Calls Zoom's REST endpoints by name (see ratelimit.ENDPOINTS) and returns parsed JSON."""

    def __init__(
        self,
        api_base_url: str,
        session: Callable[[], aiohttp.ClientSession],
        auth: TokenSource,
        limiter: RateLimiter,
        waits: Waits,
        stats: ZoomStats,
    ) -> None:
        self._api = api_base_url.rstrip("/")
        self._session, self._auth, self._limiter = session, auth, limiter
        self._waits, self._stats = waits, stats

    async def call(
        self,
        name: str,
        path_params: dict[str, str | int],
        *,
        params: dict[str, str | int] | None = None,
        body: dict[str, Any] | None = None,
        before_retry: Callable[[], Awaitable[Any]] | None = None,
    ) -> Any:
        """Call endpoint `name`; return the parsed JSON (None for 204). Raises typed ZoomErrors.

        `before_retry` runs before a retry that follows an ambiguous failure (a timeout, a dropped
        connection or a 5xx: the request may have been carried out), so a create can find what
        it already made instead of making it twice. If it returns something, that is the result.
        """
        ep = ENDPOINTS[name]
        path = ep.path.format(**{k: quote(str(v), safe="") for k, v in path_params.items()})
        url = URL(self._api + path, encoded=True)
        label = f"{ep.method} {ep.path}"
        failures = rate_limited = 0  # counted apart: 429s and a token refresh are not failures
        auth_refreshed = ambiguous = False
        while True:
            if ambiguous and before_retry is not None and (found := await before_retry()) is not None:
                return found
            token = await self._auth.token()  # first: a token fetch must not sit between pacing and sending
            grant = await self._limiter.acquire(ep.category)
            self._stats.requests[ep.category] += 1
            self._stats.by_endpoint[name] += 1
            headers = {"Authorization": f"Bearer {token.access_token.get_secret_value()}"}
            sent = SentSignal(self._limiter, ep.category, grant)
            try:
                async with self._session().request(
                    ep.method, url, params=params, json=body, headers=headers, trace_request_ctx=sent
                ) as r:
                    status, raw, resp_headers = r.status, await r.read(), r.headers
            except RETRYABLE as exc:
                ambiguous, failures = True, failures + 1
                await self._waits.backoff(label, failures, type(exc).__name__)
                continue
            finally:
                sent()  # normally already done when the headers left; never leave a slot held
            log.debug("zoom %s -> %d", label, status)
            self._note_remaining(resp_headers)
            if status < 300:
                return _json(raw)
            if status >= 500:
                ambiguous, failures = True, failures + 1
                await self._waits.backoff(label, failures, f"HTTP {status}")
                continue
            ambiguous = False  # a 4xx means the request was not carried out
            err = parse_error_body(raw)
            if status == 401 and err.code == 124 and not auth_refreshed:
                auth_refreshed = True  # expired or revoked token: one new token, one retry
                self._auth.invalidate(token)
                continue
            if status == 429 or (err.code == 300 and "daily rate limit" in err.message.lower()):
                self._stats.responses_429 += 1
                rate_limited += 1
                if status == 429 and not is_daily_limit(resp_headers.get("X-RateLimit-Type"), err.message):
                    self._limiter.slow_down(ep.category)
                await self._waits.rate_limited(label, resp_headers, err, rate_limited)
                continue
            log.info("zoom %s -> %d (code %s)", label, status, err.code)
            fields = tuple(FieldError(e.field, e.message) for e in err.errors or [])
            raise error_for(status, err.code, err.message, fields)

    def _note_remaining(self, headers: Mapping[str, str]) -> None:
        category, remaining = headers.get("X-RateLimit-Category"), headers.get("X-RateLimit-Remaining")
        if category and remaining and remaining.isdigit():
            self._stats.remaining[category] = int(remaining)

    async def pages(
        self, name: str, path_params: dict[str, str | int], params: dict[str, str | int], key: str
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paginated list. Each page repeats the original query (Zoom requires it).

        Stops, with a warning, on a `next_page_token` already followed, on an empty page that
        still names a next one, or after `MAX_PAGES`: a broken pager must not loop forever."""
        token = ""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            query = dict(params)
            if token:
                query["next_page_token"] = token
            data = await self.call(name, path_params, params=query)
            items = data.get(key) or []
            for item in items:
                yield item
            token = str(data.get("next_page_token") or "")
            if not token:
                return
            if token in seen or not items:
                log.warning("%s: next_page_token repeats or the page is empty; stopping the listing", name)
                return
            seen.add(token)
        log.warning("%s: more than %d pages; stopping the listing", name, MAX_PAGES)


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ZoomUnavailable("Zoom answered with a body that is not JSON") from None
