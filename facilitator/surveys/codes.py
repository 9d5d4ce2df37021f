"""Pseudonymous survey codes: one per student per study, the same for the pre- and post-survey.

The code is what lets a study pair a student's pre and post answers without ever storing their
name next to them. It is derived, not stored: HMAC-SHA256 keyed with `settings.survey_secret`
over (study, normalised email), so the same student always gets the same code, another study
gets an unrelated one, and without the secret nobody can tell whose code is whose.

Shape: 8 payload characters of Crockford base32 (40 bits) plus one check character, grouped as
`K7QF-2M9D-X`. Crockford's alphabet drops I, L, O and U, so a code read aloud or typed from a
phone survives the usual confusions; `parse_code` maps O→0 and I/L→1 back.

The check character is Crockford's mod-37 check symbol: the payload read as a number, modulo
37. Because 37 is prime and larger than every digit value, any single-character substitution
and any swap of two adjacent characters changes the remainder, so both are always caught (a
weighted mod-32 sum cannot catch every adjacent swap). Crockford writes remainders 32..36 as
`*~$=U`, which are awkward to type and look like punctuation in a survey field, so generation
re-derives the payload (counter appended to the HMAC input) until the remainder is below 32:
every code we issue is plain letters and digits, costing log2(37/32) ≈ 0.2 bits of the 40.
`parse_code` still accepts the five extra symbols, so any valid Crockford code is understood.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Iterable
from itertools import count

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
PAYLOAD_LENGTH = 8
CODE_LENGTH = PAYLOAD_LENGTH + 1
_PAYLOAD_BITS = 5 * PAYLOAD_LENGTH
_DOMAIN = b"facilitator/survey-code/v1"

_VALUE = {ch: i for i, ch in enumerate(CHECK_ALPHABET)}
# Characters people type for one another: Crockford decodes O as 0 and I/L as 1.
_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_email(email: str) -> str:
    """The form of an address that keys a code: trimmed, NFKC, lower case (as the plan stores it)."""
    return unicodedata.normalize("NFKC", email.strip()).lower()


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _decode(payload: str) -> int:
    value = 0
    for ch in payload:
        value = value * 32 + _VALUE[ch]
    return value


def check_character(payload: str) -> str:
    """Crockford's mod-37 check symbol of an 8-character payload (already normalised)."""
    return CHECK_ALPHABET[_decode(payload) % 37]


def format_code(raw9: str) -> str:
    """`K7QF2M9DX` → `K7QF-2M9D-X` (no validation: use `parse_code` for input from people)."""
    if len(raw9) != CODE_LENGTH:
        raise ValueError(f"a survey code has {CODE_LENGTH} characters, not {len(raw9)}")
    return f"{raw9[:4]}-{raw9[4:8]}-{raw9[8]}"


def survey_code(secret: str, study: str, email: str) -> str:
    """The student's code for this study, formatted like `K7QF-2M9D-X`. Deterministic."""
    if not secret:
        raise ValueError("the survey secret is empty; set FACILITATOR_SURVEY_SECRET")
    message = json.dumps([study, normalise_email(email)], ensure_ascii=False).encode()
    key = secret.encode()
    for counter in count():
        digest = hmac.new(key, b"%s\x00%d\x00%s" % (_DOMAIN, counter, message), hashlib.sha256).digest()
        value = int.from_bytes(digest[:8], "big") >> (64 - _PAYLOAD_BITS)
        if value % 37 < 32:  # see the module docstring: issued codes never end in *~$=U
            return format_code(_encode(value, PAYLOAD_LENGTH) + ALPHABET[value % 37])
    raise AssertionError("unreachable")  # pragma: no cover


def compact_code(text: str) -> str:
    """A typed code without separators, upper case, O/I/L read as 0/1: the form codes are compared in."""
    raw = "".join(ch for ch in text if ch not in " -\t\u00a0\u2010\u2011\u2013").upper()
    return raw.translate(_CONFUSIONS)


def parse_code(text: str) -> str:
    """A code as a person typed it, checked and in canonical form (`K7QF-2M9D-X`).

    Tolerates lower case, spaces and hyphens anywhere, and O/I/L for 0/1. Raises ValueError with
    a sentence a student can act on when the code is malformed or its check character is wrong.
    """
    raw = compact_code(text)
    if len(raw) != CODE_LENGTH:
        raise ValueError(
            f"a survey code has {CODE_LENGTH} letters and digits, like K7QF-2M9D-X; {text!r} has {len(raw)}"
        )
    payload, check = raw[:PAYLOAD_LENGTH], raw[PAYLOAD_LENGTH]
    bad = sorted({ch for ch in payload if ch not in ALPHABET})
    if bad:
        raise ValueError(f"{text!r} is not a survey code: {', '.join(bad)} cannot appear in one")
    if check not in _VALUE:
        raise ValueError(f"{text!r} is not a survey code: its check character {check!r} is not valid")
    if check_character(payload) != check:
        raise ValueError(
            f"{text!r} has the wrong check character: please check the code for a mistyped character"
        )
    return format_code(raw)


def survey_codes(secret: str, study: str, emails: Iterable[str]) -> dict[str, str]:
    """Codes for a roster, keyed by normalised email; refuses to hand two students the same code.

    With 40-bit codes a clash is about 1 in 20,000 for a roster of 10,000; should it happen the
    pairing would be ambiguous, so it is reported instead of silently merging two students.
    """
    codes: dict[str, str] = {}
    owners: dict[str, str] = {}
    for email in emails:
        address = normalise_email(email)
        code = survey_code(secret, study, address)
        other = owners.setdefault(code, address)
        if other != address:
            raise ValueError(
                f"{other} and {address} received the same survey code in study {study!r}; "
                "change the study id or the survey secret before sending any survey"
            )
        codes[address] = code
    return codes
