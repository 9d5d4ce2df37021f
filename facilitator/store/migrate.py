"""Schema migrations, applied in order when a store opens.

`schema_version` records what has been applied. Each migration runs in one IMMEDIATE
transaction that re-reads the version first, so two processes opening the same new file at
once apply it exactly once; opening an up-to-date file changes nothing.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from facilitator.store.errors import SchemaTooNewError
from facilitator.store.sqlfiles import Migration, migrations

_CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)
"""


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, available: tuple[Migration, ...] | None = None) -> list[int]:
    """Apply every migration not yet applied; returns the versions applied now (empty when none)."""
    steps = migrations() if available is None else available
    conn.execute(_CREATE_VERSION_TABLE)
    newest = steps[-1].version if steps else 0
    if current_version(conn) > newest:
        raise SchemaTooNewError(
            f"the database has schema version {current_version(conn)}, newer than this program's {newest}; "
            "upgrade facilitator or use another --db"
        )
    applied: list[int] = []
    for step in steps:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute("SELECT 1 FROM schema_version WHERE version = ?", (step.version,)).fetchone()
            if done is not None:
                conn.execute("ROLLBACK")
                continue
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (step.version, step.name, datetime.now(UTC).isoformat(timespec="microseconds")),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(step.version)
    return applied
