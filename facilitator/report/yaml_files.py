"""Reading the report's YAML files (`report.yaml`, instrument keys) into their pydantic models.

One reader for both, so every problem is reported the same way: the file, the YAML line and the
field path, in one `ReportError` with every problem found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from facilitator.plan.yaml_source import YamlProblem, load_yaml
from facilitator.report.errors import ReportError, ReportProblem

M = TypeVar("M", bound=BaseModel)


def read_yaml_model(model: type[M], path: Path) -> M:
    """`model` validated from the YAML file at `path`; ReportError naming file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError([ReportProblem(str(path), None, None, "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError([ReportProblem(str(path), None, None, f"cannot be read: {exc}")]) from None
    try:
        data, source = load_yaml(text)
    except YamlProblem as exc:
        raise ReportError([ReportProblem(str(path), exc.position.line, None, exc.message)]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            field = ".".join(str(p) for p in loc) or None
            problems.append(ReportProblem(str(path), source.locate(loc).line, field, err["msg"]))
        raise ReportError(problems) from None
