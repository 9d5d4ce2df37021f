"""Server-sent event streams: subscribe to hub topics and write batches until the viewer leaves.

Why batches: under load many events for one room arrive between two wake-ups; writing them in
one `write` keeps the per-event cost to a list append. A viewer whose queue overflows gets a
`resync` event and the stream ends: the page refetches the list and reconnects.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from facilitator.web.clients import client_key
from facilitator.web.common import STREAMS, ctx_of
from facilitator.web.context import clock_rate
from facilitator.web.hub import CLOCK_TOPIC, encode_event
from facilitator.web.middleware import apply_security_headers

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000


def clock_frame(request: web.Request) -> bytes:
    ctx = ctx_of(request)
    return encode_event("clock", {"now": ctx.now().timestamp(), "rate": clock_rate(ctx.clock)})


async def stream(
    request: web.Request, topics: Iterable[str], first: Iterable[bytes] = ()
) -> web.StreamResponse:
    ctx = ctx_of(request)
    topics = tuple(topics)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    apply_security_headers(response, ctx.settings.cookie_secure)
    client = client_key(request)
    open_streams = request.app[STREAMS]
    if open_streams[client] >= ctx.max_streams_per_client:
        raise web.HTTPTooManyRequests(
            reason="Too many live pages are open from here; close some tabs and reload.",
            headers={"Retry-After": "30"},
        )
    open_streams[client] += 1
    sub = ctx.hub.subscribe(topics)
    try:
        await response.prepare(request)
        head = f"retry: {RETRY_MS}\n\n".encode() + b"".join(first)
        if CLOCK_TOPIC in topics:
            head += clock_frame(request)
        await response.write(head)
        while not ctx.hub.closed:
            batch = await sub.next_batch()
            if ctx.hub.closed or request.transport is None or request.transport.is_closing():
                break
            if sub.overflowed:
                await response.write(encode_event("resync", {}))
                break
            await response.write(b"".join(batch) if batch else b": keepalive\n\n")
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        ctx.hub.unsubscribe(sub)
        open_streams[client] -= 1
        if not open_streams[client]:
            del open_streams[client]
    return response
