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
