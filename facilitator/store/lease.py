"""The writer's lease (DESIGN invariant 8): one process at a time sends from a database.

A lease is a row (scope, holder, pid, host, since, heartbeat, expires). A process that will send
or change state takes it before it claims anything and renews it every few seconds; a second
process finds a live lease and refuses, naming the holder. A lease whose holder crashed is taken
over without a manual step: at once when the holder was on this host and its process is gone,
otherwise once `expires` has passed. Today the scope is the whole database; a PostgreSQL store
shared by several instances will take one lease per session (scope = the session id) with the
same rows and the same rules, which is why the scope is a column and not a constant.
Read-only commands (`status`, `check`) never take it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from facilitator.store.errors import StoreOpenError

DATABASE_SCOPE = "database"
DEFAULT_TTL = timedelta(seconds=30)


@dataclass(frozen=True)
class LeaseRecord:
    scope: str
    holder: str  # a random token per process: only its owner renews or releases the row
    command: str
    pid: int
    host: str
    since: datetime
    heartbeat: datetime
    expires: datetime

    def describe(self) -> str:
        """Who holds it, in words a person can act on."""
        return (
            f"`{self.command}` (pid {self.pid} on {self.host}) since "
            f"{self.since.strftime('%Y-%m-%d %H:%M:%S')} UTC, last heard from "
            f"{self.heartbeat.strftime('%H:%M:%S')} UTC"
        )


class LeaseHeldError(StoreOpenError):
    """Another live process holds the lease: this one must not send."""

    def __init__(self, path: str, holder: LeaseRecord) -> None:
        self.holder = holder
        super().__init__(
            f"database {path} is in use by {holder.describe()}; stop that process first "
            f"(if it crashed, its lease lapses at {holder.expires.strftime('%H:%M:%S')} UTC "
            "and the next start takes over)"
        )


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def abandoned(record: LeaseRecord, now: datetime, *, host: str | None = None) -> bool:
    """A lease nobody is keeping: expired, or held by a process of this host that is gone."""
    if record.expires <= now:
        return True
    return record.host == (host or socket.gethostname()) and not process_alive(record.pid)
