"""The multiple regression of an outcome's change (post - pre) on baseline measures, by OLS
(statsmodels), complete cases only: coefficients with 95% CIs and P, R², adjusted R², the
overall F test's P, and n. The study asked whether baseline distress predicts who changes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Term:
    name: str
    coef: float
    ci_low: float
    ci_high: float
    p: float


@dataclass(frozen=True)
class RegressionResult:
    outcome: str
    n: int
    terms: list[Term]  # the intercept first
    r2: float
    r2_adj: float
    f_p: float


def regress(outcome: str, y: list[float], predictors: dict[str, list[float]]) -> RegressionResult | None:
    """OLS of y on the predictors (rows already complete); None when there are too few rows."""
    from statsmodels.regression.linear_model import OLS

    names = list(predictors)
    n = len(y)
    if n < len(names) + 2:
        return None
    x = np.column_stack([np.ones(n)] + [np.asarray(predictors[p], dtype=float) for p in names])
    if np.linalg.matrix_rank(x) < x.shape[1]:
        return None  # a predictor is constant or collinear: no unique fit
    fit = OLS(np.asarray(y, dtype=float), x).fit()
    ci = fit.conf_int(0.05)
    terms = [
        Term(name, float(fit.params[i]), float(ci[i][0]), float(ci[i][1]), float(fit.pvalues[i]))
        for i, name in enumerate(["intercept", *names])
    ]
    f_p = float(fit.f_pvalue) if fit.f_pvalue is not None else math.nan
    return RegressionResult(outcome, n, terms, float(fit.rsquared), float(fit.rsquared_adj), f_p)
