"""Sliding-window rate limits kept in memory, per board link.

A board link is shared by a whole room, so the limit protects the room (and the facilitator's
screen) from a flood, not one student from another. Time comes from the app's clock, so a
simulated session's minute is the simulated minute.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta


class SlidingWindowLimiter:
    """At most `limit` events per `window` per key; memory is `limit` timestamps per key."""

    def __init__(self, now: Callable[[], datetime], window: timedelta = timedelta(minutes=1)) -> None:
        self._now = now
        self.window = window
        self._events: dict[str, deque[datetime]] = {}

    def try_acquire(self, key: str, limit: int) -> float:
        """0.0 and the event is counted when allowed; otherwise the seconds until it would be."""
        now = self._now()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= limit:
            return max(1.0, (events[0] + self.window - now).total_seconds())
        events.append(now)
        return 0.0
