"""Every statistic against an independent computation on the same data (numpy formulas, SciPy's
distributions used directly), plus P formatting in the journal's style."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from facilitator.report.regression import regress
from facilitator.report.stats import describe, format_p, holm, paired


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    pre = np.round(rng.normal(40, 8, 53))
    post = np.round(pre - 3 + rng.normal(0, 7, 53))
    return pre, post


def test_paired_t_test_ci_and_effect_sizes_match_the_textbook_formulas(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    pre, post = data
    result = paired("m", "M", list(pre), list(post))
    assert result is not None
    d = post - pre
    n = len(d)
    mean, sd = d.mean(), d.std(ddof=1)
    se = sd / math.sqrt(n)
    t = mean / se
    p = 2 * sps.t.sf(abs(t), n - 1)
    half = sps.t.ppf(0.975, n - 1) * se
    assert result.n == n and result.df == n - 1
    assert result.t == pytest.approx(t, rel=1e-12)
    assert result.p == pytest.approx(p, rel=1e-9)
    assert (result.ci_low, result.ci_high) == (pytest.approx(mean - half), pytest.approx(mean + half))
    assert result.d_z == pytest.approx(mean / sd)
    assert result.d_z == pytest.approx(t / math.sqrt(n))
    assert result.d_av == pytest.approx(mean / ((pre.std(ddof=1) + post.std(ddof=1)) / 2))
    assert result.pre_mean == pytest.approx(pre.mean()) and result.post_sd == pytest.approx(post.std(ddof=1))


def test_wilcoxon_p_matches_a_normal_approximation_by_hand(data: tuple[np.ndarray, np.ndarray]) -> None:
    pre, post = data
    result = paired("m", "M", list(pre), list(post))
    assert result is not None and result.wilcoxon_p is not None
    d = (post - pre)[post != pre]
    ranks = sps.rankdata(np.abs(d))
    w_plus = ranks[d > 0].sum()
    n = len(d)
    _, tie_counts = np.unique(ranks, return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - (tie_counts**3 - tie_counts).sum() / 48
    z = (w_plus - n * (n + 1) / 4) / math.sqrt(var)
    expected = 2 * sps.norm.sf(abs(z))
    assert result.wilcoxon_p == pytest.approx(expected, rel=1e-6)


def test_published_example_student_sleep_data() -> None:
    # R's `sleep` data (Cushny & Peebles, via Student 1908): t.test(extra ~ group, paired = TRUE) gives
    # t = -4.0621, df = 9, p-value = 0.002833, 95% CI -2.4598858 to -0.7001142 (group 1 - group 2).
    g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    result = paired("sleep", "Sleep", g2, g1)  # change = g1 - g2, as R's formula orders it
    assert result is not None
    assert result.t == pytest.approx(-4.0621, abs=1e-4)
    assert result.p == pytest.approx(0.002833, abs=1e-6)
    assert result.ci_low == pytest.approx(-2.4598858, abs=1e-6)
    assert result.ci_high == pytest.approx(-0.7001142, abs=1e-6)
    assert format_p(result.p) == "P=.003"


def test_holm_matches_the_step_down_rule() -> None:
    rng = np.random.default_rng(3)
    results = []
    for i in range(4):
        pre = rng.normal(0, 1, 30)
        results.append(paired(f"m{i}", f"M{i}", list(pre), list(pre + rng.normal(-0.3 * i, 1, 30))))
    rows = [r for r in results if r is not None]
    adjusted = holm(rows)
    ps = [r.p for r in rows]
    order = np.argsort(ps)
    expected = [0.0] * len(ps)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        expected[i] = running
    assert [r.p_holm for r in adjusted] == pytest.approx(expected)


def test_regression_matches_least_squares_by_hand() -> None:
    rng = np.random.default_rng(11)
    n = 53
    x = rng.normal(size=(n, 3)) * [4, 5, 1.5] + [6, 18, 2.5]
    y = 0.3 * x[:, 0] - 0.1 * x[:, 2] + rng.normal(0, 3, n)
    result = regress("y", list(y), {"a": list(x[:, 0]), "b": list(x[:, 1]), "c": list(x[:, 2])})
    assert result is not None
    design = np.column_stack([np.ones(n), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ beta
    df = n - design.shape[1]
    sigma2 = residuals @ residuals / df
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    t = beta / se
    p = 2 * sps.t.sf(np.abs(t), df)
    q = sps.t.ppf(0.975, df)
    r2 = 1 - residuals @ residuals / ((y - y.mean()) @ (y - y.mean()))
    assert [term.name for term in result.terms] == ["intercept", "a", "b", "c"]
    assert [term.coef for term in result.terms] == pytest.approx(list(beta))
    assert [term.p for term in result.terms] == pytest.approx(list(p))
    assert [term.ci_low for term in result.terms] == pytest.approx(list(beta - q * se))
    assert [term.ci_high for term in result.terms] == pytest.approx(list(beta + q * se))
    assert result.r2 == pytest.approx(r2)
    assert result.r2_adj == pytest.approx(1 - (1 - r2) * (n - 1) / df)
    f = (r2 / 3) / ((1 - r2) / df)
    assert result.f_p == pytest.approx(sps.f.sf(f, 3, df))
    assert result.n == n


def test_regression_refuses_collinear_or_too_few_rows() -> None:
    assert regress("y", [1.0, 2.0, 3.0], {"a": [1.0, 2.0, 3.0], "b": [2.0, 1.0, 0.0]}) is None
    assert regress("y", [1.0, 2.0, 3.0, 5.0, 4.0], {"a": [1.0] * 5}) is None


def test_descriptives_and_cut_off_counts() -> None:
    row = describe("phq", "PHQ", [3, 10, 12, 9, 15], 10)
    assert row is not None
    assert (row.n, row.mean, row.at_or_above) == (5, 9.8, 3)
    assert row.sd == pytest.approx(np.std([3, 10, 12, 9, 15], ddof=1))
    assert describe("x", "X", [], None) is None


def test_too_few_pairs_and_no_change() -> None:
    assert paired("m", "M", [1.0], [2.0]) is None
    same = paired("m", "M", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same is not None and same.wilcoxon_p is None and math.isnan(same.d_z)


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0000001, "P<.001"), (0.0009, "P<.001"), (0.001, "P=.001"), (0.0024, "P=.002"), (0.003, "P=.003"),
        (0.0099, "P=.01"), (0.012, "P=.01"), (0.0467, "P=.047"), (0.0449, "P=.04"), (0.05, "P=.05"),
        (0.051, "P=.05"), (0.5, "P=.50"), (0.994, "P>.99"), (None, "n/a"), (math.nan, "n/a"),
    ],
)  # fmt: skip
def test_p_values_in_the_journal_style(p: float | None, text: str) -> None:
    assert format_p(p) == text
