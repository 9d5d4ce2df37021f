"""Load a session plan from YAML (and its CSV roster) into a validated `LoadedPlan`.

Every problem found is collected and reported together, each with the file, line and column
of the YAML node (or CSV cell) at fault, so a director can fix a plan in one pass.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from facilitator.plan import checks
from facilitator.plan.errors import PlanError, PlanProblem, dotted
from facilitator.plan.models import Plan, Student
from facilitator.plan.yaml_source import Path, SourceMap, YamlProblem, load_yaml


@dataclass(frozen=True)
class LoadedPlan:
    """A valid plan, its students (roster resolved), and where each value was written."""

    plan: Plan
    students: tuple[Student, ...]
    file: str
    source: SourceMap
    text: str

    def problem(self, path: Path, message: str) -> PlanProblem:
        """A problem located at `path` in this plan's YAML."""
        pos = self.source.locate(path)
        return PlanProblem(self.file, pos.line, pos.col, dotted(path), message)


def load_plan(path: str | FsPath) -> LoadedPlan:
    """Read and validate the plan at `path`. Raises PlanError listing every problem."""
    fs_path = FsPath(path)
    try:
        text = fs_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError([PlanProblem(str(path), 1, 1, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError([PlanProblem(str(path), 1, 1, "", f"cannot be read: {exc}")]) from None
    return load_plan_text(text, file=str(path), base_dir=fs_path.parent)


def load_plan_text(text: str, *, file: str = "plan.yaml", base_dir: FsPath | None = None) -> LoadedPlan:
    """Validate plan text (an upload, or a file's contents); rosters resolve against `base_dir`."""
    try:
        data, source = load_yaml(text)
    except YamlProblem as exc:
        raise PlanError([PlanProblem(file, exc.position.line, exc.position.col, "", exc.message)]) from None
    if not isinstance(data, dict):
        raise PlanError(
            [
                PlanProblem(
                    file,
                    1,
                    1,
                    "",
                    "a plan is a mapping with `session`, `facilitators`, `students`, `phases` and `messages`",
                )
            ]
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_problems_from_validation(exc, data, source, file)) from None

    loaded = LoadedPlan(plan=plan, students=tuple(plan.students.inline), file=file, source=source, text=text)
    problems: list[PlanProblem] = []
    if plan.students.roster is not None:
        roster_students, roster_problems = _read_roster(loaded, base_dir or FsPath("."))
        problems += roster_problems
        loaded = LoadedPlan(plan, tuple(plan.students.inline) + tuple(roster_students), file, source, text)
    # When the roster could not be read, checks that count students would only add noise.
    students = loaded.students if not problems else None
    problems += [loaded.problem(path, message) for path, message in checks.cross_checks(plan, students)]
    if problems:
        raise PlanError(sorted(problems, key=lambda p: (p.file != file, p.line, p.col)))
    return loaded


def _problems_from_validation(
    exc: ValidationError, data: Any, source: SourceMap, file: str
) -> list[PlanProblem]:
    problems: dict[tuple[int, int, str], PlanProblem] = {}
    for err in exc.errors():
        path = _clean_loc(err["loc"], data)
        message = _friendly(err, path, data)
        pos = source.keys.get(path) if err["type"] == "extra_forbidden" else None
        pos = pos or source.locate(path)
        problem = PlanProblem(file, pos.line, pos.col, dotted(path), message)
        problems.setdefault((pos.line, pos.col, problem.path), problem)
    return sorted(problems.values(), key=lambda p: (p.line, p.col))


def _clean_loc(loc: tuple[int | str, ...], data: Any) -> Path:
    """Drop pydantic's union tags (`breakout`, `int`, `list[str]`) so the path matches the YAML."""
    out: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif isinstance(part, str) and _is_union_tag(part):
            continue
        else:
            node = None  # a missing key: keep it in the path, nothing below it exists
        out.append(part)
    return tuple(out)


_UNION_TAGS = {"plenary", "breakout", "break", "int", "str", "bool", "float"}


def _is_union_tag(part: str) -> bool:
    return part in _UNION_TAGS or "[" in part or part.startswith("function-")


def _friendly(err: Any, path: Path, data: Any) -> str:
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        allowed = _allowed_keys(path[:-1], data)
        close = get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = (
            f"; did you mean `{close[0]}`?"
            if close
            else (f"; allowed here: {', '.join(sorted(allowed))}" if allowed else "")
        )
        return f"unknown key `{key}`{hint}"
    if kind == "missing":
        return f"`{path[-1] if path else 'field'}` is required here"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return "`kind` must be one of `plenary`, `breakout` or `break`"
    if kind in {"int_parsing", "int_type"}:
        return f"expected a whole number, got {err.get('input')!r}"
    if kind in {"string_type"}:
        return f"expected text, got {err.get('input')!r}"
    if kind in {"bool_parsing", "bool_type"}:
        return f"expected true or false, got {err.get('input')!r}"
    if kind == "literal_error":
        return msg.replace("Input should be", "must be")
    if kind == "greater_than":
        return f"must be greater than {err['ctx']['gt']}, got {err.get('input')!r}"
    if kind == "too_short":
        return "must not be empty"
    return msg


def _allowed_keys(parent: Path, data: Any) -> list[str]:
    """The field names the model at `parent` accepts, for "did you mean" hints."""
    from facilitator.plan import models

    annotation: Any = models.Plan
    node = data
    for part in parent:
        model = _model_of(annotation, node)
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        node = node.get(part) if isinstance(node, dict) else None
        field = model.model_fields.get(str(part)) if model else None
        annotation = field.annotation if field else None
    model = _model_of(annotation, node)
    return [f.alias or name for name, f in model.model_fields.items()] if model else []


def _model_of(annotation: Any, node: Any) -> type[BaseModel] | None:
    from typing import get_args

    from facilitator.plan import models

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(node, dict) and "kind" in node:
        phases: dict[str, type[BaseModel]] = {
            "plenary": models.PlenaryPhase,
            "breakout": models.BreakoutPhase,
            "break": models.BreakPhase,
        }
        return phases.get(str(node["kind"]))
    for arg in get_args(annotation):
        found = _model_of(arg, node)
        if found:
            return found
    return None


def _read_roster(loaded: LoadedPlan, base_dir: FsPath) -> tuple[list[Student], list[PlanProblem]]:
    roster = loaded.plan.students.roster
    assert roster is not None
    roster_path = (base_dir / roster) if not FsPath(roster).is_absolute() else FsPath(roster)
    at = ("students", "roster")
    try:
        text = roster_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return [], [
            loaded.problem(
                at, f"roster file {str(roster_path)!r} does not exist; the path is relative to the plan file"
            )
        ]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [loaded.problem(at, f"roster file {str(roster_path)!r} cannot be read: {exc}")]
    return parse_roster(text, str(roster_path), loaded)


def parse_roster(text: str, file: str, loaded: LoadedPlan) -> tuple[list[Student], list[PlanProblem]]:
    """Students from CSV with columns email, name and optionally group, timezone."""
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        return [], [loaded.problem(("students", "roster"), f"roster {file!r} is empty")]
    header = [h.strip().lower() for h in rows[0]]
    if "email" not in header:
        return [], [
            PlanProblem(
                file,
                1,
                1,
                "email",
                f"the roster needs an `email` column (found: {', '.join(header) or 'nothing'})",
            )
        ]
    if "name" not in header:
        return [], [PlanProblem(file, 1, 1, "name", "the roster needs a `name` column")]
    students: list[Student] = []
    problems: list[PlanProblem] = []
    known = {"email", "name", "group", "timezone"}
    for idx, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h in known}
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
