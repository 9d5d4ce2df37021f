"""Plan problems: one line each, `FILE:LINE:COL: field.path: what is wrong, and what would be right`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from facilitator.plan.yaml_source import Path


@dataclass(frozen=True)
class PlanProblem:
    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {where}{self.message}"


class PlanError(Exception):
    """A plan that cannot be run, with every problem found.

    `loaded` is the plan as far as it could be read (a `LoadedPlan`) when its shape was valid and
    only cross-field or roster checks failed, so later stages can still add their own problems.
    """

    def __init__(self, problems: list[PlanProblem], *, loaded: Any = None) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
        self.loaded = loaded


def dotted(path: Path) -> str:
    """`("phases", 2, "slot")` -> `phases[2].slot`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
