"""Instrument keys stored as data (`keys/*.yaml`): items, reverse keys, forms, scores, cut-offs.

Scoring never lives in code: a key says which item ids make each score, which are reverse-keyed,
how missing items are handled and where the cut-offs are. A survey's column order is a *form* (a
list of item ids by position), so another form of the same instrument is a mapping, not code. A
deployer adds an instrument by dropping a key file into a directory named in the config. Keys hold
no item wordings: several instruments are licensed (see the README, "The study report").
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from facilitator.report.errors import ReportError, ReportProblem
from facilitator.report.yaml_files import read_yaml_model

BUILTIN_KEYS = Path(__file__).resolve().parent / "keys"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(Strict):
    min: int
    max: int


class MissingRule(Strict):
    """Up to `max_missing` unanswered items are replaced by the mean of the answered ones (prorating);
    with more missing the score is absent. `max_missing: 0` is complete cases only."""

    max_missing: int = Field(0, ge=0)


class ScoreKey(Strict):
    title: str
    items: list[str] | Literal["all"]
    method: Literal["sum", "mean"] | None = None  # default: the key's method
    missing: MissingRule | None = None  # default: the key's rule
    cutoff: float | None = None  # baseline table counts scores at or above it
    bands: dict[int, str] = Field(default_factory=dict)  # lower bound → label


class FlagKey(Strict):
    title: str
    any_of: list[str]  # score names: flagged when any is at or above its cut-off


class InstrumentKey(Strict):
    id: str
    title: str
    higher_means: str = ""
    scale: Scale
    labels: dict[str, int] = Field(default_factory=dict)
    items: list[str]
    reverse: list[str] = Field(default_factory=list)
    forms: dict[str, list[str]]
    method: Literal["sum", "mean"] = "sum"
    missing: MissingRule = MissingRule()
    scores: dict[str, ScoreKey]
    flags: dict[str, FlagKey] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentKey:
        known = set(self.items)
        if len(known) != len(self.items):
            raise ValueError("`items` lists an item twice")
        if self.scale.min >= self.scale.max:
            raise ValueError("`scale.min` must be below `scale.max`")
        for name, form in self.forms.items():
            unknown = [i for i in form if i not in known]
            if unknown:
                raise ValueError(f"form {name!r} names unknown items: {', '.join(unknown)}")
        if "default" not in self.forms:
            raise ValueError("a key needs a `default` form (item ids by position)")
        for where, ids in [("reverse", self.reverse)] + [
            (f"scores.{n}", s.items) for n, s in self.scores.items() if s.items != "all"
        ]:
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise ValueError(f"`{where}` names unknown items: {', '.join(unknown)}")
        for name, flag in self.flags.items():
            for score in flag.any_of:
                if score not in self.scores or self.scores[score].cutoff is None:
                    raise ValueError(f"flag {name!r} needs score {score!r} with a cut-off")
        for label, value in self.labels.items():
            if not self.scale.min <= value <= self.scale.max:
                raise ValueError(f"label {label!r} = {value} is off the scale")
        return self

    def score_items(self, score: str) -> list[str]:
        items = self.scores[score].items
        return list(self.items) if items == "all" else list(items)

    def reversed_value(self, item: str, value: float) -> float:
        return self.scale.min + self.scale.max - value if item in self.reverse else value


def load_key(path: Path) -> InstrumentKey:
    """One key file, validated; problems name the file and the YAML line."""
    return read_yaml_model(InstrumentKey, path)


def load_keys(extra_dirs: list[Path] | None = None) -> dict[str, InstrumentKey]:
    """The built-in keys, then those in `extra_dirs` (a deployer's key replaces a built-in one)."""
    keys: dict[str, InstrumentKey] = {}
    for directory in [BUILTIN_KEYS, *(extra_dirs or [])]:
        if not directory.is_dir():
            raise ReportError([ReportProblem(str(directory), None, None, "keys directory not found")])
        for path in sorted(directory.glob("*.yaml")):
            key = load_key(path)
            keys[key.id] = key
    return keys
