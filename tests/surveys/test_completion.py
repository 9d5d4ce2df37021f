"""Completion callbacks: only a signature we issued marks a code complete."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitator.surveys.codes import survey_code
from facilitator.surveys.completion import (
    SIGNATURE_HEX_DIGITS,
    completion_signature,
    completion_url,
    survey_target_url,
    verify_completion,
)

SECRET = "test-survey-secret"
SESSION = "shared-living-experiences-2026-12-03"
CODE = survey_code(SECRET, "study", "amara.okafor@example.edu")
OTHER = survey_code(SECRET, "study", "ben.adeyemi@example.edu")


def test_signature_is_128_bit_hex_and_verifies() -> None:
    sig = completion_signature(SECRET, SESSION, CODE, "pre")
    assert len(sig) == SIGNATURE_HEX_DIGITS == 32 and int(sig, 16) >= 0
    assert verify_completion(SECRET, SESSION, CODE, "pre", sig)
    assert verify_completion(SECRET, SESSION, CODE.lower().replace("-", ""), "pre", sig.upper())


@pytest.mark.parametrize(
    ("secret", "session", "code", "kind"),
    [
        ("other-secret", SESSION, CODE, "pre"),
        (SECRET, "another-session", CODE, "pre"),
        (SECRET, SESSION, OTHER, "pre"),
        (SECRET, SESSION, CODE, "post"),
    ],
)
def test_signature_binds_secret_session_code_and_kind(
    secret: str, session: str, code: str, kind: str
) -> None:
    sig = completion_signature(SECRET, SESSION, CODE, "pre")
    assert not verify_completion(secret, session, code, kind, sig)


@pytest.mark.parametrize("sig", ["", "00", "x" * 32, "é" * 32, "0" * 32])
def test_garbage_signatures_are_rejected_without_raising(sig: str) -> None:
    assert not verify_completion(SECRET, SESSION, CODE, "pre", sig)


@pytest.mark.parametrize(("code", "kind"), [("not-a-code", "pre"), (CODE, "during"), ("", "")])
def test_bad_code_or_kind_is_rejected_without_raising(code: str, kind: str) -> None:
    assert not verify_completion(SECRET, SESSION, code, kind, "0" * 32)


@given(st.integers(min_value=0, max_value=31), st.sampled_from("0123456789abcdef"))
def test_any_changed_hex_digit_fails(pos: int, digit: str) -> None:
    sig = completion_signature(SECRET, SESSION, CODE, "post")
    forged = sig[:pos] + digit + sig[pos + 1 :]
    assert verify_completion(SECRET, SESSION, CODE, "post", forged) == (forged == sig)


def test_completion_url_carries_a_valid_signature() -> None:
    url = completion_url("https://facilitator.example.edu/", SESSION, CODE.lower(), "post", SECRET)
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "facilitator.example.edu"
    assert parts.path == "/survey/done"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["session"] == SESSION and query["code"] == CODE and query["kind"] == "post"
    assert verify_completion(SECRET, query["session"], query["code"], query["kind"], query["sig"])


def test_survey_target_url_fills_the_code() -> None:
    url = survey_target_url("https://survey.example.edu/s/pre?code={code}&src=fac", CODE)
    assert url == f"https://survey.example.edu/s/pre?code={CODE}&src=fac"


def test_survey_target_url_escapes_values() -> None:
    url = survey_target_url("https://survey.example.edu/f?c={code}", "A&B=C D/E")
    assert url == "https://survey.example.edu/f?c=A%26B%3DC%20D%2FE"


def test_survey_target_url_fills_sig_and_done() -> None:
    done = completion_url("https://facilitator.example.edu", SESSION, CODE, "pre", SECRET)
    sig = completion_signature(SECRET, SESSION, CODE, "pre")
    url = survey_target_url(
        "https://survey.example.edu/f?c={code}&s={sig}&r={done}", CODE, sig=sig, done_url=done
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {"c": CODE, "s": sig, "r": done}


def test_survey_target_url_refuses_a_placeholder_without_value() -> None:
    with pytest.raises(ValueError, match="sig"):
        survey_target_url("https://survey.example.edu/f?c={code}&s={sig}", CODE)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("https://survey.example.edu/f", "https://survey.example.edu/f?code={c}"),
        ("https://survey.example.edu/f?lang=en", "https://survey.example.edu/f?lang=en&code={c}"),
        ("https://survey.example.edu/f?", "https://survey.example.edu/f?code={c}"),
        ("https://survey.example.edu/f?a=1#top", "https://survey.example.edu/f?a=1&code={c}#top"),
    ],
)
def test_survey_target_url_appends_code_when_template_has_no_placeholder(
    template: str, expected: str
) -> None:
    assert survey_target_url(template, CODE) == expected.format(c=CODE)
