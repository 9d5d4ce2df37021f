"""A counting limiter that serves cues first and keeps slots free for them.

Per channel, at most `limit` sends run at once. Bulk sends may use only `limit - reserved`
of them, a waiting cue is always served before a waiting bulk send, and no new bulk send starts
while a cue is waiting or in flight: the cue gets the connections and the CPU, so a
facilitator's cue never queues behind hundreds of student emails on the same SMTP connections.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PriorityLimiter:
    def __init__(self, limit: int, reserved: int = 0) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.reserved = max(0, min(reserved, limit - 1))
        self.in_use = 0
        self.priority_in_use = 0
        self._waiters: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    @classmethod
    def for_channel(cls, limit: int) -> PriorityLimiter:
        """A channel's limiter: one slot kept for cues whenever there is more than one."""
        size = max(1, int(limit))
        return cls(size, reserved=1 if size > 1 else 0)

    def _room(self, priority: bool) -> bool:
        if priority:
            return self.in_use < self.limit
        return (
            self.in_use < self.limit - self.reserved and not self.priority_in_use and not self._waiters[True]
        )

    def _take(self, priority: bool) -> None:
        self.in_use += 1
        self.priority_in_use += priority

    async def acquire(self, priority: bool) -> None:
        ahead = self._waiters[True] if priority else (self._waiters[True] or self._waiters[False])
        if not ahead and self._room(priority):
            self._take(priority)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[priority].append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release(priority)  # granted just as we were cancelled: hand the slot on
            elif fut in self._waiters[priority]:
                self._waiters[priority].remove(fut)
            raise

    def release(self, priority: bool) -> None:
        self.in_use -= 1
        self.priority_in_use -= priority
        for kind in (True, False):
            queue = self._waiters[kind]
            while queue and (queue[0].done() or self._room(kind)):
                fut = queue.popleft()
                if not fut.done():
                    self._take(kind)
                    fut.set_result(None)

    @asynccontextmanager
    async def slot(self, priority: bool) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release(priority)
