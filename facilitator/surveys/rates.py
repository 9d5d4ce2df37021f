"""Survey response rates in the study's own terms.

A study of a teaching session cares about paired answers: a student who answered both the pre-
and the post-survey. So the headline percentage is `both / total`, and the one-line summary the
director sees (dashboard, `status`, API) reads "pre 58 of 61, post 55 of 61, both 53 of 61 (87%)".
"""

from __future__ import annotations


def percent_half_up(part: int, whole: int) -> int:
    """`part / whole` as a whole percentage, halves rounded up (53/61 → 87, 1/8 → 13)."""
    if whole <= 0:
        raise ValueError("a percentage of nothing is undefined")
    return (200 * part + whole) // (2 * whole)


def format_rates(pre: int, post: int, both: int, total: int, late_pre: int = 0, late_post: int = 0) -> str:
    """ "pre 58 of 61, post 55 of 61, both 53 of 61 (87%)"; "(n/a)" when there are no students.

    Completions after a survey closed are named after it ("; after closing, not counted: pre 2"),
    so the director knows they exist without their entering the pairing.
    """
    counts = {"pre": pre, "post": post, "both": both}
    for name, value in [*counts.items(), ("total", total)]:
        if value < 0:
            raise ValueError(f"{name} cannot be negative ({value})")
    for name, value in counts.items():
        if value > total:
            raise ValueError(f"{name} ({value}) cannot exceed the number of students ({total})")
    if both > min(pre, post):
        raise ValueError(f"both ({both}) cannot exceed pre ({pre}) or post ({post})")
    share = f"{percent_half_up(both, total)}%" if total else "n/a"
    text = f"pre {pre} of {total}, post {post} of {total}, both {both} of {total} ({share})"
    late = [f"{name} {n}" for name, n in (("pre", late_pre), ("post", late_post)) if n > 0]
    if late:
        text += "; after closing, not counted: " + ", ".join(late)
    return text
