"""The runner's alarm clock: one APScheduler job, re-armed for the outbox's next due time.

A thin facade in the style of python-telegram-bot's JobQueue: in-memory jobs only, one static
callback, and the job carries an id (never a live object), so nothing needs pickling and the
timer can always be rebuilt from the database, which stays the single source of truth.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

_JOB_ID = "outbox-wake"
# APScheduler logs every job run at INFO; one wake-up per due time is not news.
for _name in ("apscheduler.scheduler", "apscheduler.executors.default"):
    logging.getLogger(_name).setLevel(logging.WARNING)
_timers: dict[str, WakeTimer] = {}
_ids = itertools.count(1)


async def _fire(timer_id: str) -> None:
    """The one callback APScheduler knows: look the timer up by id and ring it."""
    timer = _timers.get(timer_id)
    if timer is not None:
        timer.ring()


class WakeTimer:
    """Calls `on_wake` once, `seconds` of wall time after the last `arm(seconds)`."""

    def __init__(self, on_wake: Callable[[], None]) -> None:
        self.id = f"wake-{next(_ids)}"
        self._on_wake = on_wake
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self.armed_at: datetime | None = None  # wall time the job is set for

    def start(self) -> None:
        _timers[self.id] = self
        self._scheduler.start()

    def arm(self, seconds: float) -> None:
        when = datetime.now(UTC) + timedelta(seconds=max(0.0, seconds))
        self.armed_at = when
        self._scheduler.add_job(
            _fire,
            trigger="date",
            run_date=when,
            args=[self.id],
            id=_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,  # a late wake-up is still a wake-up
            coalesce=True,
        )

    def disarm(self) -> None:
        if self.armed_at is not None and self._scheduler.get_job(_JOB_ID) is not None:
            self._scheduler.remove_job(_JOB_ID)
        self.armed_at = None

    def ring(self) -> None:
        self.armed_at = None
        self._on_wake()

    def stop(self) -> None:
        _timers.pop(self.id, None)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.armed_at = None
