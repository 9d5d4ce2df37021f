"""Answers to scores, by the keys: values or labels read, reverse items recoded, missing items
handled by the stated rule, sums or mean-item scores, bands and T-scores from supplied tables.

A bad answer is an error naming file, row and column, collected for the whole file so the
director can fix every cell in one pass. Qualtrics writes -99 for "seen but not answered": that
is a missing item, as is an empty cell.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from facilitator.plan.yaml_source import YamlProblem, load_yaml
from facilitator.report.config import InstrumentConfig, LoadedConfig
from facilitator.report.errors import ReportError, ReportProblem
from facilitator.report.exports import Export
from facilitator.report.keys import InstrumentKey

MISSING_MARKERS = {"", "-99", "na", "n/a", ".", "-"}
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Instrument:
    """One instrument as this study uses it: its key plus the config's overrides."""

    key: InstrumentKey
    config: InstrumentConfig
    tscores: dict[int, float] | None = None
    tscore_of: str | None = None

    @property
    def id(self) -> str:
        return self.key.id

    def method(self, score: str) -> str:
        return self.config.method or self.key.scores[score].method or self.key.method

    def max_missing(self, score: str) -> int:
        own = self.key.scores[score].missing
        if own is not None:
            return own.max_missing
        return (
            self.config.max_missing if self.config.max_missing is not None else self.key.missing.max_missing
        )

    def cutoff(self, score: str) -> float | None:
        return self.config.cutoffs.get(score, self.key.scores[score].cutoff)

    def score_names(self) -> list[str]:
        names = list(self.key.scores)
        return [*names, f"{self.tscore_of}_t"] if self.tscore_of else names


@dataclass
class ScoredRow:
    file: str
    line: int
    code_text: str
    order: str  # the date column's text, or "" (file order)
    complete: bool  # every mapped item answered
    scores: dict[str, float | None] = field(default_factory=dict)  # "oms-hc.total" → value


def _label_index(inst: Instrument) -> dict[str, int]:
    labels = {**inst.key.labels, **inst.config.labels}
    return {_norm_label(k): v for k, v in labels.items()}


def _norm_label(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(".")


def parse_answer(text: str, inst: Instrument, labels: dict[str, int]) -> float | None:
    """A cell as an item value, None when missing; ValueError with a readable reason otherwise."""
    cell = text.strip()
    if cell.lower() in MISSING_MARKERS:
        return None
    lo, hi = inst.key.scale.min, inst.key.scale.max
    try:
        number = float(cell)
    except ValueError:
        value = labels.get(_norm_label(cell))
        if value is None:
            known = ", ".join(sorted(labels)) or "none: this instrument takes numbers"
            raise ValueError(
                f"{cell[:40]!r} is not an answer on the {inst.id} scale ({lo}-{hi}, or a label: {known})"
            ) from None
        return float(value)
    if not math.isfinite(number) or number != int(number) or not lo <= number <= hi:
        raise ValueError(f"{cell[:40]!r} is outside the {inst.id} scale ({lo}-{hi} whole numbers)")
    return number


def compute_score(inst: Instrument, score: str, values: dict[str, float | None]) -> float | None:
    """One score from item values (already on the key's scale), by the missing-item rule."""
    items = inst.key.score_items(score)
    answered = [inst.key.reversed_value(i, v) for i in items if (v := values.get(i)) is not None]
    if not answered or len(items) - len(answered) > inst.max_missing(score):
        return None
    mean = sum(answered) / len(answered)
    return mean * len(items) if inst.method(score) == "sum" else mean


def band(inst: Instrument, score: str, value: float) -> str | None:
    """The band label of a score (`bands` in the key: lower bound → label)."""
    bands = inst.key.scores[score].bands
    found = None
    for lower in sorted(bands):
        if value >= lower:
            found = bands[lower]
    return found


def load_tscore_table(path: Path, inst: InstrumentKey) -> tuple[str, dict[int, float]]:
    """A deployer's raw → T table: YAML `{score: raw, table: {8: 37.1, ...}}`."""
    try:
        data, source = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError([ReportProblem(str(path), None, None, f"cannot be read: {exc}")]) from None
    except YamlProblem as exc:
        raise ReportError([ReportProblem(str(path), exc.position.line, None, exc.message)]) from None
    ok = isinstance(data, dict) and data.get("score") in inst.scores and isinstance(data.get("table"), dict)
    if not ok:
        raise ReportError(
            [ReportProblem(str(path), 1, None, f"expected `score:` (a {inst.id} score) and `table:` raw → T")]
        )
    table: dict[int, float] = {}
    for raw, t in data["table"].items():
        if not str(raw).isdigit() or isinstance(t, bool) or not isinstance(t, int | float):
            line = source.locate(("table", raw)).line
            raise ReportError([ReportProblem(str(path), line, f"table.{raw}", "raw and T must be numbers")])
        table[int(str(raw))] = float(t)
    return str(data["score"]), table


def score_export(
    export: Export,
    code_column: str,
    date_column: str | None,
    instruments: list[tuple[Instrument, list[tuple[str, str]]]],
) -> list[ScoredRow]:
    """Every row of an export scored on every instrument mapped for this wave."""
    needed = [code_column] + [col for _, cols in instruments for col, _ in cols]
    if date_column:
        needed.append(date_column)
    export.require(needed)
    problems: list[ReportProblem] = []
    labels = {inst.id: _label_index(inst) for inst, _ in instruments}
    scored = []
    for row in export.rows:
        out = ScoredRow(
            export.file, row.line, row.values[code_column], row.values.get(date_column or "", ""), True
        )
        for inst, columns in instruments:
            values: dict[str, float | None] = {}
            for column, item in columns:
                try:
                    values[item] = parse_answer(row.values[column], inst, labels[inst.id])
                except ValueError as exc:
                    problems.append(ReportProblem(export.file, row.line, column, str(exc)))
                    values[item] = None
                if values[item] is None:
                    out.complete = False
            for score in inst.key.scores:
                out.scores[f"{inst.id}.{score}"] = compute_score(inst, score, values)
            if inst.tscore_of and inst.tscores is not None:
                raw = out.scores[f"{inst.id}.{inst.tscore_of}"]
                t = inst.tscores.get(int(raw)) if raw is not None and raw == int(raw) else None
                out.scores[f"{inst.id}.{inst.tscore_of}_t"] = t
        if len(problems) >= MAX_PROBLEMS:
            break
        scored.append(out)
    if problems:
        raise ReportError(problems[:MAX_PROBLEMS])
    return scored


def build_instruments(loaded: LoadedConfig, keys: dict[str, InstrumentKey]) -> dict[str, Instrument]:
    """The configured instruments, with any supplied T-score tables loaded."""
    result = {}
    for name, cfg in loaded.config.instruments.items():
        key = keys[name]
        if cfg.tscore_table:
            score, table = load_tscore_table(loaded.base_dir / cfg.tscore_table, key)
            result[name] = Instrument(key, cfg, table, score)
        else:
            result[name] = Instrument(key, cfg)
    return result
