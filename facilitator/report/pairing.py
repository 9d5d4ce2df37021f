"""Pre and post answers paired by survey code.

Codes are compared in canonical form (`surveys.codes.parse_code`: case, spaces, hyphens and O/I/L
confusions normalised, check character verified). A code whose check character fails is
corrected only when exactly one valid code from the other survey (or the roster) is one
character away (one changed, inserted or dropped character, or two neighbours swapped); every
correction is reported, and an ambiguous or hopeless code is left unmatched, never guessed.
A student who answered one survey twice is resolved by the stated rule: `first-complete` (the
earliest answer with every item, else the earliest) or `latest`; both are reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from facilitator.report.scoring import ScoredRow
from facilitator.surveys.codes import CHECK_ALPHABET, CODE_LENGTH, compact_code, parse_code


@dataclass(frozen=True)
class Correction:
    """A mistyped code and the code it was corrected to (`typed` as `shown` allows)."""

    wave: str
    file: str
    line: int
    typed: str
    code: str


@dataclass(frozen=True)
class Unmatched:
    wave: str
    file: str
    line: int
    typed: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    wave: str
    code: str
    kept_line: int
    dropped_lines: tuple[int, ...]


@dataclass
class Pairing:
    pre: dict[str, ScoredRow] = field(default_factory=dict)  # code → the answer kept
    post: dict[str, ScoredRow] = field(default_factory=dict)
    corrected: list[Correction] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    rule: str = "first-complete"

    @property
    def paired(self) -> list[str]:
        return sorted(self.pre.keys() & self.post.keys())

    @property
    def pre_only(self) -> list[str]:
        return sorted(self.pre.keys() - self.post.keys())

    @property
    def post_only(self) -> list[str]:
        return sorted(self.post.keys() - self.pre.keys())


def within_one_edit(a: str, b: str) -> bool:
    """True when b is a with one character changed, inserted or dropped, or two neighbours swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def shown(typed: str) -> str:
    """What the report may show of a typed code: itself when it looks like a code, else nothing.

    Students sometimes type their name or e-mail address into the code field; the report must not
    carry it, so only 7-11 letters and digits (separators aside) with at least one digit typed as a
    digit are shown: a name has no digits, nearly every code has some.
    """
    compact = compact_code(typed)
    code_like = 7 <= len(compact) <= 11 and compact.isascii() and compact.isalnum()
    return typed.strip() if code_like and any(ch.isdigit() for ch in typed) else "(withheld)"


def _why_invalid(typed: str) -> str:
    """Why a code failed, in words that never repeat what was typed."""
    compact, none_near = compact_code(typed), "and no valid code is one character away"
    if len(compact) != CODE_LENGTH:
        return f"{len(compact)} characters where a code has {CODE_LENGTH}, {none_near}"
    if any(ch not in CHECK_ALPHABET for ch in compact):
        return f"characters that cannot appear in a code, {none_near}"
    return f"wrong check character, {none_near}"


def _canonical(rows: list[ScoredRow]) -> tuple[list[tuple[str, ScoredRow]], list[tuple[str, ScoredRow]]]:
    valid, invalid = [], []
    for row in rows:
        try:
            valid.append((parse_code(row.code_text), row))
        except ValueError:
            invalid.append((_why_invalid(row.code_text), row))
    return valid, invalid


def _correct(
    wave: str, invalid: list[tuple[str, ScoredRow]], universe: set[str], pairing: Pairing
) -> list[tuple[str, ScoredRow]]:
    compact_universe = {compact_code(c): c for c in universe}
    fixed = []
    for reason, row in invalid:
        typed = compact_code(row.code_text)
        if not typed:
            pairing.unmatched.append(Unmatched(wave, row.file, row.line, "", "no code given"))
            continue
        near = sorted(code for compact, code in compact_universe.items() if within_one_edit(typed, compact))
        if len(near) == 1:
            pairing.corrected.append(Correction(wave, row.file, row.line, shown(row.code_text), near[0]))
            fixed.append((near[0], row))
        elif near:
            why = f"{len(near)} valid codes are one character away ({', '.join(near)}): ambiguous, not paired"
            pairing.unmatched.append(Unmatched(wave, row.file, row.line, shown(row.code_text), why))
        else:
            pairing.unmatched.append(Unmatched(wave, row.file, row.line, shown(row.code_text), reason))
    return fixed


def _resolve(
    wave: str, rows: list[tuple[str, ScoredRow]], rule: str, pairing: Pairing
) -> dict[str, ScoredRow]:
    by_code: dict[str, list[ScoredRow]] = {}
    for code, row in rows:
        by_code.setdefault(code, []).append(row)
    kept: dict[str, ScoredRow] = {}
    for code, answers in by_code.items():
        ordered = sorted(answers, key=lambda r: (r.order, r.line))
        first_complete = next((r for r in ordered if r.complete), ordered[0])
        choice = ordered[-1] if rule == "latest" else first_complete
        kept[code] = choice
        if len(answers) > 1:
            dropped = tuple(sorted(r.line for r in answers if r is not choice))
            pairing.duplicates.append(Duplicate(wave, code, choice.line, dropped))
    return kept


def one_per_code(
    wave: str, rows: list[ScoredRow], rule: str, universe: set[str], pairing: Pairing
) -> dict[str, ScoredRow]:
    """A third survey (a separate baseline) reduced to one answer per code, by the same rules."""
    valid, invalid = _canonical(rows)
    valid += _correct(wave, invalid, universe, pairing)
    return _resolve(wave, valid, rule, pairing)


def pair(pre: list[ScoredRow], post: list[ScoredRow], rule: str, roster: Iterable[str] = ()) -> Pairing:
    """Match the two surveys by code; see the module docstring for the rules."""
    pairing = Pairing(rule=rule)
    roster_codes = {parse_code(c) for c in roster}
    pre_valid, pre_invalid = _canonical(pre)
    post_valid, post_invalid = _canonical(post)
    pre_valid += _correct("pre", pre_invalid, {c for c, _ in post_valid} | roster_codes, pairing)
    post_valid += _correct("post", post_invalid, {c for c, _ in pre_valid} | roster_codes, pairing)
    pairing.pre = _resolve("pre", pre_valid, rule, pairing)
    pairing.post = _resolve("post", post_valid, rule, pairing)
    return pairing
