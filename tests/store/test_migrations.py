"""Schema migrations: applied once on an empty file, no-ops afterwards, refused when too new."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from facilitator.store.migrate import current_version, migrate
from facilitator.store.sqlfiles import Migration, migrations, parse_queries, split_statements
from facilitator.store.sqlite import SqliteStore, StoreOpenError
from facilitator.store.sqlite_base import connect

TABLES = {
    "schema_version",
    "sessions",
    "zoom_meetings",
    "zoom_registrants",
    "outbox",
    "delivery_attempts",
    "survey_codes",
    "survey_events",
    "contributions",
    "contribution_votes",
    "audit_log",
}


def _schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        return [(r[0], r[1]) for r in rows]


async def test_empty_file_gets_every_table_and_one_version_row(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "new.db")
    await store.close()
    names = {name for name, _ in _schema(tmp_path / "new.db")}
    assert names >= TABLES
    with sqlite3.connect(tmp_path / "new.db") as conn:
        versions = conn.execute("SELECT version, name FROM schema_version").fetchall()
    assert versions == [(m.version, m.name) for m in migrations()]


async def test_second_open_changes_nothing(tmp_path: Path) -> None:
    await (await SqliteStore.open(tmp_path / "x.db")).close()
    before = _schema(tmp_path / "x.db")
    conn = connect(tmp_path / "x.db")
    try:
        assert migrate(conn) == []
        assert current_version(conn) == migrations()[-1].version
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(migrations())
    finally:
        conn.close()
    assert _schema(tmp_path / "x.db") == before


async def test_pragmas_wal_and_foreign_keys(tmp_path: Path) -> None:
    conn = connect(tmp_path / "p.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    finally:
        conn.close()


def test_concurrent_first_opens_apply_each_migration_once(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def open_once() -> None:
        try:
            connect(tmp_path / "race.db").close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite3.connect(tmp_path / "race.db") as conn:
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(migrations())


async def test_database_from_a_newer_program_is_refused_clearly(tmp_path: Path) -> None:
    await (await SqliteStore.open(tmp_path / "n.db")).close()
    with sqlite3.connect(tmp_path / "n.db") as conn:
        conn.execute("INSERT INTO schema_version VALUES (999, 'future', '2030-01-01T00:00:00+00:00')")
    with pytest.raises(StoreOpenError, match="newer than this program"):
        await SqliteStore.open(tmp_path / "n.db")


async def test_missing_folder_and_garbage_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="does not exist"):
        await SqliteStore.open(tmp_path / "nope" / "x.db")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreOpenError, match="cannot use database"):
        await SqliteStore.open(garbage)


def test_statement_splitter_keeps_trigger_bodies_whole() -> None:
    script = """
    -- a comment
    CREATE TABLE a (x INTEGER);
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        UPDATE a SET x = x + 1;
        UPDATE a SET x = x - 1;
    END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_named_queries_must_be_single_and_unique() -> None:
    assert parse_queries("-- name: a\nSELECT 1;\n-- name: b\nSELECT 2;") == {
        "a": "SELECT 1;",
        "b": "SELECT 2;",
    }
    with pytest.raises(ValueError, match="exactly one statement"):
        parse_queries("-- name: a\nSELECT 1; SELECT 2;")
    with pytest.raises(ValueError, match="defined twice"):
        parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")


def test_versions_may_leave_gaps_and_a_lower_one_added_later_still_runs(tmp_path: Path) -> None:
    """Branches take reserved ranges (0040-0049, ...): a migration merged later with a lower
    number than one already applied must still be applied, once."""
    first, *rest = migrations()
    top = migrations()[-1].version  # above every real migration, which `connect` has applied
    conn = connect(tmp_path / "gaps.db")
    try:
        high = Migration(top + 50, "high", ("CREATE TABLE high_one (x INTEGER)",))
        assert migrate(conn, (first, high))[-1:] == [top + 50]
        low = Migration(top + 20, "low", ("CREATE TABLE low_one (x INTEGER)",))
        assert migrate(conn, (first, low, high)) == [top + 20]
        assert migrate(conn, (first, low, high)) == []
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"high_one", "low_one"} <= names
    finally:
        conn.close()
    del rest
