"""The SQLite connection under `SqliteStore`: pragmas, migrations, named queries, transactions.

The stdlib driver is used directly on the event-loop thread. Every statement here is short
(indexed lookups, small batched writes) and WAL mode with `synchronous=NORMAL` commits without
an fsync, so a call costs tens of microseconds; a thread hop per call (what aiosqlite does)
would cost more than it saves. One store object belongs to one event loop.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from facilitator.store.errors import StoreOpenError
from facilitator.store.migrate import migrate
from facilitator.store.sqlfiles import queries

BUSY_TIMEOUT_MS = 5000


def connect(path: str | Path) -> sqlite3.Connection:
    """Open `path` with the pragmas the store relies on, and migrate it to the current schema."""
    target = Path(path)
    if str(path) != ":memory:" and not target.parent.exists():
        raise StoreOpenError(f"cannot open database {target}: folder {target.parent} does not exist")
    if str(path) != ":memory:":
        _private(target)
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreOpenError(f"cannot open database {target}: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = _enable_wal(conn)
        if mode not in ("wal", "memory"):
            raise StoreOpenError(f"database {target} could not switch to WAL mode (got {mode!r})")
        # NORMAL in WAL mode: a commit survives a killed process; only a power cut may lose the
        # last commits, which the outbox tolerates (unconfirmed rows are resent, refills are no-ops).
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreOpenError(f"cannot use database {target}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _private(target: Path) -> None:
    """Create the database file 0600 (owner only), or tighten an existing one: it holds emails and
    the email-to-code map. SQLite gives its -wal and -shm files the database file's permissions."""
    try:
        os.close(os.open(target, os.O_RDWR | os.O_CREAT, 0o600))
        if target.stat().st_mode & 0o077:
            target.chmod(0o600)
    except OSError as exc:
        raise StoreOpenError(f"cannot open database {target}: {exc.strerror}") from exc


def _enable_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL. The switch can report "locked" without waiting while another process is
    opening the same new file, so wait here (only ever at open, never on the event loop's hot path)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


class SqliteBase:
    """Shared plumbing for the store's parts."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._sql = queries()

    def _run(self, name: str, params: Mapping[str, Any] | None = None) -> sqlite3.Cursor:
        return self._conn.execute(self._sql[name], params or {})

    def _one(self, name: str, params: Mapping[str, Any] | None = None) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._run(name, params).fetchone()
        return row

    def _all(self, name: str, params: Mapping[str, Any] | None = None) -> list[sqlite3.Row]:
        return self._run(name, params).fetchall()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: the write lock is taken up front, so no upgrade deadlock."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    async def close(self) -> None:
        self._conn.close()
