"""In-memory publish/subscribe for server-sent events, one topic per (session, room).

Why in memory: a board is live for two hours in one process; losing the fan-out on restart
costs nothing because pages resync from the store when their stream reconnects.
Each event is serialised once and the same bytes are handed to every subscriber, so fan-out
cost is a list append per viewer. Queues are bounded: a viewer that falls behind is told to
resync (and dropped) instead of letting memory grow without limit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import Any

CLOCK_TOPIC = "clock"


def room_topic(session_id: str, group_id: str) -> str:
    """The topic of one room's board."""
    return f"{session_id}/{group_id}"


def session_topic(session_id: str) -> str:
    """Every room of a session (the director's view)."""
    return f"{session_id}/*"


def encode_event(event: str, data: Mapping[str, Any], event_id: int | None = None) -> bytes:
    """One server-sent event frame; JSON never contains a raw newline, so one `data:` line suffices."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"{head}event: {event}\ndata: {payload}\n\n".encode()


class Subscription:
    """One viewer's bounded queue of pre-encoded frames.

    Waiting uses one bare future per wake-up (no timeout task): under load most wake-ups find
    several frames, and keepalives come from the hub's `ping`, not from per-viewer timers.
    """

    def __init__(self, topics: tuple[str, ...], limit: int) -> None:
        self.topics = topics
        self.limit = limit
        self.overflowed = False
        self._frames: list[bytes] = []
        self._waiter: asyncio.Future[None] | None = None

    def push(self, frame: bytes) -> None:
        if self.overflowed:
            return
        if len(self._frames) >= self.limit:
            self.overflowed = True
            self._frames.clear()
        else:
            self._frames.append(frame)
        self.wake()

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next_batch(self) -> list[bytes]:
        """Everything queued, waiting for the first frame; [] when woken by a ping or shutdown."""
        if not self._frames and not self.overflowed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        batch, self._frames = self._frames, []
        return batch


class EventHub:
    """Topics to subscribers; `publish` never blocks and never awaits."""

    def __init__(self, queue_limit: int = 2000) -> None:
        self.queue_limit = queue_limit
        self._subs: dict[str, set[Subscription]] = {}
        self.closed = False

    def close(self) -> None:
        """Wake every viewer so their streams end (app shutdown)."""
        self.closed = True
        for subs in list(self._subs.values()):
            for sub in subs:
                sub.wake()

    def subscribe(self, topics: Iterable[str]) -> Subscription:
        sub = Subscription(tuple(dict.fromkeys(topics)), self.queue_limit)
        for topic in sub.topics:
            self._subs.setdefault(topic, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        for topic in sub.topics:
            subs = self._subs.get(topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[topic]

    def ping(self) -> None:
        """Wake every viewer with an empty batch, so streams send a keepalive and notice closed peers."""
        for subs in list(self._subs.values()):
            for sub in subs:
                sub.wake()

    def publish(self, topics: Iterable[str], event: str, data: Mapping[str, Any]) -> int:
        """Deliver to every subscriber of any of `topics` (once each); returns how many got it."""
        frame = encode_event(event, data)
        seen: set[Subscription] = set()
        for topic in topics:
            for sub in self._subs.get(topic, ()):
                if sub not in seen:
                    seen.add(sub)
                    sub.push(frame)
        return len(seen)

    def publish_room(self, session_id: str, group_id: str, event: str, data: Mapping[str, Any]) -> int:
        """A room's event reaches that room's viewers and the session-wide (director) viewers."""
        return self.publish((room_topic(session_id, group_id), session_topic(session_id)), event, data)

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._subs.get(topic, ()))
        return len({s for subs in self._subs.values() for s in subs})
