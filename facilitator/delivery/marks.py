"""Confirmations written in batches: the sends confirmed within a few milliseconds of each
other share one transaction.

A commit per confirmed message is most of what marking costs, and in a burst the sends on all
connections finish within milliseconds of each other. The guarantee is unchanged: a row is
marked sent only after its channel confirmed it, and a caller's `mark` returns only once its
row is marked (or raises what the store raised). The at-least-once window (sent, not yet
marked, then a crash) grows by at most `DELAY`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from facilitator.store.base import Store

DELAY = 0.003  # seconds a confirmation may wait for others to share its transaction


class SentMarks:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._batch: list[tuple[int, datetime, str]] = []
        self._done: asyncio.Future[None] | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def mark(self, message_id: int, at: datetime, provider_id: str) -> None:
        """Mark one confirmed row sent, together with any others confirmed within `DELAY`."""
        if self._done is None:
            loop = asyncio.get_running_loop()
            self._done = loop.create_future()
            task = loop.create_task(self._flush(DELAY))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        done = self._done
        self._batch.append((message_id, at, provider_id))
        await asyncio.shield(done)  # a cancelled sender must not cancel the others' confirmation

    async def _flush(self, delay: float) -> None:
        await asyncio.sleep(delay)
        batch, done = self._batch, self._done
        self._batch, self._done = [], None
        assert done is not None
        try:
            await self._store.mark_sent_many(batch)
        except Exception as exc:
            done.set_exception(exc)
            done.exception()  # retrieved here too: no "never retrieved" warning when nobody waits
        else:
            done.set_result(None)

    async def settle(self) -> None:
        """Wait until every confirmation handed in so far is written (used when stopping)."""
        while self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
