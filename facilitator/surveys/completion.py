"""Survey completion callbacks, signed so nobody can mark someone else's code complete.

The flow: a student's survey link (`/s/{token}`) redirects to the plan's survey URL with their
code filled in (`survey_target_url`). The survey tool is configured with an end-of-survey
redirect to our completion route, built here by `completion_url`:

    {public_url}/survey/done?session=...&code=K7QF-2M9D-X&kind=pre&sig=...

`sig` is HMAC-SHA256 (keyed with the survey secret, domain-separated from the code derivation)
over (session, code, kind), truncated to 128 bits and written as 32 hex digits. Without it
anyone who learns a code could stop that student's reminders. Survey tools pipe a value from
the start URL to the end redirect (an "embedded data" or "hidden field"), so the start URL can
carry the ready-made completion URL (`{done}`) or just the signature (`{sig}`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote, urlencode, urlsplit

from facilitator.surveys.codes import parse_code

KINDS = ("pre", "post")
SIGNATURE_HEX_DIGITS = 32  # 128 bits
_DOMAIN = b"facilitator/survey-completion/v1"


def _message(session_id: str, code: str, kind: str) -> bytes:
    return _DOMAIN + b"\x00" + json.dumps([session_id, code, kind], ensure_ascii=False).encode()


def completion_signature(secret: str, session_id: str, code: str, kind: str) -> str:
    """32 lower-case hex digits proving we issued this (session, code, kind)."""
    if not secret:
        raise ValueError("the survey secret is empty; set FACILITATOR_SURVEY_SECRET")
    if kind not in KINDS:
        raise ValueError(f"survey kind must be 'pre' or 'post', not {kind!r}")
    canonical = parse_code(code)
    digest = hmac.new(secret.encode(), _message(session_id, canonical, kind), hashlib.sha256)
    return digest.hexdigest()[:SIGNATURE_HEX_DIGITS]


def verify_completion(secret: str, session_id: str, code: str, kind: str, sig: str) -> bool:
    """True only for a signature we issued; never raises on bad input (it is a bad request)."""
    try:
        expected = completion_signature(secret, session_id, code, kind)
    except ValueError:
        return False
    given = sig.strip().lower()
    # Compare as bytes: compare_digest refuses non-ASCII str, and a forged sig may contain any.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def completion_url(public_url: str, session_id: str, code: str, kind: str, secret: str) -> str:
    """The end-of-survey redirect for one student and survey, signed."""
    canonical = parse_code(code)
    query = urlencode(
        {
            "session": session_id,
            "code": canonical,
            "kind": kind,
            "sig": completion_signature(secret, session_id, canonical, kind),
        }
    )
    return f"{public_url.rstrip('/')}/survey/done?{query}"


def survey_target_url(template: str, code: str, sig: str | None = None, done_url: str | None = None) -> str:
    """The plan's survey URL with `{code}` (and `{sig}`, `{done}` when given) filled in, URL-escaped.

    A template without `{code}` gets `code=...` appended as a query parameter, so the code still
    reaches the survey tool. A template that asks for `{sig}` or `{done}` without the value being
    given is a programming error and raises ValueError rather than sending a broken link.
    """
    values = {"{code}": code, "{sig}": sig, "{done}": done_url}
    url = template
    for placeholder, value in values.items():
        if placeholder not in url:
            continue
        if value is None:
            raise ValueError(f"the survey URL asks for {placeholder} but no value was given")
        url = url.replace(placeholder, quote(value, safe=""))
    if "{code}" not in template:
        parts = urlsplit(url)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        base = url[: len(url) - len(fragment)]
        separator = "" if base.endswith(("?", "&")) else "&" if parts.query else "?"
        url = f"{base}{separator}{urlencode({'code': code})}{fragment}"
    return url
