"""Pairing by code: normalisation, corrections only when unambiguous, duplicates by the stated rule."""

from __future__ import annotations

from facilitator.report.pairing import pair, within_one_edit
from facilitator.report.scoring import ScoredRow
from facilitator.surveys.codes import check_character, survey_code

CODES = [survey_code("pairing-test-secret", "study", f"s{i}@students.example.edu") for i in range(12)]


def row(code: str, line: int, *, complete: bool = True, order: str = "", score: float = 1.0) -> ScoredRow:
    return ScoredRow("x.csv", line, code, order, complete, {"m.total": score})


def substitute(code: str, position: int) -> str:
    """`code` with one payload character changed (the check character then fails)."""
    raw = code.replace("-", "")
    new = "Z" if raw[position] != "Z" else "Y"
    raw = raw[:position] + new + raw[position + 1 :]
    return f"{raw[:4]}-{raw[4:8]}-{raw[8]}"


def test_exact_and_normalised_codes_pair() -> None:
    a, b, c = CODES[:3]
    typed_b = b.replace("-", "").lower()
    typed_c = " " + c.replace("0", "O").replace("1", "l") + " "
    result = pair(
        [row(a, 2), row(b, 3), row(c, 4)], [row(a, 2), row(typed_b, 3), row(typed_c, 4)], "first-complete"
    )
    assert result.paired == sorted([a, b, c])
    assert not result.corrected and not result.unmatched


def test_a_mistyped_code_is_corrected_when_exactly_one_valid_code_is_one_character_away() -> None:
    a, b = CODES[:2]
    typo = substitute(a, 3)
    swapped = a.replace("-", "")
    swapped = swapped[1] + swapped[0] + swapped[2:]  # two neighbours swapped
    dropped = a.replace("-", "")[:-2] + a[-1]  # one character left out
    result = pair([row(a, 2), row(b, 3)], [row(typo, 2)], "first-complete")
    assert result.paired == [a]
    assert [(c.typed, c.code, c.line, c.wave) for c in result.corrected] == [(typo, a, 2, "post")]
    if swapped[:8] != a.replace("-", "")[:8]:
        assert pair([row(a, 2)], [row(swapped, 2)], "first-complete").paired == [a]
    assert pair([row(a, 2)], [row(dropped, 2)], "first-complete").paired == [a]


def test_an_ambiguous_code_is_never_guessed() -> None:
    a = CODES[0]
    typo = substitute(a, 2)  # one from `a` ...
    payload = typo.replace("-", "")[:8]
    other = f"{payload[:4]}-{payload[4:]}-{check_character(payload)}"  # ... and one from this valid code
    result = pair([row(a, 2), row(other, 3)], [row(typo, 5)], "first-complete")
    assert result.paired == []
    assert len(result.unmatched) == 1
    assert "2 valid codes are one character away" in result.unmatched[0].reason
    assert result.unmatched[0].line == 5


def test_hopeless_and_empty_codes_are_unmatched_with_a_reason() -> None:
    a = CODES[0]
    result = pair(
        [row(a, 2)], [row("NOT-A-CODE", 2), row("", 3), row(substitute(substitute(a, 1), 5), 4)], "latest"
    )
    reasons = [u.reason for u in result.unmatched]
    assert len(reasons) == 3
    assert reasons[1] == "no code given"
    assert "wrong check character" in reasons[2]
    assert result.post == {}


def test_duplicates_first_complete_and_latest() -> None:
    a, b = CODES[:2]
    pre = [
        row(a, 2, complete=False, order="2027-01-07 10:00", score=1),
        row(a, 3, complete=True, order="2027-01-07 11:00", score=2),
        row(a, 4, complete=True, order="2027-01-07 09:00", score=3),
        row(b, 5),
    ]
    first = pair(pre, [row(a, 2), row(b, 3)], "first-complete")
    assert first.pre[a].line == 4  # the earliest complete answer by the date column
    assert [(d.wave, d.code, d.kept_line, d.dropped_lines) for d in first.duplicates] == [
        ("pre", a, 4, (2, 3))
    ]
    latest = pair(pre, [row(a, 2), row(b, 3)], "latest")
    assert latest.pre[a].line == 3
    assert latest.paired == sorted([a, b])


def test_pre_only_and_post_only() -> None:
    a, b, c = CODES[:3]
    result = pair([row(a, 2), row(b, 3)], [row(b, 2), row(c, 3)], "first-complete")
    assert (result.paired, result.pre_only, result.post_only) == ([b], [a], [c])


def test_roster_codes_widen_the_corrections() -> None:
    a = CODES[0]
    typo = substitute(a, 6)
    assert pair([row(typo, 2)], [], "first-complete", roster=[a]).pre_only == [a]


def test_within_one_edit() -> None:
    assert within_one_edit("ABCD", "ABXD")
    assert within_one_edit("ABCD", "BACD")
    assert within_one_edit("ABCD", "ABD")
    assert within_one_edit("ABD", "ABCD")
    assert not within_one_edit("ABCD", "ABCD")
    assert not within_one_edit("ABCD", "BADC")
    assert not within_one_edit("ABCD", "AB")
    assert not within_one_edit("ABCD", "XBCY")


def test_what_a_student_typed_instead_of_a_code_is_never_repeated() -> None:
    a = CODES[0]
    typed = ["Jane Quill", "jane.quill@students.example.edu", "<b>x</b>", a.replace("-", "")[:7] + "??"]
    result = pair([row(a, 2)], [row(t, n) for n, t in enumerate(typed, 2)], "first-complete")
    assert [u.typed for u in result.unmatched] == ["(withheld)"] * 4
    text = " ".join(u.reason for u in result.unmatched)
    assert "jane" not in text.lower() and "<b>" not in text and "??" not in text
    near = substitute(CODES[1], 4)
    assert pair([], [row(near, 2)], "latest").unmatched[0].typed == near  # code-like: shown
