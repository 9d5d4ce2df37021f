"""SQL lives in `.sql` files beside this module: named queries and numbered migrations.

Keeping SQL out of Python strings makes it readable, diffable and reviewable as SQL, and keeps
the Python side to "run query X with these parameters" (the way procrastinate does it).
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _sql_dir() -> Traversable:
    return resources.files("facilitator.store").joinpath("sql")


def split_statements(script: str) -> list[str]:
    """Split a script into complete statements: each ";" that sqlite3 says ends one (so a ";"
    inside a string literal or a trigger body does not)."""
    statements: list[str] = []
    start = 0
    for end, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : end + 1]):
            text = script[start : end + 1]
            if _has_code(text):
                statements.append(_strip_comments(text))
            start = end + 1
    if _has_code(script[start:]):
        raise ValueError(f"incomplete SQL statement at the end of the script: {script[start:]!r}")
    return statements


def _strip_comments(text: str) -> str:
    """Drop whole-line comments around a statement (keeps the SQL readable in errors)."""
    lines = [line for line in text.strip().splitlines() if not line.strip().startswith("--")]
    return "\n".join(lines).strip()


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def parse_queries(text: str) -> dict[str, str]:
    """`-- name: x` blocks → {x: sql}; each block must be exactly one statement."""
    marks = list(_NAME.finditer(text))
    queries: dict[str, str] = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = split_statements(text[mark.end() : end])
        if len(body) != 1:
            raise ValueError(f"query {mark.group(1)!r} must hold exactly one statement, found {len(body)}")
        if mark.group(1) in queries:
            raise ValueError(f"query {mark.group(1)!r} is defined twice")
        queries[mark.group(1)] = body[0]
    return queries


@cache
def queries() -> dict[str, str]:
    return parse_queries(_sql_dir().joinpath("queries.sql").read_text(encoding="utf-8"))


@cache
def migrations() -> tuple[Migration, ...]:
    """Every migration file, in version order; versions are unique (gaps allowed: each branch of
    development reserves its own range, so 0020 may land before 0010)."""
    found: list[Migration] = []
    for entry in _sql_dir().joinpath("migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match is None:
            continue
        text = entry.read_text(encoding="utf-8")
        found.append(Migration(int(match.group(1)), match.group(2), tuple(split_statements(text))))
    found.sort(key=lambda m: m.version)
    for before, migration in itertools.pairwise(found):
        if migration.version == before.version:
            raise ValueError(f"migration version {migration.version} is used twice")
    return tuple(found)
