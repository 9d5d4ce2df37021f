"""Survey exports as rows of text by column name, whatever tool wrote them.

- Qualtrics: row 1 the column names, row 2 the question texts, row 3 `{"ImportId": ...}`; values
  are choice text or numeric recodes, depending on the export option. Older exports lack row 3.
- REDCap: one header row, raw field names with coded values, or labels with label text.
- Plain CSV: one header row.
The differences that matter are the header rows to skip and whether answers are numbers or
labels; `scoring` accepts both. Rows keep their line number in the file for error messages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from facilitator.report.errors import ReportError, ReportProblem

Format = Literal["qualtrics", "redcap", "plain"]
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    line: int  # the line in the file where this answer starts
    values: dict[str, str]


@dataclass(frozen=True)
class Export:
    file: str
    format: Format
    columns: list[str]
    rows: list[Row]

    def require(self, columns: list[str]) -> None:
        """Every named column must be in the header; one problem per missing column."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise ReportError(
                [ReportProblem(self.file, 1, c, "no such column in the header row") for c in missing]
            )


def _looks_like_qualtrics_import_row(row: list[str]) -> bool:
    return any(cell.strip().startswith('{"ImportId"') for cell in row)


def detect_format(header: list[str], second: list[str] | None, third: list[str] | None) -> Format:
    lowered = {h.strip().lower() for h in header}
    if third is not None and _looks_like_qualtrics_import_row(third):
        return "qualtrics"
    if {"responseid", "startdate"} <= lowered or {"responseid", "recordeddate"} <= lowered:
        return "qualtrics"
    if "record_id" in lowered or "record id" in lowered or "redcap_survey_identifier" in lowered:
        return "redcap"
    return "plain"


def parse_export(text: str, file: str) -> Export:
    """An export's text as rows; raises ReportError for what cannot be read as a CSV table."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            lines.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ReportError([ReportProblem(file, start, None, f"not a readable CSV row: {exc}")]) from None
    if not lines or not any(cell.strip() for cell in lines[0][1]):
        raise ReportError([ReportProblem(file, 1, None, "the file is empty: expected a header row")])
    header = [h.strip() for h in lines[0][1]]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise ReportError([ReportProblem(file, 1, name, "this column name appears twice in the header")])
        seen.add(name)
    second = lines[1][1] if len(lines) > 1 else None
    third = lines[2][1] if len(lines) > 2 else None
    fmt = detect_format(header, second, third)
    skip = 1
    if fmt == "qualtrics":
        skip = 3 if third is not None and _looks_like_qualtrics_import_row(third) else 2
    rows = []
    for line, record in lines[skip:]:
        if not any(cell.strip() for cell in record):
            continue  # blank line
        if len(record) > len(header):
            raise ReportError(
                [ReportProblem(file, line, None, f"{len(record)} cells but the header has {len(header)}")]
            )
        values = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)}
        rows.append(Row(line, values))
    return Export(file, fmt, header, rows)


def read_export(path: Path) -> Export:
    """Read an export file (UTF-8, with or without a byte-order mark)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ReportError(
                [ReportProblem(str(path), None, None, "larger than 64 MiB: not a survey export")]
            )
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ReportError([ReportProblem(str(path), None, None, "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise ReportError(
            [ReportProblem(str(path), None, None, f"not UTF-8 text ({exc.reason}); export as CSV UTF-8")]
        ) from None
    except OSError as exc:
        raise ReportError([ReportProblem(str(path), None, None, f"cannot be read: {exc.strerror}")]) from None
    return parse_export(text, str(path))
