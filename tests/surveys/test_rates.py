"""Response rates read exactly as the study reports them."""

from __future__ import annotations

import pytest

from facilitator.surveys.rates import format_rates, percent_half_up


def test_seed_study_example() -> None:
    assert format_rates(58, 55, 53, 61) == "pre 58 of 61, post 55 of 61, both 53 of 61 (87%)"


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 8, 13), (1, 200, 1), (1, 201, 0), (0, 61, 0), (61, 61, 100), (5, 8, 63), (1, 3, 33), (2, 3, 67)],
)
def test_percent_rounds_half_up(part: int, whole: int, expected: int) -> None:
    assert percent_half_up(part, whole) == expected


def test_no_students() -> None:
    assert format_rates(0, 0, 0, 0) == "pre 0 of 0, post 0 of 0, both 0 of 0 (n/a)"


@pytest.mark.parametrize(
    ("pre", "post", "both", "total", "reason"),
    [
        (-1, 0, 0, 5, "negative"),
        (6, 0, 0, 5, "exceed the number"),
        (3, 2, 3, 5, "cannot exceed pre"),
    ],
)
def test_impossible_counts_are_refused(pre: int, post: int, both: int, total: int, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        format_rates(pre, post, both, total)
