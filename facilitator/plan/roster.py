"""The CSV roster: found beside the plan (or handed over with an upload), decoded, and parsed.

Columns are `email`, `name` and optionally `group` and `timezone`, in any order. Excel in many
European locales separates with `;`: the header row decides the separator (the one that yields
an `email` column). Problems point at the roster's own line and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from pathlib import Path as FsPath

from pydantic import ValidationError

from facilitator.plan.errors import PlanProblem
from facilitator.plan.files import (
    MAX_ROSTER_BYTES,
    SAVE_CSV_HINT,
    FileProblem,
    confined_roster,
    decode_text,
    read_capped,
)
from facilitator.plan.models import Student

RosterFiles = Mapping[str, bytes]
"""Rosters handed over with an uploaded plan, by file name. When only one was uploaded it serves
whatever name the plan gives its roster (browsers rename downloads: `roster (1).csv`)."""

Locate = Callable[[str], PlanProblem]
"""A problem at the plan's `students.roster` field, with this message."""

_KNOWN = ("email", "name", "group", "timezone")
_MAX_HEADER_SHOWN = 120


def read_roster(
    name: str, base_dir: FsPath | None, uploaded: RosterFiles | None, at_field: Locate
) -> tuple[list[Student], list[PlanProblem]]:
    """Students of the roster `name`: from `uploaded` when given (a web upload), else from `base_dir`."""
    shown = name if len(name) <= 100 else name[:100] + "..."
    if uploaded is not None:
        data = uploaded.get(name)
        if data is None and len(uploaded) == 1:
            data = next(iter(uploaded.values()))
        if data is None:
            return [], [
                at_field(
                    f"the roster {shown!r} was not uploaded with the plan; choose it in the roster field, "
                    "or list the students under `students.inline`"
                )
            ]
        if len(data) > MAX_ROSTER_BYTES:
            return [], [
                at_field(
                    f"roster file {shown!r} is larger than the limit of {MAX_ROSTER_BYTES // 1024:,} KiB"
                )
            ]
        file = name
    else:
        try:
            path = confined_roster(base_dir or FsPath("."), name)
            data = read_capped(path, MAX_ROSTER_BYTES)
        except FileProblem as exc:
            return [], [at_field(f"roster file {shown!r} {exc}")]
        except OSError:
            return [], [at_field(f"roster file {shown!r} cannot be read")]
        file = str(path)
    try:
        text = decode_text(data, SAVE_CSV_HINT)
    except FileProblem as exc:
        return [], [PlanProblem(file, 1, 1, "", f"the roster {exc}")]
    return parse_roster(text, file, at_field)


def _separator(first_line: str) -> str:
    for sep in (",", ";", "\t"):
        cells = next(csv.reader([first_line], delimiter=sep), [])
        if "email" in (c.strip().lower() for c in cells):
            return sep
    return ","


def parse_roster(text: str, file: str, at_field: Locate) -> tuple[list[Student], list[PlanProblem]]:
    """Students from CSV text with columns email, name and optionally group, timezone."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=_separator(first_line)))
    except csv.Error as exc:
        return [], [PlanProblem(file, 1, 1, "", f"the roster is not valid CSV ({exc}); {SAVE_CSV_HINT}")]
    if not rows:
        return [], [at_field(f"roster {file!r} is empty")]
    header = [h.strip().lower() for h in rows[0]]
    shown = ", ".join(header)
    shown = shown if len(shown) <= _MAX_HEADER_SHOWN else shown[:_MAX_HEADER_SHOWN] + "..."
    if "email" not in header:
        return [], [
            PlanProblem(
                file,
                1,
                1,
                "email",
                f"the roster needs an `email` column (found: {shown or 'nothing'})",
            )
        ]
    if "name" not in header:
        return [], [PlanProblem(file, 1, 1, "name", "the roster needs a `name` column")]
    students: list[Student] = []
    problems: list[PlanProblem] = []
    for idx, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h in _KNOWN}
        record = {k: v for k, v in record.items() if v or k in {"email", "name"}}
        try:
            students.append(Student.model_validate(record))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else "email"
                col = header.index(column) + 1 if column in header else 1
                msg = str(err["msg"]).removeprefix("Value error, ")
                if err["type"] == "string_too_short":
                    msg = f"`{column}` is empty"
                problems.append(PlanProblem(file, idx, col, column, msg))
    return students, problems
