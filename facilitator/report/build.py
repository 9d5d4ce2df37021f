"""The whole study from its inputs: read, score, pair, analyse. Pure computation, no output:
`text`, `html` and `csvout` render the `Study` this returns.

Small cells are suppressed here, once, so no renderer can leak them: a summary of fewer than
`min_cell` people is withheld, and a count of people above a cut-off between 1 and `min_cell - 1`
is shown as "<min_cell". Nothing carries an identity: rows are keyed by survey code only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from facilitator.report.config import LoadedConfig, check_against_keys, load_config
from facilitator.report.errors import ReportError, ReportProblem
from facilitator.report.exports import Export, read_export
from facilitator.report.keys import load_keys
from facilitator.report.pairing import Pairing, one_per_code, pair
from facilitator.report.regression import RegressionResult, regress
from facilitator.report.scoring import Instrument, ScoredRow, band, build_instruments, score_export
from facilitator.report.stats import Descriptive, Paired, describe, holm, paired
from facilitator.surveys.rates import format_rates, percent_half_up


@dataclass
class Study:
    title: str
    roster: int
    min_cell: int
    pairing: Pairing
    formats: dict[str, str]  # wave → detected export format
    outcomes: dict[str, list[Paired]] = field(default_factory=dict)  # instrument → rows
    withheld: list[str] = field(default_factory=list)  # measures with fewer than min_cell pairs
    baseline: list[Descriptive] = field(default_factory=list)
    bands: dict[str, dict[str, int]] = field(default_factory=dict)  # measure → band → count
    flags: list[tuple[str, int, int]] = field(default_factory=list)  # title, count, n
    regression: RegressionResult | None = None
    regression_note: str = ""
    choices: list[str] = field(default_factory=list)
    duplicates_rule: str = ""  # the rule in words, for the methods paragraph
    issued_known: bool = False  # the session's issued codes were known
    not_issued: list[str] = field(default_factory=list)  # answered codes the session never issued
    values: dict[str, dict[str, dict[str, float | None]]] = field(
        default_factory=dict
    )  # wave → code → scores
    titles: dict[str, str] = field(default_factory=dict)  # measure → title

    @property
    def rates_text(self) -> str:
        p = self.pairing
        return format_rates(len(p.pre), len(p.post), len(p.paired), self.roster)

    def count_cell(self, count: int) -> str:
        """A count of people, suppressed when it is small but not zero."""
        return f"<{self.min_cell}" if 0 < count < self.min_cell else str(count)

    def percent(self, count: int, whole: int) -> str:
        if 0 < count < self.min_cell or whole <= 0:
            return ""
        return f"{percent_half_up(count, whole)}%"


def _mappings(
    loaded: LoadedConfig, insts: dict[str, Instrument], wave: str
) -> list[tuple[Instrument, list[tuple[str, str]]]]:
    out = []
    for name, inst in insts.items():
        mapping = getattr(loaded.config.instruments[name], wave)
        if mapping is not None:
            out.append((inst, mapping.resolve(inst.key)))
    return out


def _score(
    export: Export,
    loaded: LoadedConfig,
    maps: list[tuple[Instrument, list[tuple[str, str]]]],
    date_optional: bool = False,
) -> list[ScoredRow]:
    """Score an export; a separate baseline export (another tool, perhaps) may lack the date column,
    and then its duplicates are ordered by file order, which the choices say."""
    cfg = loaded.config
    date = cfg.date_column
    if date_optional and date is not None and date not in export.columns:
        date = None
    return score_export(export, cfg.code_column, date, maps)


def build_study(
    pre_path: Path,
    post_path: Path,
    config_path: Path,
    roster: int,
    title: str,
    baseline_path: Path | None = None,
    roster_codes: list[str] | None = None,
) -> Study:
    """Everything the report shows, computed once; raises ReportError for the user's mistakes."""
    loaded = load_config(config_path)
    cfg = loaded.config
    keys = load_keys([loaded.base_dir / cfg.keys_dir] if cfg.keys_dir else None)
    check_against_keys(loaded, keys)
    insts = build_instruments(loaded, keys)
    pre_x, post_x = read_export(pre_path), read_export(post_path)
    base_maps = _mappings(loaded, insts, "baseline")
    pre_rows = _score(pre_x, loaded, _mappings(loaded, insts, "pre") + ([] if baseline_path else base_maps))
    post_rows = _score(post_x, loaded, _mappings(loaded, insts, "post"))
    pairing = pair(pre_rows, post_rows, cfg.duplicates, roster_codes or ())
    formats: dict[str, str] = {"pre": pre_x.format, "post": post_x.format}
    study = Study(title, roster, cfg.min_cell, pairing, formats)
    try:
        study.rates_text  # noqa: B018 - validates the counts against the roster
    except ValueError:
        raise ReportError(
            [
                ReportProblem(
                    str(pre_path),
                    None,
                    None,
                    f"the exports hold {len(pairing.pre)} pre and {len(pairing.post)} post codes, more than "
                    f"the {roster} students on the roster: is this the right session or plan?",
                )
            ]
        ) from None
    if roster_codes:
        issued = set(roster_codes)
        study.issued_known = True
        study.not_issued = sorted(c for c in set(pairing.pre) | set(pairing.post) if c not in issued)
    baseline_rows: dict[str, ScoredRow] = pairing.pre
    if baseline_path is not None:
        base_x = read_export(baseline_path)
        formats["baseline"] = base_x.format
        if cfg.date_column and cfg.date_column not in base_x.columns:
            study.choices.append(
                f"The baseline export has no {cfg.date_column} column: its duplicates by file order."
            )
        universe = set(pairing.pre) | set(pairing.post)
        baseline_rows = one_per_code(
            "baseline",
            _score(base_x, loaded, base_maps, date_optional=True),
            cfg.duplicates,
            universe,
            pairing,
        )
    study.values = {
        "pre": {c: r.scores for c, r in pairing.pre.items()},
        "post": {c: r.scores for c, r in pairing.post.items()},
        "baseline": {c: r.scores for c, r in baseline_rows.items()},
    }
    for inst in insts.values():
        for score in inst.score_names():
            base = score.removesuffix("_t") if score.endswith("_t") and inst.tscore_of else score
            suffix = " (T-score)" if base != score else ""
            study.titles[f"{inst.id}.{score}"] = f"{inst.key.title} {inst.key.scores[base].title}{suffix}"
    _outcomes(study, loaded, insts)
    _baseline(study, [inst for inst, _ in base_maps])
    _regression(study, loaded)
    _choices(study, loaded, insts)
    return study


def _outcomes(study: Study, loaded: LoadedConfig, insts: dict[str, Instrument]) -> None:
    for name, inst in insts.items():
        icfg = loaded.config.instruments[name]
        if icfg.pre is None or icfg.post is None:
            continue
        rows = []
        for score in inst.score_names():
            measure = f"{name}.{score}"
            pre, post = [], []
            for code in study.pairing.paired:
                a, b = study.values["pre"][code].get(measure), study.values["post"][code].get(measure)
                if a is not None and b is not None:
                    pre.append(a)
                    post.append(b)
            result = paired(measure, study.titles[measure], pre, post)
            if result is None or result.n < study.min_cell:
                study.withheld.append(measure)
            else:
                rows.append(result)
        study.outcomes[name] = holm(rows) if loaded.config.holm and len(rows) > 1 else rows


def _baseline(study: Study, insts: list[Instrument]) -> None:
    values = study.values["baseline"]
    for inst in insts:
        for score in inst.score_names():
            measure = f"{inst.id}.{score}"
            found = [v for scores in values.values() if (v := scores.get(measure)) is not None]
            base = score.removesuffix("_t")
            cutoff = inst.cutoff(base) if base == score else None
            row = describe(measure, study.titles[measure], found, cutoff)
            if row is None or row.n < study.min_cell:
                study.withheld.append(measure)
                continue
            study.baseline.append(row)
            if base == score and inst.key.scores[score].bands:
                counts: dict[str, int] = {label: 0 for label in inst.key.scores[score].bands.values()}
                for v in found:
                    label = band(inst, score, v)
                    if label is not None:
                        counts[label] += 1
                study.bands[measure] = counts
        for flag in inst.key.flags.values():
            flagged, n = 0, 0
            for scores in values.values():
                parts = [(s, scores.get(f"{inst.id}.{s}")) for s in flag.any_of]
                known = [(s, v) for s, v in parts if v is not None]
                if not known:
                    continue
                n += 1
                flagged += any(v >= (inst.cutoff(s) or math.inf) for s, v in known)
            if n >= study.min_cell:
                study.flags.append((f"{inst.key.title}: {flag.title}", flagged, n))


def _regression(study: Study, loaded: LoadedConfig) -> None:
    reg = loaded.config.regression
    if reg is None:
        return
    y: list[float] = []
    xs: dict[str, list[float]] = {p: [] for p in reg.predictors}
    for code in study.pairing.paired:
        a, b = study.values["pre"][code].get(reg.outcome), study.values["post"][code].get(reg.outcome)
        base = study.values["baseline"].get(code, {})
        terms = [base.get(p) for p in reg.predictors]
        if a is None or b is None or any(t is None for t in terms):
            continue
        y.append(b - a)
        for p, t in zip(reg.predictors, terms, strict=True):
            assert t is not None
            xs[p].append(t)
    if len(y) < max(study.min_cell, len(reg.predictors) + 2):
        study.regression_note = f"not fitted: {study.count_cell(len(y))} complete cases"
        return
    study.regression = regress(reg.outcome, y, xs)
    if study.regression is None:
        study.regression_note = "not fitted: a predictor is constant or collinear with the others"


def _choices(study: Study, loaded: LoadedConfig, insts: dict[str, Instrument]) -> None:
    cfg = loaded.config
    rule = {
        "first-complete": "the earliest answer with every item kept (else the earliest)",
        "latest": "the latest answer kept"
        + (f" (by {cfg.date_column})" if cfg.date_column else " (file order)"),
    }[cfg.duplicates]
    study.duplicates_rule = rule
    study.choices.append(f"Duplicates: {rule}.")
    study.choices.append(
        "Codes: case, spaces, hyphens and O/I/L normalised; a code failing its check character corrected "
        "only when exactly one valid code is one character away."
    )
    for name, inst in insts.items():
        scores = ", ".join(
            f"{inst.key.scores[s].title.lower()}: {describe_missing_rule_for(inst, s)}"
            for s in inst.key.scores
        )
        method = "sum" if inst.method(next(iter(inst.key.scores))) == "sum" else "mean item score"
        reverse = f"; reverse-keyed items {', '.join(inst.key.reverse)}" if inst.key.reverse else ""
        study.choices.append(f"{inst.key.title}: {method}{reverse}; missing items, {scores}.")
        cutoffs = [(s, inst.cutoff(s)) for s in inst.key.scores if inst.cutoff(s) is not None]
        if cutoffs and cfg.instruments[name].baseline is not None:
            study.choices.append(
                f"{inst.key.title} cut-offs (at or above): "
                + ", ".join(f"{inst.key.scores[s].title.lower()} {c:g}" for s, c in cutoffs)
                + "."
            )
    study.choices.append(
        "Paired t-test (two-sided), 95% CI of the mean change (post - pre); Cohen's d_z = mean change / SD "
        "of change, d_av = mean change / mean of the pre and post SDs; Wilcoxon signed-rank P (zeros "
        "dropped) as a sensitivity check."
    )
    study.choices.append(
        "Holm adjustment across each instrument's scores: " + ("yes." if cfg.holm else "no (unadjusted P).")
    )
    study.choices.append(f"Small cells: summaries of fewer than {cfg.min_cell} people are withheld.")


def describe_missing_rule_for(inst: Instrument, score: str) -> str:
    n = inst.max_missing(score)
    if n == 0:
        return "all items needed"
    return f"up to {n} missing replaced by the mean of the answered items"
