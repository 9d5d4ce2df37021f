"""The Zoom webhook endpoint: signature checks, URL validation, and a quick hand-off of typed events.

Zoom signs every delivery with `x-zm-signature = "v0=" + hex(HMAC_SHA256(secret,
"v0:{x-zm-request-timestamp}:{raw body}"))`. We verify over the raw bytes (re-serialising the JSON
could change them), refuse timestamps more than five minutes from our clock, and refuse a signature
we have already accepted, so a captured request cannot be replayed. Zoom wants an answer within
three seconds, so events are handed to the consumer and we answer without waiting long.

Nothing here logs a request body: a body may name participants, and a forged one is noise.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from facilitator.clock import Clock
from facilitator.zoom import bounded_json
from facilitator.zoom.events import URL_VALIDATION, EventFormatError, ZoomEvent, parse_event

log = logging.getLogger(__name__)

EventHandler = Callable[[ZoomEvent], Awaitable[None]]
RememberSignature = Callable[[str, int, int], Awaitable[bool]]
"""Durable replay memory: (signature, its timestamp, forget-before horizon) -> False if seen before."""
WEBHOOK_PATH = "/zoom/webhook"
SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"


def sign(secret: str, timestamp: str | int, raw_body: bytes) -> str:
    """Zoom's signature of one delivery: what `x-zm-signature` must say."""
    message = b"v0:" + str(timestamp).encode() + b":" + raw_body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def url_validation_answer(secret: str, plain_token: str) -> dict[str, str]:
    """The answer to Zoom's `endpoint.url_validation` challenge."""
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}


class WebhookRejected(Exception):
    """A delivery that is not provably from Zoom (bad signature, stale, replayed)."""


class WebhookVerifier:
    """Checks signatures, timestamp skew and replays against a Clock.

    Replay memory is bounded: a signature only needs remembering while its timestamp is inside
    the skew window, because after that the timestamp check rejects it anyway. `max_remembered`
    is a hard cap on top, for a flood of valid deliveries.
    """

    def __init__(
        self,
        secret: str,
        clock: Clock,
        max_skew: timedelta = timedelta(minutes=5),
        max_remembered: int = 100_000,
        min_real_skew: float = 10.0,
    ) -> None:
        if not secret:
            raise ValueError("the Zoom webhook secret token is empty")
        self._secret = secret
        self._clock = clock
        self._max_skew = max_skew
        self._max_remembered = max_remembered
        self._min_real_skew = min_real_skew
        self._seen: OrderedDict[str, int] = OrderedDict()  # signature -> its timestamp

    def verify(self, signature: str | None, timestamp: str | None, raw_body: bytes) -> None:
        """Return quietly when the delivery is genuine and new; raise WebhookRejected otherwise."""
        if not signature or not timestamp:
            raise WebhookRejected("missing signature or timestamp header")
        try:
            ts = int(timestamp)
        except ValueError:
            raise WebhookRejected("timestamp is not a number") from None
        now = self._clock.now().timestamp()
        if abs(now - ts) > self._window():
            raise WebhookRejected("timestamp outside the allowed skew")
        expected = sign(self._secret, timestamp, raw_body)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise WebhookRejected("signature does not match")
        self._forget_old(now)
        if signature in self._seen:
            raise WebhookRejected("signature already seen (replay)")
        self._seen[signature] = ts
        while len(self._seen) > self._max_remembered:
            self._seen.popitem(last=False)

    def _forget_old(self, now: float) -> None:
        # Signatures arrive roughly in timestamp order, so the stale ones sit at the front:
        # dropping from there keeps each request O(1) amortised, with the cap as a backstop.
        horizon = now - self._window()
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest >= horizon:
                break
            self._seen.popitem(last=False)

    def _window(self) -> float:
        """The skew window in virtual seconds, never under `min_real_skew` of wall time.

        With a fast ScaledClock (a simulated session at 1000x), a few real milliseconds of
        delivery are whole virtual minutes; without this floor genuine deliveries would look stale.
        """
        speed = getattr(self._clock, "speed", 1.0)
        return max(self._max_skew.total_seconds(), self._min_real_skew * float(speed))

    def horizon(self) -> int:
        """Timestamps before this are refused as stale, so their signatures need not be remembered."""
        return int(self._clock.now().timestamp() - self._window())

    @property
    def remembered(self) -> int:
        """How many signatures are held for replay detection (for tests and the health page)."""
        return len(self._seen)

    def answer_validation(self, plain_token: str) -> dict[str, str]:
        return url_validation_answer(self._secret, plain_token)


class WebhookEndpoint:
    """The aiohttp handler plus the tasks it started, so shutdown can wait for them."""

    def __init__(
        self,
        verifier: WebhookVerifier,
        on_event: EventHandler | None,
        answer_within: float = 2.0,
        remember: RememberSignature | None = None,
    ) -> None:
        self.verifier = verifier
        self.on_event = on_event
        self.remember = remember  # the database's replay memory, which survives a restart
        self.answer_within = answer_within  # seconds to wait for on_event before answering anyway
        self._pending: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            self.verifier.verify(
                request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER), raw
            )
        except WebhookRejected as exc:
            log.warning("zoom webhook rejected: %s (%d bytes)", exc, len(raw))
            return web.json_response({"error": "unauthorized", "reason": str(exc)}, status=401)
        if self.remember is not None:
            signature, timestamp = request.headers[SIGNATURE_HEADER], int(request.headers[TIMESTAMP_HEADER])
            if not await self.remember(signature, timestamp, self.verifier.horizon()):
                log.warning("zoom webhook rejected: signature already seen before a restart (replay)")
                reason = "signature already seen (replay)"
                return web.json_response({"error": "unauthorized", "reason": reason}, status=401)
        try:
            envelope: Any = bounded_json.loads(raw)
        except bounded_json.BadJson as exc:
            return _bad_request(str(exc))
        if not isinstance(envelope, dict):
            return _bad_request("body is not a JSON object")
        if envelope.get("event") == URL_VALIDATION:
            payload = envelope.get("payload")
            token = payload.get("plainToken") if isinstance(payload, dict) else None
            if not isinstance(token, str) or not token:
                return _bad_request("url validation without payload.plainToken")
            log.info("zoom webhook: answered endpoint.url_validation")
            return web.json_response(self.verifier.answer_validation(token))
        try:
            event = parse_event(envelope)
        except EventFormatError as exc:
            return _bad_request(f"malformed {str(envelope.get('event'))[:80]!r} event: {exc}")
        if event is None:
            log.debug("zoom webhook: ignored event %r", str(envelope.get("event"))[:80])
            return web.json_response({"status": "ignored"})
        if self.on_event is not None:
            await self._hand_off(event)
        return web.json_response({"status": "ok"})

    async def _hand_off(self, event: ZoomEvent) -> None:
        """Run on_event, but answer Zoom in time even if it is slow: it then finishes on its own."""
        handler = self.on_event
        assert handler is not None

        async def run() -> None:
            await handler(event)

        task = asyncio.create_task(run())
        done, _ = await asyncio.wait({task}, timeout=self.answer_within)
        if task in done:
            _log_failure(task)
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        task.add_done_callback(_log_failure)

    async def close(self) -> None:
        """Wait (briefly) for handlers still running, then cancel what is left."""
        if not self._pending:
            return
        _, still = await asyncio.wait(set(self._pending), timeout=self.answer_within)
        for task in still:
            task.cancel()


def _log_failure(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        # The traceback without the exception's message: a message may quote a participant.
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("zoom webhook handler failed with %s at:\n%s", type(exc).__name__, where)


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": "bad request", "reason": reason}, status=400)


def webhook_routes(
    verifier: WebhookVerifier, on_event: EventHandler | None, path: str = WEBHOOK_PATH
) -> list[web.RouteDef]:
    """Route definitions for the webhook; prefer `add_webhook_route`, which also cleans up."""
    return [web.post(path, WebhookEndpoint(verifier, on_event).handle)]


def add_webhook_route(
    app: web.Application,
    verifier: WebhookVerifier,
    on_event: EventHandler | None,
    path: str = WEBHOOK_PATH,
    remember: RememberSignature | None = None,
) -> WebhookEndpoint:
    """Serve the webhook at `path` on `app`; handlers still running are awaited at shutdown."""
    endpoint = WebhookEndpoint(verifier, on_event, remember=remember)
    app.router.add_post(path, endpoint.handle)

    async def _cleanup(_: web.Application) -> None:
        await endpoint.close()

    app.on_cleanup.append(_cleanup)
    return endpoint


@dataclass(frozen=True)
class Delivery:
    """What became of one signed POST: the last status (None: no answer at all) and body."""

    status: int | None
    body: bytes
    attempts: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """The sending side of the protocol, signing exactly as Zoom does (used by the simulator).

    A failed delivery (timeout, dropped connection, 5xx) is retried a few times after short real
    pauses; Zoom itself retries minutes later, which a simulation compresses. Each retry carries a
    timestamp one second later, as a later retry would, so it is not mistaken for a replay.
    Failures are counted and logged, never raised: a simulation must not crash on a bad receiver.
    """

    def __init__(
        self,
        url: str,
        secret: str,
        clock: Clock,
        http: aiohttp.ClientSession | None = None,
        timeout: float = 5.0,
        attempts: int = 3,
        retry_delay: float = 0.05,
    ) -> None:
        self.url = url
        self._secret = secret
        self._clock = clock
        self._http = http
        self._own_http = http is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._attempts = max(1, attempts)
        self._retry_delay = retry_delay
        self.delivered = 0
        self.failed = 0

    async def send(self, envelope: Mapping[str, Any]) -> Delivery:
        body = json.dumps(envelope, separators=(",", ":")).encode()
        if self._http is None:
            self._http = aiohttp.ClientSession()
        status: int | None = None
        answer = b""
        base_ts = int(self._clock.now().timestamp())
        for attempt in range(self._attempts):
            ts = str(base_ts + attempt)
            headers = {
                "content-type": "application/json",
                SIGNATURE_HEADER: sign(self._secret, ts, body),
                TIMESTAMP_HEADER: ts,
                "x-zm-trackingid": f"sim-{base_ts}-{attempt}",
            }
            try:
                async with self._http.post(
                    self.url, data=body, headers=headers, timeout=self._timeout
                ) as resp:
                    status, answer = resp.status, await resp.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, answer = None, b""
                log.warning("webhook delivery attempt %d failed: %s", attempt + 1, type(exc).__name__)
            if status is not None and status < 500:
                break  # delivered, or refused for a reason a quick retry cannot fix
            if attempt + 1 < self._attempts:
                await asyncio.sleep(self._retry_delay * 2**attempt)
        result = Delivery(status, answer, attempt + 1)
        if result.ok:
            self.delivered += 1
        else:
            self.failed += 1
            log.warning("webhook %r not delivered (status %s)", envelope.get("event"), status)
        return result

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.close()
            self._http = None
