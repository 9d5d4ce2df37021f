"""Survey codes: deterministic, pseudonymous, typeable, and self-checking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitator.surveys.codes import (
    ALPHABET,
    CHECK_ALPHABET,
    check_character,
    format_code,
    parse_code,
    survey_code,
    survey_codes,
)

SECRET = "test-survey-secret"
STUDY = "shared-living-experiences-2026"

emails = st.builds(
    lambda user, domain: f"{user}@{domain}.example.edu",
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=30),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
)
payloads = st.text(alphabet=ALPHABET, min_size=8, max_size=8)


def raw(code: str) -> str:
    return code.replace("-", "")


def test_shape_and_example() -> None:
    code = survey_code(SECRET, STUDY, "amara.okafor@example.edu")
    assert len(code) == 11 and code[4] == "-" and code[9] == "-"
    assert all(ch in ALPHABET for ch in raw(code))
    assert parse_code(code) == code


@given(emails)
def test_round_trip(email: str) -> None:
    code = survey_code(SECRET, STUDY, email)
    assert parse_code(code) == code
    assert parse_code(code.lower()) == code
    assert parse_code(raw(code)) == code
    assert parse_code(" ".join(raw(code))) == code
    assert format_code(raw(code)) == code


@given(payloads)
def test_format_parse_round_trip_for_any_payload(payload: str) -> None:
    code = format_code(payload + check_character(payload))
    assert parse_code(code) == code


@given(payloads, st.integers(min_value=0, max_value=7), st.sampled_from(ALPHABET))
def test_every_single_substitution_in_payload_is_detected(payload: str, pos: int, other: str) -> None:
    if payload[pos] == other:
        other = ALPHABET[(ALPHABET.index(other) + 1) % 32]
    good = payload + check_character(payload)
    bad = good[:pos] + other + good[pos + 1 :]
    with pytest.raises(ValueError, match="check character"):
        parse_code(bad)


def test_every_single_substitution_exhaustively_for_real_codes() -> None:
    """All 8 positions x 31 substitutes for 50 issued codes, plus every wrong check character."""
    for n in range(50):
        good = raw(survey_code(SECRET, STUDY, f"student{n}@example.edu"))
        for pos in range(8):
            for other in ALPHABET:
                if other == good[pos]:
                    continue
                with pytest.raises(ValueError, match="check character"):
                    parse_code(good[:pos] + other + good[pos + 1 :])
        for check in CHECK_ALPHABET:
            if check != good[8]:
                with pytest.raises(ValueError, match="check character"):
                    parse_code(good[:8] + check)


@given(payloads, st.integers(min_value=0, max_value=6))
def test_adjacent_transpositions_are_detected(payload: str, pos: int) -> None:
    if payload[pos] == payload[pos + 1]:
        return
    swapped = payload[:pos] + payload[pos + 1] + payload[pos] + payload[pos + 2 :]
    with pytest.raises(ValueError, match="check character"):
        parse_code(swapped + check_character(payload))


def test_confusions_are_tolerated() -> None:
    # Build a payload containing 0 and 1 so that O, I and L can stand in for them.
    payload = "10K7QF0M"
    code = format_code(payload + check_character(payload))
    typed = "lOk7-qfom-" + code[-1].lower()
    assert parse_code(typed) == code
    assert parse_code("IOK7 QFOM " + code[-1]) == code
    assert parse_code(f"  {code.lower()}  ") == code


def test_u_is_invalid_in_payload() -> None:
    with pytest.raises(ValueError, match="U cannot appear"):
        parse_code("K7QU-2M9D-X")


@pytest.mark.parametrize("text", ["", "K7QF-2M9D", "K7QF-2M9D-XX", "K7Q!-2M9D-X"])
def test_malformed_codes_are_rejected_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="survey code"):
        parse_code(text)


def test_crockford_check_symbols_are_accepted_when_valid() -> None:
    # A payload whose value mod 37 is 36 has the check symbol U.
    value = 36
    payload = "".join(ALPHABET[(value >> (5 * (7 - i))) & 31] for i in range(8))
    assert check_character(payload) == "U"
    assert parse_code(payload + "u") == format_code(payload + "U")


def test_issued_codes_never_end_in_a_symbol() -> None:
    checks = {survey_code(SECRET, STUDY, f"s{n}@example.edu")[-1] for n in range(2000)}
    assert checks <= set(ALPHABET)
    assert len(checks) == 32  # every letter/digit occurs: the re-derivation does not skew much


def test_deterministic_and_keyed_by_study_email_and_secret() -> None:
    code = survey_code(SECRET, STUDY, "amara.okafor@example.edu")
    assert survey_code(SECRET, STUDY, "amara.okafor@example.edu") == code
    assert survey_code(SECRET, STUDY, "  Amara.Okafor@Example.EDU ") == code  # normalised email
    assert survey_code(SECRET, "another-study", "amara.okafor@example.edu") != code
    assert survey_code("another-secret", STUDY, "amara.okafor@example.edu") != code
    assert survey_code(SECRET, STUDY, "amara.okafor2@example.edu") != code


def test_different_studies_give_unrelated_codes() -> None:
    same = sum(
        survey_code(SECRET, "study-a", f"s{n}@example.edu")
        == survey_code(SECRET, "study-b", f"s{n}@example.edu")
        for n in range(1000)
    )
    assert same == 0


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="FACILITATOR_SURVEY_SECRET"):
        survey_code("", STUDY, "a@example.edu")


def test_no_collisions_over_ten_thousand_emails() -> None:
    """40-bit codes: the expected number of clashing pairs among 10,000 is about 5e-5."""
    roster = [f"student{n:05d}@example.edu" for n in range(10_000)]
    codes = survey_codes(SECRET, STUDY, roster)
    collisions = len(roster) - len(set(codes.values()))
    print(f"\nsurvey codes: {collisions} collisions over {len(roster)} emails")
    assert collisions == 0


def test_survey_codes_reports_a_clash_instead_of_merging(monkeypatch: pytest.MonkeyPatch) -> None:
    import facilitator.surveys.codes as codes_module

    monkeypatch.setattr(codes_module, "survey_code", lambda secret, study, email: "K7QF-2M9D-X")
    with pytest.raises(ValueError, match="same survey code"):
        codes_module.survey_codes(SECRET, STUDY, ["a@example.edu", "b@example.edu"])
