"""Fault injection for the Zoom simulator: what real networks and real Zoom do on a bad day.

Kinds:
* `"500"` / `"503"`: a server error answer.
* `"slow"`: the request waits `delay` real seconds first; if the caller has hung up by then it is
  dropped unprocessed (as when Zoom's gateway times out before the backend sees the request).
* `"drop"`: the connection is closed without any answer; nothing is carried out.
* `"lost"`: the request IS carried out, then the connection is closed before the answer: the
  case that makes retrying a create dangerous.
* `"done_500"`: the request IS carried out, then answered with a 500 (a gateway error after
  the backend acted): as dangerous to retry as `"lost"`, but the caller hears back at once.
* `"429"`: a per-second rate-limit answer with Zoom's headers; `Retry-After` cycles through
  seconds, an ISO instant, and absent, the three forms Zoom is seen to use.
* `"expire_tokens"`: every token issued so far stops working at once (401, code 124).

Each fault applies to the next `count` requests whose path starts with `path_prefix`.
Delays use real time: they model the network, not the session's (possibly virtual) clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from facilitator.zoomsim.http import ZoomHTTPError

FAULT_KINDS = ("500", "503", "slow", "drop", "lost", "done_500", "429", "expire_tokens")
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."


@dataclass
class Fault:
    kind: str
    remaining: int
    path_prefix: str
    delay: float


def qps_limited(category: str, limit: int, nth: int) -> ZoomHTTPError:
    """A per-second 429 as Zoom sends it; `nth` picks the `Retry-After` form (seconds/ISO/none)."""
    headers = {
        "X-RateLimit-Category": category,
        "X-RateLimit-Type": "QPS",
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
    }
    form = nth % 3
    if form == 0:
        headers["Retry-After"] = "1"
    elif form == 1:  # wall time: per-second limits are about real throughput
        at = datetime.now(UTC) + timedelta(seconds=1)
        headers["Retry-After"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ZoomHTTPError(429, 429, QPS_MESSAGE, headers=headers)


class FaultBoard:
    """Pending faults, consumed in the order they were injected."""

    def __init__(self, expire_tokens: Callable[[], int]) -> None:
        self.faults: list[Fault] = []
        self._expire_tokens = expire_tokens
        self.fired: list[str] = []  # kinds that fired, in order (for tests)
        self._storm_count = 0

    def inject(self, kind: str, count: int = 1, path_prefix: str = "/v2/", delay: float = 1.0) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if kind == "expire_tokens":
            self._expire_tokens()
            self.fired.append(kind)
            return
        self.faults.append(Fault(kind, count, path_prefix, delay))

    def clear(self) -> None:
        self.faults.clear()

    def _take(self, path: str) -> Fault | None:
        for fault in self.faults:
            if path.startswith(fault.path_prefix):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                self.fired.append(fault.kind)
                return fault
        return None

    async def apply(
        self,
        request: web.Request,
        category: tuple[str, int] | None,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        fault = self._take(request.path)
        if fault is None:
            return await handler(request)
        if fault.kind == "done_500":
            await handler(request)  # carried out; the answer says otherwise
            raise ZoomHTTPError(500, 500, "Internal Server Error")
        if fault.kind in ("500", "503"):
            status = int(fault.kind)
            message = "Internal Server Error" if status == 500 else "Service Unavailable"
            raise ZoomHTTPError(status, status, message)
        if fault.kind == "429":
            name, limit = category or ("Light", 0)
            self._storm_count += 1
            raise qps_limited(name, limit, self._storm_count - 1)
        if fault.kind in ("drop", "lost"):
            response = await handler(request) if fault.kind == "lost" else web.Response(status=204)
            if request.transport is not None:
                request.transport.close()
            return response  # never reaches the caller: the connection is gone
        await asyncio.sleep(fault.delay)  # "slow"
        if request.transport is None or request.transport.is_closing():
            return web.Response(status=204)  # the caller gave up: nothing is carried out
        return await handler(request)
