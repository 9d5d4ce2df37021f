"""Opting out of reminders and follow-ups: a signed, non-expiring link per student and session.

Taking part in the study is voluntary, so every student email carries a way to stop the rest:
`List-Unsubscribe` (with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, RFC 8058, so a mail
client's "unsubscribe" button works in one click) and the same link in the text, to a page.

The link names the student only by their pseudonymous survey code, and is signed like the survey
completion callback (HMAC-SHA256 keyed with the survey secret, its own domain-separation label),
so nobody can opt someone else out. It never expires: an unsubscribe link must keep working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

from facilitator.surveys.codes import parse_code

SIGNATURE_HEX_DIGITS = 32
_DOMAIN = b"facilitator/opt-out/v1"
# What an opt-out stops: reminders and follow-ups. The invitation, the first survey messages and
# the board link are the session itself; the support resources are sent to everyone regardless.
OPT_OUT_KINDS = frozenset({"pre_survey_reminder", "post_survey", "post_survey_reminder", "focus_group"})


def opt_out_signature(secret: str, session_id: str, code: str) -> str:
    if not secret:
        raise ValueError("the survey secret is empty; set FACILITATOR_SURVEY_SECRET")
    message = _DOMAIN + b"\x00" + json.dumps([session_id, parse_code(code)]).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:SIGNATURE_HEX_DIGITS]


def verify_opt_out(secret: str, session_id: str, code: str, sig: str) -> bool:
    """True only for a link we issued; never raises on bad input."""
    try:
        expected = opt_out_signature(secret, session_id, code)
    except ValueError:
        return False
    return hmac.compare_digest(expected.encode(), sig.strip().lower().encode("utf-8", "replace"))


def opt_out_url(public_url: str, session_id: str, code: str, secret: str) -> str:
    canonical = parse_code(code)
    query = urlencode(
        {"session": session_id, "code": canonical, "sig": opt_out_signature(secret, session_id, canonical)}
    )
    return f"{public_url.rstrip('/')}/optout?{query}"
