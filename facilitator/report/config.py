"""The study's `report.yaml`: which column holds the code, which columns hold which items, and the
analysis choices (duplicates rule, missing-item rules, cut-offs, Holm, small-cell threshold).

Every choice has a stated default and is printed with the results, so a report never depends on
an unstated setting. Problems name the YAML file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from facilitator.report.errors import ReportError, ReportProblem
from facilitator.report.keys import InstrumentKey
from facilitator.report.yaml_files import read_yaml_model

WAVES = ("pre", "post", "baseline")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnMap(Strict):
    """Where one instrument's items are in one export: `columns` by position of the `form`, a
    `pattern` with `{n}` for the position (1-based), or `items` naming the item id of each column."""

    columns: list[str] | None = None
    pattern: str | None = None
    items: dict[str, str] | None = None
    form: str = "default"

    @model_validator(mode="after")
    def _one_way(self) -> ColumnMap:
        given = [n for n in ("columns", "pattern", "items") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `columns`, `pattern` or `items`")
        if self.pattern is not None and "{n}" not in self.pattern:
            raise ValueError("`pattern` needs `{n}` where the item's position goes, like Q2_{n}")
        return self

    def resolve(self, key: InstrumentKey) -> list[tuple[str, str]]:
        """(column, item id) pairs; raises ValueError naming what does not fit the key."""
        if self.items is not None:
            unknown = [i for i in self.items.values() if i not in key.items]
            if unknown:
                raise ValueError(f"unknown {key.id} items: {', '.join(unknown)}")
            return list(self.items.items())
        if self.form not in key.forms:
            raise ValueError(f"{key.id} has no form {self.form!r} (known: {', '.join(key.forms)})")
        form = key.forms[self.form]
        if self.columns is not None:
            if len(self.columns) != len(form):
                raise ValueError(
                    f"{key.id} form {self.form!r} has {len(form)} items, not {len(self.columns)}"
                )
            return list(zip(self.columns, form, strict=True))
        assert self.pattern is not None
        return [(self.pattern.replace("{n}", str(n)), item) for n, item in enumerate(form, start=1)]


class InstrumentConfig(Strict):
    method: Literal["sum", "mean"] | None = None  # overrides the key's sum / mean-item score
    max_missing: int | None = Field(None, ge=0)  # overrides the key's missing-item rule
    cutoffs: dict[str, float] = Field(default_factory=dict)  # score → cut-off (overrides the key)
    labels: dict[str, int] = Field(default_factory=dict)  # extra answer labels → values
    tscore_table: str | None = None  # raw sum → T-score, supplied by the deployer (YAML mapping)
    pre: ColumnMap | None = None
    post: ColumnMap | None = None
    baseline: ColumnMap | None = None


class Regression(Strict):
    outcome: str  # e.g. oms-hc.total: its change (post - pre) is regressed
    predictors: list[str] = Field(min_length=1)  # baseline scores, e.g. phq-9.total


class ReportConfig(Strict):
    code_column: str
    duplicates: Literal["first-complete", "latest"] = "first-complete"
    date_column: str | None = None  # orders answers for `latest` (default: file order)
    min_cell: int = Field(5, ge=1)
    holm: bool = True
    keys_dir: str | None = None
    instruments: dict[str, InstrumentConfig]
    regression: Regression | None = None


@dataclass(frozen=True)
class LoadedConfig:
    config: ReportConfig
    file: str
    base_dir: Path


def load_config(path: Path) -> LoadedConfig:
    """Read `report.yaml`; every problem names the file, the line and the field."""
    config = read_yaml_model(ReportConfig, path)
    return LoadedConfig(config, str(path), path.parent)


def check_against_keys(loaded: LoadedConfig, keys: dict[str, InstrumentKey]) -> None:
    """Instruments, forms, score names and regression terms must exist in the keys."""
    cfg, problems = loaded.config, []

    def bad(field: str, message: str) -> None:
        problems.append(ReportProblem(loaded.file, None, field, message))

    for name, inst in cfg.instruments.items():
        key = keys.get(name)
        if key is None:
            bad(f"instruments.{name}", f"no key for {name!r} (known: {', '.join(sorted(keys))})")
            continue
        for score in inst.cutoffs:
            if score not in key.scores:
                bad(f"instruments.{name}.cutoffs.{score}", f"{name} has no score {score!r}")
        for wave in WAVES:
            mapping = getattr(inst, wave)
            if mapping is not None:
                try:
                    mapping.resolve(key)
                except ValueError as exc:
                    bad(f"instruments.{name}.{wave}", str(exc))
    if cfg.regression:
        for term in [cfg.regression.outcome, *cfg.regression.predictors]:
            inst_name, _, score = term.partition(".")
            key = keys.get(inst_name)
            if key is None or score not in key.scores or inst_name not in cfg.instruments:
                bad("regression", f"{term!r} is not a configured instrument.score")
    if problems:
        raise ReportError(problems)
