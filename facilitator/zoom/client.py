"""An async Zoom REST client: Server-to-Server OAuth, pacing, retries, typed calls.

One `ZoomClient` per process talks to one Zoom account. It keeps one token (fetched ~60 s before
expiry, by one caller while the others wait, and once more if Zoom says code 124), paces every
call per rate-limit category so Zoom rarely needs to say 429, and retries what is worth retrying:
429s (honouring `Retry-After`), 5xx, timeouts and dropped connections; never other 4xx.
Base URLs come from settings, so the same client talks to Zoom or to the simulator.
Only method, endpoint template and status are logged: no tokens, no bodies, no emails.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import quote

import aiohttp
from yarl import URL

from facilitator.config import Settings
from facilitator.zoom.errors import (
    FieldError,
    ZoomAuthError,
    ZoomNotConfigured,
    ZoomRateLimited,
    ZoomUnavailable,
    error_for,
    oauth_reason,
    parse_error_body,
)
from facilitator.zoom.models import (
    MAX_BATCH_REGISTRANTS,
    BatchRegistrant,
    BatchRegistrantResult,
    BatchRegistrantsRequest,
    BatchRegistrantsResponse,
    ChatMessageRequest,
    ChatMessageSent,
    Meeting,
    MeetingRequest,
    MeetingSummary,
    PastParticipant,
    Registrant,
    RegistrantCreate,
    RegistrantCreated,
    TokenResponse,
    ZoomErrorBody,
    ZoomUser,
)
from facilitator.zoom.ratelimit import (
    DEFAULT_MARGIN_SECONDS,
    ENDPOINTS,
    RateLimiter,
    SentSignal,
    backoff_delay,
    is_daily_limit,
    pacing_trace,
    rate_limit_wait,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
_RETRYABLE = (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)
TOKEN_REFRESH_EARLY_SECONDS = 60.0  # as Zoom's own SDK does


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


class ZoomClient:
    """Use as `async with ZoomClient(settings) as zoom: ...`."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
        rate_margin: float = DEFAULT_MARGIN_SECONDS,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.stats = ZoomStats()
        self.limiter = RateLimiter(settings.zoom_plan, margin=rate_margin)
        self._sleep, self._now, self._monotonic = sleep, now, monotonic
        self._rng = random.Random()
        self._api = settings.zoom_api_base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._token: TokenResponse | None = None
        self._token_refresh_at = 0.0
        self._token_lock = asyncio.Lock()
        self._refused: ZoomAuthError | None = None

    async def __aenter__(self) -> Self:
        timeout = aiohttp.ClientTimeout(total=self.settings.zoom_timeout_seconds)
        self._session = aiohttp.ClientSession(timeout=timeout, trace_configs=[pacing_trace()])
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use `async with ZoomClient(settings) as zoom:`")
        return self._session

    # --- Server-to-Server OAuth -------------------------------------------------------------

    async def token(self) -> TokenResponse:
        """A valid access token, fetched when missing or due (~60 s before it expires).

        Single-flight: callers arriving while a fetch is under way wait on the lock and then
        find the fresh token, so N concurrent callers cause one token request, not N. Refused
        credentials stay refused for this client: later callers get the same error at once.
        """
        if self._token is not None and self._monotonic() < self._token_refresh_at:
            return self._token
        async with self._token_lock:
            if self._refused is not None:
                raise self._refused
            if self._token is None or self._monotonic() >= self._token_refresh_at:
                fetched_at = self._monotonic()
                try:
                    token = await self._fetch_token()
                except ZoomAuthError as exc:
                    self._refused = exc
                    raise
                early = min(TOKEN_REFRESH_EARLY_SECONDS, token.expires_in / 2)
                self._token, self._token_refresh_at = token, fetched_at + token.expires_in - early
            return self._token

    def _invalidate(self, used: TokenResponse) -> None:
        """Forget `used` (Zoom said code 124), unless another caller already replaced it."""
        if self._token is used:
            self._token = None

    async def _fetch_token(self) -> TokenResponse:
        s = self.settings
        if not (s.zoom_account_id and s.zoom_client_id and s.zoom_client_secret):
            raise ZoomNotConfigured(
                "Zoom is not configured: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"
            )
        url = s.zoom_oauth_base_url.rstrip("/") + "/oauth/token"
        pair = f"{s.zoom_client_id}:{s.zoom_client_secret.get_secret_value()}".encode()
        auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        data = {"grant_type": "account_credentials", "account_id": s.zoom_account_id}
        attempt = 0
        while True:
            attempt += 1
            self.stats.token_requests += 1
            try:
                async with self.session.post(url, headers=auth, data=data) as resp:
                    status, raw = resp.status, await resp.read()
            except _RETRYABLE as exc:
                await self._backoff("token request", attempt, type(exc).__name__)
                continue
            log.debug("zoom POST /oauth/token -> %d", status)
            if status >= 500 or status == 429:
                await self._backoff("token request", attempt, f"HTTP {status}")
                continue
            if status != 200:
                reason = oauth_reason(raw)
                raise ZoomAuthError(
                    f"Zoom rejected the credentials for account {s.zoom_account_id}: {reason}. "
                    "Check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, and that the "
                    "Server-to-Server OAuth app is activated",
                    status=status,
                )
            try:
                return TokenResponse.model_validate_json(raw)
            except ValueError:
                raise ZoomAuthError("Zoom's token answer lacked an access token", status=status) from None

    # --- the request loop -------------------------------------------------------------------

    async def _backoff(self, label: str, attempt: int, reason: str) -> None:
        """Sleep before retry `attempt`, or raise ZoomUnavailable when retries are used up."""
        if attempt >= self.retry.max_attempts:
            raise ZoomUnavailable(f"Zoom did not answer {label} after {attempt} attempts ({reason})")
        self.stats.retries += 1
        delay = backoff_delay(attempt, self.retry.backoff_base, self.retry.backoff_cap, self._rng)
        log.warning("zoom %s failed (%s); retry %d in %.2fs", label, reason, attempt, delay)
        await self._sleep(delay)

    async def _call(
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
            token = await self.token()  # first: a token fetch must not sit between pacing and sending
            grant = await self.limiter.acquire(ep.category)
            self.stats.requests[ep.category] += 1
            self.stats.by_endpoint[name] += 1
            headers = {"Authorization": f"Bearer {token.access_token.get_secret_value()}"}
            sent = SentSignal(self.limiter, ep.category, grant)
            try:
                async with self.session.request(
                    ep.method, url, params=params, json=body, headers=headers, trace_request_ctx=sent
                ) as r:
                    status, raw, resp_headers = r.status, await r.read(), r.headers
            except _RETRYABLE as exc:
                ambiguous, failures = True, failures + 1
                await self._backoff(label, failures, type(exc).__name__)
                continue
            finally:
                sent()  # normally already done when the headers left; never leave a slot held
            log.debug("zoom %s -> %d", label, status)
            self._note_remaining(resp_headers)
            if status < 300:
                return _json(raw)
            if status >= 500:
                ambiguous, failures = True, failures + 1
                await self._backoff(label, failures, f"HTTP {status}")
                continue
            ambiguous = False  # a 4xx means the request was not carried out
            err = parse_error_body(raw)
            if status == 401 and err.code == 124 and not auth_refreshed:
                auth_refreshed = True  # expired or revoked token: one new token, one retry
                self._invalidate(token)
                continue
            if status == 429 or (err.code == 300 and "daily rate limit" in err.message.lower()):
                self.stats.responses_429 += 1
                rate_limited += 1
                if status == 429 and not is_daily_limit(resp_headers.get("X-RateLimit-Type"), err.message):
                    self.limiter.slow_down(ep.category)
                await self._wait_for_rate_limit(label, resp_headers, err, rate_limited)
                continue
            log.info("zoom %s -> %d (code %s)", label, status, err.code)
            fields = tuple(FieldError(e.field, e.message) for e in err.errors or [])
            raise error_for(status, err.code, err.message, fields)

    async def _wait_for_rate_limit(
        self, label: str, headers: Mapping[str, str], err: ZoomErrorBody, count: int
    ) -> None:
        """Wait as Zoom asks (API-NOTES 4.2); `rate_limit_wait` raises when the wait is too long."""
        wait = rate_limit_wait(headers, err, self._now(), self.retry.max_wait_seconds)
        if count >= self.retry.max_rate_limited:
            raise ZoomRateLimited(f"Zoom kept answering 429 to {label} after {count} tries", status=429)
        if wait is None:
            wait = backoff_delay(count, self.retry.backoff_base, self.retry.backoff_cap, self._rng)
        log.warning("zoom %s rate limited; waiting %.2fs", label, wait)
        await self._sleep(wait)

    def _note_remaining(self, headers: Mapping[str, str]) -> None:
        category, remaining = headers.get("X-RateLimit-Category"), headers.get("X-RateLimit-Remaining")
        if category and remaining and remaining.isdigit():
            self.stats.remaining[category] = int(remaining)

    async def _pages(
        self, name: str, path_params: dict[str, str | int], params: dict[str, str | int], key: str
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paginated list. Each page repeats the original query (Zoom requires it)."""
        token = ""
        while True:
            query = dict(params)
            if token:
                query["next_page_token"] = token
            data = await self._call(name, path_params, params=query)
            for item in data.get(key) or []:
                yield item
            token = data.get("next_page_token") or ""
            if not token:
                return

    # --- typed operations -------------------------------------------------------------------

    async def create_meeting(self, host_email: str, body: MeetingRequest) -> Meeting:
        """Create a meeting for `host_email`; never twice, even when a first attempt timed out."""

        async def already_made() -> Meeting | None:
            if body.topic is None or body.start_time is None or body.start_time.tzinfo is None:
                return None
            found = await self.find_meeting(host_email, body.topic, body.start_time)
            return None if found is None else await self.get_meeting(found.id)

        data = await self._call(
            "create_meeting", {"userId": host_email}, body=body.body(), before_retry=already_made
        )
        return data if isinstance(data, Meeting) else Meeting.model_validate(data)

    async def list_meetings(
        self, host_email: str, *, kind: str = "scheduled"
    ) -> AsyncIterator[MeetingSummary]:
        async for item in self._pages(
            "list_meetings", {"userId": host_email}, {"type": kind, "page_size": 300}, "meetings"
        ):
            yield MeetingSummary.model_validate(item)

    async def find_meeting(self, host_email: str, topic: str, start_time: datetime) -> MeetingSummary | None:
        """The host's scheduled meeting with this topic and start time, if there is one."""
        async for meeting in self.list_meetings(host_email):
            if meeting.topic == topic and meeting.start_time == start_time.astimezone(UTC):
                return meeting
        return None

    async def get_meeting(self, meeting_id: int) -> Meeting:
        return Meeting.model_validate(await self._call("get_meeting", {"meetingId": meeting_id}))

    async def update_meeting(self, meeting_id: int, body: MeetingRequest) -> None:
        await self._call("update_meeting", {"meetingId": meeting_id}, body=body.body())

    async def delete_meeting(self, meeting_id: int) -> None:
        await self._call("delete_meeting", {"meetingId": meeting_id})

    async def add_registrant(self, meeting_id: int, body: RegistrantCreate) -> RegistrantCreated:
        data = await self._call("add_registrant", {"meetingId": meeting_id}, body=body.body())
        return RegistrantCreated.model_validate(data)

    async def batch_registrants(
        self,
        meeting_id: int,
        registrants: Sequence[BatchRegistrant],
        *,
        auto_approve: bool = True,
        confirmation_email: bool = False,
    ) -> list[BatchRegistrantResult]:
        """Register everyone, 30 per call (Zoom's maximum), in order."""
        results: list[BatchRegistrantResult] = []
        for start in range(0, len(registrants), MAX_BATCH_REGISTRANTS):
            chunk = list(registrants[start : start + MAX_BATCH_REGISTRANTS])
            req = BatchRegistrantsRequest(
                auto_approve=auto_approve,
                registrants_confirmation_email=confirmation_email,
                registrants=chunk,
            )
            data = await self._call("batch_registrants", {"meetingId": meeting_id}, body=req.body())
            results.extend(BatchRegistrantsResponse.model_validate(data).registrants)
        return results

    async def list_registrants(
        self, meeting_id: int, *, status: str | None = None, page_size: int = 300
    ) -> AsyncIterator[Registrant]:
        params: dict[str, str | int] = {"page_size": page_size}
        if status is not None:
            params["status"] = status
        async for item in self._pages("list_registrants", {"meetingId": meeting_id}, params, "registrants"):
            yield Registrant.model_validate(item)

    async def list_past_participants(
        self, meeting: int | str, *, page_size: int = 300
    ) -> AsyncIterator[PastParticipant]:
        """Participants of an ended meeting; `meeting` is its id or (better) its UUID."""
        ref = str(meeting)
        if ref.startswith("/") or "//" in ref:
            ref = quote(ref, safe="")  # Zoom wants such UUIDs encoded twice
        params: dict[str, str | int] = {"page_size": page_size}
        async for item in self._pages("list_past_participants", {"meetingId": ref}, params, "participants"):
            yield PastParticipant.model_validate(item)

    async def send_chat_message(self, user: str, to_contact: str, message: str) -> ChatMessageSent:
        body = ChatMessageRequest(message=message, to_contact=to_contact)
        data = await self._call("send_chat_message", {"userId": user}, body=body.body())
        return ChatMessageSent.model_validate(data)

    async def get_user(self, email: str) -> ZoomUser:
        return ZoomUser.model_validate(await self._call("get_user", {"userId": email}))


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ZoomUnavailable("Zoom answered with a body that is not JSON") from None
