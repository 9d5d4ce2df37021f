"""Holding the writer's lease while a process runs: take it, renew it, give it back.

`run` and `serve` take the lease before anything is claimed and release it when they stop; a
second process on the same database is refused at `acquire` with the holder named. Renewal runs
on wall time (a simulated clock may run 1000 times faster; the lease is about real processes).
A renewal that fails for a moment (a locked or full disk) is tried again at the next beat; a
lease found taken over (this process stalled past its expiry and another took it) calls
`on_lost`, and the caller stops sending.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from collections.abc import Callable
from datetime import timedelta

from facilitator.clock import Clock, SystemClock
from facilitator.store.base import Store
from facilitator.store.lease import DEFAULT_TTL, LeaseHeldError

log = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(
        self,
        store: Store,
        command: str,
        where: str,
        *,
        ttl: timedelta = DEFAULT_TTL,
        clock: Clock | None = None,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.command = command
        self.where = where  # the database, in the refusal message
        self.ttl = ttl
        self.clock = clock or SystemClock()
        self.holder = f"{command}:{secrets.token_hex(8)}"
        self.on_lost = on_lost
        self.held = False
        self._task: asyncio.Task[None] | None = None

    async def acquire(self) -> None:
        """Take the lease or raise `LeaseHeldError` naming the live holder."""
        standing = await self.store.acquire_lease(self.holder, self.command, self.clock.now(), self.ttl)
        if standing is not None:
            raise LeaseHeldError(self.where, standing)
        self.held = True
        self._task = asyncio.get_running_loop().create_task(self._beat())

    async def release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.held:
            self.held = False
            try:
                await self.store.release_lease(self.holder)
            except sqlite3.Error as exc:  # it lapses on its own; the next start takes it over
                log.warning("could not release the lease (%s); it lapses in %s", exc, self.ttl)

    async def _beat(self) -> None:
        every = self.ttl / 3
        while True:
            await self.clock.sleep_until(self.clock.now() + every)
            try:
                renewed = await self.store.renew_lease(self.holder, self.clock.now(), self.ttl)
            except sqlite3.Error as exc:
                log.warning("could not renew the lease: %s; trying again in %s", exc, every)
                continue
            if not renewed:
                self.held = False
                if self.on_lost is not None:
                    self.on_lost("another process took over this database's lease; stopping")
                return
