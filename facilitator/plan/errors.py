"""Plan problems: one line each, `FILE:LINE:COL: field.path: what is wrong, and what would be right`."""

from __future__ import annotations

from dataclasses import dataclass

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
    """A plan that cannot be run, with every problem found."""

    def __init__(self, problems: list[PlanProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def dotted(path: Path) -> str:
    """`("phases", 2, "slot")` -> `phases[2].slot`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
