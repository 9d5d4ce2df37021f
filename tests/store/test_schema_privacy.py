"""Invariant 4: anonymous contributions have no column that could hold an identity."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from facilitator.store.sqlite import SqliteStore

IDENTITY = re.compile(r"email|mail|zoom|user|ip|addr|agent|name|participant|author|phone|code", re.IGNORECASE)


async def test_contribution_tables_hold_no_identity(tmp_path: Path) -> None:
    await (await SqliteStore.open(tmp_path / "f.db")).close()
    with sqlite3.connect(tmp_path / "f.db") as conn:
        contributions = [r[1] for r in conn.execute("PRAGMA table_info(contributions)")]
        votes = [r[1] for r in conn.execute("PRAGMA table_info(contribution_votes)")]
    assert contributions == [
        "id",
        "session_id",
        "group_id",
        "body",
        "created_at",
        "hidden",
        "votes",
        "answered",
    ]
    assert votes == ["contribution_id", "voter_hash"]
    assert [c for c in contributions + votes if IDENTITY.search(c)] == []


def test_database_and_secret_files_are_created_owner_only(tmp_path: Path) -> None:
    """The database holds emails and the email-to-code map; the secrets file signs every link."""
    import os
    import stat

    from facilitator.config import simulation_secrets
    from facilitator.store.sqlite_base import connect

    old = os.umask(0o022)  # a usual umask, under which plain files come out 0644
    try:
        db = tmp_path / "f.db"
        conn = connect(db)
        conn.execute("CREATE TABLE IF NOT EXISTS probe (x)")
        conn.execute("INSERT INTO probe VALUES (1)")
        simulation_secrets(db)
        loose = tmp_path / "loose.db"
        loose.touch(mode=0o644)
        connect(loose).close()
        files = [db, Path(f"{db}-wal"), Path(f"{db}.simulation-secrets.json"), loose]
        for path in files:
            assert path.exists(), path
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
        conn.close()
    finally:
        os.umask(old)
