"""User errors of the study report: each names the file, the row and the column (or YAML line:col).

A director fixes an export in a spreadsheet, so every problem says where to look; the command
prints one line per problem and exits 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportProblem:
    file: str
    row: int | None  # the file's line number (1-based), or a YAML line
    column: str | None  # a CSV column name, or a YAML field path
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        field = f" column {self.column!r}:" if self.column else ""
        return f"{where}:{field} {self.message}"


class ReportError(Exception):
    """One or more problems with the inputs of a report; nothing was written."""

    def __init__(self, problems: list[ReportProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def fail(file: str, message: str, row: int | None = None, column: str | None = None) -> ReportError:
    """A single-problem error, for the call sites that stop at the first problem."""
    return ReportError([ReportProblem(file, row, column, message)])
