"""The report's tables as plain rows of text, built once from a `Study` and drawn by both the
terminal (`text`) and the HTML report (`html`), so the two can never disagree."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from facilitator.report.build import Study
from facilitator.report.stats import format_p

MINUS = "\u2212"


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def num(value: float, places: int = 1) -> str:
    """A number with a real minus sign; "n/a" for NaN."""
    if math.isnan(value):
        return "n/a"
    text = f"{value:.{places}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")  # no "-0.0"
    return text.replace("-", MINUS)


def mean_sd(mean: float, sd: float) -> str:
    return f"{num(mean)} ({num(sd)})"


def response_table(study: Study) -> Table:
    p, total = study.pairing, study.roster
    rows = [
        ["Pre-survey", str(len(p.pre)), study.percent(len(p.pre), total) or "-"],
        ["Post-survey", str(len(p.post)), study.percent(len(p.post), total) or "-"],
        ["Both (paired)", str(len(p.paired)), study.percent(len(p.paired), total) or "-"],
        ["Pre only", str(len(p.pre_only)), ""],
        ["Post only", str(len(p.post_only)), ""],
        ["Codes corrected", str(len(p.corrected)), ""],
        ["Duplicate answers resolved", str(len(p.duplicates)), ""],
        ["Codes unmatched", str(len(p.unmatched)), ""],
    ]
    if study.issued_known:
        rows.append(["Codes this session never issued", str(len(study.not_issued)), ""])
    return Table(f"Response rates: {study.rates_text}", ["", f"n of {total}", "%"], rows)


def pairing_details(study: Study) -> Table:
    rows = []
    for c in study.pairing.corrected:
        rows.append([c.wave, f"{c.file}:{c.line}", c.typed, f"corrected to {c.code}"])
    for d in study.pairing.duplicates:
        dropped = ", ".join(str(x) for x in d.dropped_lines)
        rows.append(
            [d.wave, f"line {d.kept_line} kept", d.code, f"answered again, line(s) {dropped} set aside"]
        )
    for u in study.pairing.unmatched:
        rows.append([u.wave, f"{u.file}:{u.line}", u.typed, u.reason])
    return Table(
        "Pairing: corrections, duplicates and unmatched codes", ["Survey", "Where", "Code", "What"], rows
    )


def outcome_table(study: Study, instrument: str) -> Table:
    results = study.outcomes[instrument]
    holm = any(r.p_holm is not None for r in results)
    headers = ["Measure", "n", "Pre mean (SD)", "Post mean (SD)", "Change (95% CI)", "t (df)", "P"]
    headers += ["P (Holm)"] if holm else []
    headers += ["d_z", "d_av", "Wilcoxon P"]
    rows = []
    for r in results:
        row = [
            r.title,
            str(r.n),
            mean_sd(r.pre_mean, r.pre_sd),
            mean_sd(r.post_mean, r.post_sd),
            f"{num(r.change)} ({num(r.ci_low)} to {num(r.ci_high)})",
            f"{num(r.t, 2)} ({r.df})",
            format_p(r.p),
        ]
        row += [format_p(r.p_holm)] if holm else []
        row += [num(r.d_z, 2), num(r.d_av, 2), format_p(r.wilcoxon_p)]
        rows.append(row)
    title = results[0].title.split(" ")[0] if results else instrument
    notes = [f"Change is post {MINUS} pre."]
    withheld = [study.titles[m] for m in study.withheld if m.startswith(instrument + ".")]
    if withheld:
        notes.append(f"Withheld (fewer than {study.min_cell} pairs): {', '.join(withheld)}.")
    return Table(f"Paired results: {title}", headers, rows, notes)


def baseline_table(study: Study) -> Table:
    rows = []
    for d in study.baseline:
        above = ""
        if d.cutoff is not None and d.at_or_above is not None:
            pct = study.percent(d.at_or_above, d.n)
            above = f"{study.count_cell(d.at_or_above)}{f' ({pct})' if pct else ''} at or above {d.cutoff:g}"
        rows.append([d.title, str(d.n), mean_sd(d.mean, d.sd), above])
        for label, count in study.bands.get(d.measure, {}).items():
            pct = study.percent(count, d.n)
            rows.append([f"  {label}", "", "", f"{study.count_cell(count)}{f' ({pct})' if pct else ''}"])
    for title, count, n in study.flags:
        pct = study.percent(count, n)
        rows.append([title, str(n), "", f"{study.count_cell(count)}{f' ({pct})' if pct else ''}"])
    return Table("Baseline (Table 1)", ["Measure", "n", "Mean (SD)", "Cut-off / band: n (%)"], rows)


def regression_table(study: Study) -> Table | None:
    reg = study.regression
    if reg is None:
        return None
    rows = [
        [
            study.titles.get(t.name, t.name),
            num(t.coef, 2),
            f"{num(t.ci_low, 2)} to {num(t.ci_high, 2)}",
            format_p(t.p),
        ]
        for t in reg.terms
    ]
    note = (
        f"n={reg.n}, R\u00b2={num(reg.r2, 3)}, adjusted R\u00b2={num(reg.r2_adj, 3)}, "
        f"overall F test {format_p(reg.f_p)}."
    )
    title = f"Regression of the change in {study.titles.get(reg.outcome, reg.outcome)} on baseline measures"
    return Table(title, ["Term", "B", "95% CI", "P"], rows, [note])


def all_tables(study: Study) -> list[Table]:
    tables = [response_table(study)]
    if study.pairing.corrected or study.pairing.duplicates or study.pairing.unmatched:
        tables.append(pairing_details(study))
    tables += [outcome_table(study, name) for name in study.outcomes]
    if study.baseline or study.flags:
        tables.append(baseline_table(study))
    reg = regression_table(study)
    if reg is not None:
        tables.append(reg)
    return tables


def methods_paragraph(study: Study) -> str:
    """The methods and headline results in plain words, numbers filled in."""
    p = study.pairing
    parts = [
        f"Of {study.roster} students, {len(p.pre)} answered the pre-survey "
        f"and {len(p.post)} the post-survey; "
        f"{len(p.paired)} ({study.percent(len(p.paired), study.roster) or 'n/a'}) answered both and were "
        "paired by their survey code."
    ]
    if p.corrected:
        parts.append(
            f"{len(p.corrected)} mistyped code(s) were corrected to the only valid code one character away."
        )
    if p.duplicates:
        parts.append(f"{len(p.duplicates)} student(s) answered a survey twice; {study.duplicates_rule}.")
    for results in study.outcomes.values():
        for r in results:
            direction = "fell" if r.change < 0 else "rose"
            adjusted = f", Holm-adjusted {format_p(r.p_holm)}" if r.p_holm is not None else ""
            parts.append(
                f"{r.title} {direction} from {mean_sd(r.pre_mean, r.pre_sd)} "
                f"to {mean_sd(r.post_mean, r.post_sd)} "
                f"(mean change {num(r.change)}, 95% CI {num(r.ci_low)} to {num(r.ci_high)}; "
                f"t({r.df})={num(r.t, 2)}, {format_p(r.p)}{adjusted}; d_z={num(r.d_z, 2)})."
            )
    if study.regression is not None:
        reg = study.regression
        significant = [t for t in reg.terms[1:] if t.p < 0.05]
        verdict = (
            "no baseline measure significantly predicted the change"
            if not significant
            else "significant predictors: " + ", ".join(study.titles.get(t.name, t.name) for t in significant)
        )
        parts.append(
            f"In a multiple regression of the change on {len(reg.terms) - 1} baseline measures "
            f"(n={reg.n}, R\u00b2={num(reg.r2, 3)}), {verdict}."
        )
    elif study.regression_note:
        parts.append(f"The regression was {study.regression_note}.")
    return " ".join(parts)
