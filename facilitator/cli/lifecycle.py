"""How `run` and `serve` live and stop: the database opened for writing (or one clear line saying
why it cannot be), the writer's lease, and a graceful stop on SIGTERM or SIGINT.

Exit codes: 2 when the environment is broken (the database is damaged, not a database,
unreadable, its folder not writable, the disk full) or another process holds the lease; a
graceful stop after a signal exits 0 and says "stopped; run the same command to resume".
A second signal while stopping forces the exit (143 for SIGTERM, 130 for SIGINT); messages
that were in flight then are resent at the next start (the at-least-once window).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from facilitator.app.lease_keeper import LeaseKeeper
from facilitator.store.errors import StoreOpenError
from facilitator.store.lease import LeaseHeldError
from facilitator.store.sqlite import SqliteStore

BROKEN = 2
GRACE_SECONDS = 5.0  # how long a graceful stop lets in-flight sends finish
STOPPED = "stopped; run the same command to resume"
T = TypeVar("T")


def explain_store_error(path: Path | str, exc: BaseException) -> str:
    """One line a person can act on, for what the database or its disk refused."""
    if isinstance(exc, LeaseHeldError):
        return str(exc)
    text = str(exc)
    low = text.lower()
    if "disk is full" in low or (isinstance(exc, OSError) and exc.errno == 28):
        return f"database {path}: the disk is full; free some space and run the same command again"
    if "not a database" in low:
        return f"{path} is not a database (not one this program wrote?); choose another --db"
    if "malformed" in low or "damaged" in low or "corrupt" in low:
        said = (
            text if text.startswith(f"database {path} is damaged") else f"database {path} is damaged ({text})"
        )
        return f"{said}; restore it from a backup or choose another --db"
    if "readonly" in low or "unable to open" in low or "permission" in low or "not permitted" in low:
        return (
            f"cannot open database {path} for writing ({text}); check that the file and its "
            "folder exist and are readable and writable by this user"
        )
    if isinstance(exc, StoreOpenError):
        return text
    return f"database {path}: {text}"


def report_store_error(console: Console, path: Path | str, exc: BaseException) -> int:
    """Print the one line for `exc` and return the exit code for a broken environment."""
    console.print(explain_store_error(path, exc), style="red", markup=False, highlight=False, soft_wrap=True)
    return BROKEN


async def open_for_writing(
    path: Path, command: str, console: Console
) -> tuple[SqliteStore, LeaseKeeper] | None:
    """The store, checked, with this process holding its lease; None (after one line) if not."""
    try:
        store = await SqliteStore.open(path, check=True)
    except (StoreOpenError, sqlite3.Error, OSError) as exc:
        report_store_error(console, path, exc)
        return None
    keeper = LeaseKeeper(store, command, str(path))
    try:
        await keeper.acquire()
    except (LeaseHeldError, sqlite3.Error) as exc:
        await store.close()
        report_store_error(console, path, exc)
        return None
    return store, keeper


class StopSignals:
    """The first SIGTERM or SIGINT asks for a graceful stop; a second one forces the exit."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.requested = asyncio.Event()
        self.reason: str | None = None
        self._installed: list[signal.Signals] = []

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._received, sig)
            self._installed.append(sig)

    def uninstall(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()

    def stop(self, reason: str) -> None:
        """Ask for a stop from inside (e.g. the lease was lost)."""
        if not self.requested.is_set():
            self.reason = reason
            self.requested.set()

    def _received(self, sig: signal.Signals) -> None:
        if self.requested.is_set():
            self.console.print(
                f"{sig.name} again: stopping now; messages that were in flight are resent at the next start",
                soft_wrap=True,
            )
            os._exit(128 + int(sig))
        self.console.print(
            f"{sig.name} received: finishing the messages in flight (at most {GRACE_SECONDS:.0f} s); "
            "send it again to stop at once",
            soft_wrap=True,
        )
        self.stop(sig.name)


async def unless_stopped(work: Awaitable[T], stop: StopSignals) -> tuple[bool, T | None]:
    """Run `work` until it is done or a stop is asked for (then it is cancelled).
    (True, result) when it finished; (False, None) when stopped first."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stop.requested.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        return True, task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False, None
