"""The lease rows in SQLite (the rules are in `lease.py`)."""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

from facilitator.store.codec import parse_ts, ts
from facilitator.store.lease import DATABASE_SCOPE, DEFAULT_TTL, LeaseRecord, abandoned
from facilitator.store.sqlite_base import SqliteBase


class SqliteLeases(SqliteBase):
    """Lease rows in the same SQLite file; every change runs in one IMMEDIATE transaction."""

    async def get_lease(self, scope: str = DATABASE_SCOPE) -> LeaseRecord | None:
        row = self._one("get_lease", {"scope": scope})
        return None if row is None else _to_lease(row)

    async def acquire_lease(
        self,
        holder: str,
        command: str,
        now: datetime,
        ttl: timedelta = DEFAULT_TTL,
        *,
        scope: str = DATABASE_SCOPE,
        can_take: Callable[[LeaseRecord, datetime], bool] = abandoned,
    ) -> LeaseRecord | None:
        """Take the lease; None on success, else the live lease that stands in the way."""
        with self._tx():
            row = self._one("get_lease", {"scope": scope})
            current = None if row is None else _to_lease(row)
            if current is not None and current.holder != holder and not can_take(current, now):
                return current
            self._run(
                "put_lease",
                {
                    "scope": scope,
                    "holder": holder,
                    "command": command,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "now": ts(now),
                    "expires": ts(now + ttl),
                },
            )
        return None

    async def renew_lease(
        self, holder: str, now: datetime, ttl: timedelta = DEFAULT_TTL, *, scope: str = DATABASE_SCOPE
    ) -> bool:
        """Extend our lease; False when it is no longer ours (taken over after we stalled)."""
        params = {"scope": scope, "holder": holder, "now": ts(now), "expires": ts(now + ttl)}
        return self._run("renew_lease", params).rowcount == 1

    async def release_lease(self, holder: str, *, scope: str = DATABASE_SCOPE) -> None:
        self._run("release_lease", {"scope": scope, "holder": holder})


def _to_lease(row: sqlite3.Row) -> LeaseRecord:
    get = row.__getitem__
    return LeaseRecord(
        scope=str(get("scope")),
        holder=str(get("holder")),
        command=str(get("command")),
        pid=int(get("pid")),
        host=str(get("host")),
        since=parse_ts(str(get("since"))),
        heartbeat=parse_ts(str(get("heartbeat"))),
        expires=parse_ts(str(get("expires"))),
    )
