"""Paired analysis and baseline descriptives, by SciPy and statsmodels.

Change is post minus pre. Per outcome: n pairs, pre and post mean (SD), mean change with its 95%
CI (t distribution), t(df) and two-sided P of the paired t-test, Cohen's d_z (mean change / SD of
change, the standardised response mean) and d_av (mean change / average of the pre and post SDs,
comparable with between-group studies; Lakens 2013), and the Wilcoxon signed-rank P (zero
differences dropped, exact or normal approximation as SciPy chooses) as a sensitivity check. Holm's
adjustment across an instrument's scores is optional and stated. P values are written in the
journal's style: "P=.002", "P<.001".
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class Paired:
    measure: str
    title: str
    n: int
    pre_mean: float
    pre_sd: float
    post_mean: float
    post_sd: float
    change: float
    ci_low: float
    ci_high: float
    t: float
    df: int
    p: float
    d_z: float
    d_av: float
    wilcoxon_p: float | None
    p_holm: float | None = None


@dataclass(frozen=True)
class Descriptive:
    measure: str
    title: str
    n: int
    mean: float
    sd: float
    cutoff: float | None
    at_or_above: int | None


def format_p(p: float | None) -> str:
    """Journal style: P<.001, P=.002, P=.03, P>.99: two decimals from .01 up, three below .01, and
    three just under .05 (P=.047), so rounding never turns a significant P into "P=.05"."""
    if p is None or math.isnan(p):
        return "n/a"
    if p < 0.001:
        return "P<.001"
    if p > 0.99:
        return "P>.99"
    text = f"{p:.3f}" if p < 0.01 or 0.045 <= p < 0.05 else f"{p:.2f}"
    if text == "0.010":
        text = "0.01"
    return "P=" + text.removeprefix("0")


def paired(measure: str, title: str, pre: list[float], post: list[float]) -> Paired | None:
    """The paired comparison of complete pairs; None with fewer than 2 pairs."""
    a, b = np.asarray(pre, dtype=float), np.asarray(post, dtype=float)
    n = len(a)
    if n < 2:
        return None
    diff = np.round(b - a, 10)
    sd_diff = float(np.std(diff, ddof=1))
    mean_diff = float(np.mean(diff))
    test = sps.ttest_rel(b, a)
    ci = test.confidence_interval(0.95)
    pre_sd, post_sd = float(np.std(a, ddof=1)), float(np.std(b, ddof=1))
    average_sd = (pre_sd + post_sd) / 2
    wilcoxon_p = None
    if np.any(diff != 0):
        wilcoxon_p = float(sps.wilcoxon(diff, zero_method="wilcox").pvalue)
    return Paired(
        measure=measure,
        title=title,
        n=n,
        pre_mean=float(np.mean(a)),
        pre_sd=pre_sd,
        post_mean=float(np.mean(b)),
        post_sd=post_sd,
        change=mean_diff,
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        t=float(test.statistic),
        df=n - 1,
        p=float(test.pvalue),
        d_z=mean_diff / sd_diff if sd_diff > 0 else math.nan,
        d_av=mean_diff / average_sd if average_sd > 0 else math.nan,
        wilcoxon_p=wilcoxon_p,
    )


def holm(results: list[Paired]) -> list[Paired]:
    """Holm-adjusted P values across `results` (one family: an instrument's total and subscales)."""
    from dataclasses import replace

    from statsmodels.stats.multitest import multipletests

    usable = [r for r in results if not math.isnan(r.p)]
    if not usable:
        return results
    adjusted = multipletests([r.p for r in usable], method="holm")[1]
    by_measure = {r.measure: float(p) for r, p in zip(usable, adjusted, strict=True)}
    return [replace(r, p_holm=by_measure.get(r.measure)) for r in results]


def describe(measure: str, title: str, values: list[float], cutoff: float | None) -> Descriptive | None:
    """n, mean (SD) and the count at or above the cut-off; None without values."""
    if not values:
        return None
    sd = statistics.stdev(values) if len(values) > 1 else math.nan
    above = None if cutoff is None else sum(1 for v in values if v >= cutoff)
    return Descriptive(measure, title, len(values), statistics.fmean(values), sd, cutoff, above)
