"""Load a session plan from YAML (and its CSV roster) into a validated `LoadedPlan`.

Every problem found is collected and reported together, each with the file, line and column
of the YAML node (or CSV cell) at fault, so a director can fix a plan in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from facilitator.plan import checks
from facilitator.plan.errors import PlanError, PlanProblem, dotted
from facilitator.plan.files import SAVE_PLAN_HINT, FileProblem, decode_text, read_capped
from facilitator.plan.models import Plan, Student
from facilitator.plan.roster import RosterFiles, read_roster
from facilitator.plan.yaml_source import MAX_PLAN_BYTES, Path, SourceMap, YamlProblem, load_yaml


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
        text = plan_text_of(read_capped(fs_path, MAX_PLAN_BYTES))
    except FileNotFoundError:
        raise PlanError([PlanProblem(str(path), 1, 1, "", "no such file")]) from None
    except IsADirectoryError:
        raise PlanError(
            [PlanProblem(str(path), 1, 1, "", "is a folder; give the plan's YAML file")]
        ) from None
    except OSError as exc:
        raise PlanError([PlanProblem(str(path), 1, 1, "", f"cannot be read: {exc.strerror}")]) from None
    except FileProblem as exc:
        raise PlanError([PlanProblem(str(path), 1, 1, "", f"the plan {exc}")]) from None
    return load_plan_text(text, file=str(path), base_dir=fs_path.parent)


def plan_text_of(data: bytes) -> str:
    """A plan's text from its bytes (UTF-8, or UTF-16 with a byte-order mark); FileProblem otherwise."""
    return decode_text(data, SAVE_PLAN_HINT)


def load_plan_text(
    text: str,
    *,
    file: str = "plan.yaml",
    base_dir: FsPath | None = None,
    rosters: RosterFiles | None = None,
) -> LoadedPlan:
    """Validate plan text (an upload, or a file's contents).

    The roster comes from `rosters` when given (an upload: the server then opens no path the plan
    names), else from inside `base_dir` (the plan's folder).
    """
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

    def at_roster(message: str) -> PlanProblem:
        pos = source.locate(("students", "roster"))
        return PlanProblem(file, pos.line, pos.col, "students.roster", message)

    roster_name = _roster_name(data)
    roster_students: list[Student] = []
    problems: list[PlanProblem] = []
    if roster_name is not None:
        # Read even when the rest of the plan has problems, so they all come in one pass.
        roster_students, problems = read_roster(roster_name, base_dir, rosters, at_roster)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems += _problems_from_validation(exc, data, source, file)
        raise PlanError(_in_order(problems, file)) from None

    students = tuple(plan.students.inline) + tuple(roster_students)
    loaded = LoadedPlan(plan=plan, students=students, file=file, source=source, text=text)
    # When the roster could not be read, checks that count students would only add noise.
    counted = loaded.students if not problems else None
    problems += [loaded.problem(path, message) for path, message in checks.cross_checks(plan, counted)]
    if problems:
        raise PlanError(_in_order(problems, file), loaded=loaded)
    return loaded


def _roster_name(data: dict[str, Any]) -> str | None:
    students = data.get("students")
    roster = students.get("roster") if isinstance(students, dict) else None
    return roster if isinstance(roster, str) else None


def _in_order(problems: list[PlanProblem], file: str) -> list[PlanProblem]:
    return sorted(problems, key=lambda p: (p.file != file, p.line, p.col))


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
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"expected a whole number, got {_shown(err.get('input'))}"
    if kind in {"string_type"}:
        return f"expected text, got {_shown(err.get('input'))}"
    if kind in {"bool_parsing", "bool_type"}:
        return f"expected true or false, got {_shown(err.get('input'))}"
    if kind == "literal_error":
        return msg.replace("Input should be", "must be")
    if kind == "greater_than":
        return f"must be greater than {err['ctx']['gt']}, got {_shown(err.get('input'))}"
    if kind == "too_short":
        return "must not be empty"
    if kind in {"less_than_equal", "less_than", "greater_than_equal"}:
        bound = next(iter(err["ctx"].values()))
        word = {"less_than_equal": "at most", "less_than": "less than", "greater_than_equal": "at least"}[
            kind
        ]
        return f"must be {word} {bound}, got {_shown(err.get('input'))}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"expected a mapping of `key: value` lines here, got {_shown(err.get('input'))}"
    if kind == "list_type":
        return f"expected a list (`- item` lines or `[a, b]`), got {_shown(err.get('input'))}"
    if kind in {"string_too_long", "too_long"}:
        return msg.replace("String should have", "must have").replace("List should have", "must have")
    if kind in {"string_too_short"}:
        return "must not be empty"
    if kind.startswith("float") or kind.startswith("timedelta") or kind.startswith("datetime"):
        return f"expected a number, got {_shown(err.get('input'))}"
    # Whatever pydantic says otherwise, in the plan's words rather than the model's.
    return msg.replace("Input should be", "must be").replace("Input", "the value")


def _shown(value: Any) -> str:
    """A user's value in a message: short, and never a whole nested structure."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
