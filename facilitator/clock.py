"""Clocks: every piece of code that waits takes one, so a two-hour session can run in seconds.

Three implementations share one small protocol:

* `SystemClock`: wall time, for real sessions.
* `ScaledClock`: virtual time that runs `speed` times faster than wall time and can jump ahead
  over idle stretches (the day before a session, the days after); used by `run --simulate`.
* `ManualClock`: time moves only when a test says so; used by tests that must not depend on timing.

Waiters are woken whenever the clock jumps, so nobody oversleeps a jump and nobody polls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

_log = logging.getLogger(__name__)


def utc(dt: datetime) -> datetime:
    """Return `dt` in UTC; refuse naive datetimes, which are always a bug here."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: every datetime must carry a time zone")
    return dt.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """What waiting code needs from time."""

    def now(self) -> datetime:
        """The current (possibly virtual) time, timezone-aware, in UTC."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now() >= when` (immediately if it already is)."""
        ...

    def real_seconds_until(self, when: datetime) -> float | None:
        """Wall-clock seconds until `when`, or None when only a manual advance can get there."""
        ...

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after every jump; returns a function that unsubscribes."""
        ...


class _JumpNotifier:
    """Shared plumbing: an event that is pulsed on every jump, plus plain callbacks."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []
        self._generation = 0
        self._waiters: set[asyncio.Future[None]] = set()

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def _notify(self) -> None:
        self._generation += 1
        for fut in list(self._waiters):
            if not fut.done():
                fut.set_result(None)
        for callback in list(self._callbacks):
            callback()

    async def _wait_for_jump(self, timeout: float | None) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(fut)


class SystemClock(_JumpNotifier):
    """Wall time. The wall clock can be stepped (an NTP correction, a laptop waking up) while
    timers run on monotonic time, so a watcher compares the two every `check_every` seconds
    while anyone is subscribed, and a step larger than `tolerance` is reported as a jump:
    subscribers (the runner) re-plan and sleepers re-compute their wait.
    `wall` is the source of wall time (tests pass one they can step)."""

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        check_every: float = 0.5,
        tolerance: float = 0.5,
    ) -> None:
        super().__init__()
        self._wall = wall
        self._check_every = check_every
        self._tolerance = tolerance
        self._watcher: asyncio.Task[None] | None = None
        self.steps: list[float] = []  # seconds of each step noticed (positive: forward)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._wall(), UTC)

    async def sleep_until(self, when: datetime) -> None:
        while True:
            delay = (utc(when) - self.now()).total_seconds()
            if delay <= 0:
                return
            await self._wait_for_jump(delay)

    def real_seconds_until(self, when: datetime) -> float | None:
        return max(0.0, (utc(when) - self.now()).total_seconds())

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        unsubscribe = super().subscribe(callback)
        if self._watcher is None or self._watcher.done():
            try:
                self._watcher = asyncio.get_running_loop().create_task(self._watch())
            except RuntimeError:  # no event loop: nobody to wake, nothing to watch
                self._watcher = None

        def stop() -> None:
            unsubscribe()
            if not self._callbacks and self._watcher is not None:
                self._watcher.cancel()
                self._watcher = None

        return stop

    async def _watch(self) -> None:
        offset = self._wall() - time.monotonic()
        while True:
            await asyncio.sleep(self._check_every)
            now_offset = self._wall() - time.monotonic()
            step, offset = now_offset - offset, now_offset
            if abs(step) > self._tolerance:
                self.steps.append(step)
                _log.warning("the wall clock stepped by %+.1f s; re-planning timers", step)
                self._notify()


class ScaledClock(_JumpNotifier):
    """Virtual time starting at `start`, running `speed` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        super().__init__()
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin_virtual = utc(start)
        self._origin_real = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._origin_real) * self.speed
        return self._origin_virtual + timedelta(seconds=elapsed)

    def jump_to(self, when: datetime) -> None:
        """Skip ahead to `when` (never backwards): used to pass over idle stretches."""
        when = utc(when)
        if when <= self.now():
            return
        self._origin_virtual = when
        self._origin_real = time.monotonic()
        self._notify()

    def real_seconds_until(self, when: datetime) -> float | None:
        return max(0.0, (utc(when) - self.now()).total_seconds() / self.speed)

    async def sleep_until(self, when: datetime) -> None:
        while True:
            remaining = self.real_seconds_until(when)
            if remaining is None or remaining <= 0:
                return
            await self._wait_for_jump(remaining)


class ManualClock(_JumpNotifier):
    """Time that only moves when told to: deterministic tests, no sleeping."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self._now = utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)

    def set(self, when: datetime) -> None:
        when = utc(when)
        if when < self._now:
            raise ValueError("a manual clock does not go backwards")
        self._now = when
        self._notify()

    def real_seconds_until(self, when: datetime) -> float | None:
        return 0.0 if utc(when) <= self._now else None

    async def sleep_until(self, when: datetime) -> None:
        while utc(when) > self._now:
            await self._wait_for_jump(None)
