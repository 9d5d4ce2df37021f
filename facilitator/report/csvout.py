"""Per-student scores for R or SPSS, keyed by survey code only: a wide file (one row per code)
and a long file (one row per code, wave and measure). Variable names are letters, digits and
underscores (`oms_hc_total_pre`), as both packages want. Only canonical codes are written, never
what someone typed, so no cell can start a spreadsheet formula."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from facilitator.report.build import Study

WAVES = ("pre", "post", "baseline")


def variable(measure: str, wave: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", measure).strip("_").lower() + "_" + wave


def _value(v: float | None) -> str:
    return "" if v is None else f"{v:.4f}".rstrip("0").rstrip(".")


def _measures(study: Study) -> dict[str, list[str]]:
    """wave → measures that have at least one value in that wave, in title order."""
    found: dict[str, list[str]] = {}
    for wave in WAVES:
        present = {m for scores in study.values[wave].values() for m, v in scores.items() if v is not None}
        found[wave] = [m for m in study.titles if m in present]
    return found


def write_wide(study: Study, path: Path) -> None:
    measures = _measures(study)
    paired_measures = [m for m in measures["pre"] if m in measures["post"]]
    header = ["code", "status"]
    for wave in WAVES:
        header += [variable(m, wave) for m in measures[wave]]
    header += [variable(m, "change") for m in paired_measures]
    codes = sorted(set(study.values["pre"]) | set(study.values["post"]) | set(study.values["baseline"]))
    pre_set, post_set = set(study.values["pre"]), set(study.values["post"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for code in codes:
            status = (
                "paired"
                if code in pre_set and code in post_set
                else "pre only"
                if code in pre_set
                else ("post only" if code in post_set else "baseline only")
            )
            row = [code, status]
            for wave in WAVES:
                scores = study.values[wave].get(code, {})
                row += [_value(scores.get(m)) for m in measures[wave]]
            for m in paired_measures:
                a = study.values["pre"].get(code, {}).get(m)
                b = study.values["post"].get(code, {}).get(m)
                row.append(_value(b - a if a is not None and b is not None else None))
            writer.writerow(row)


def write_long(study: Study, path: Path) -> None:
    measures = _measures(study)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "wave", "measure", "value"])
        for wave in WAVES:
            for code in sorted(study.values[wave]):
                scores = study.values[wave][code]
                for m in measures[wave]:
                    if scores.get(m) is not None:
                        writer.writerow([code, wave, m, _value(scores[m])])
