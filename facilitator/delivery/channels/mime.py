"""The bytes of an email, built directly.

The stdlib's `EmailMessage` (policy-based headers, folding, generator) costs about a
millisecond of CPU per message, which at a few thousand messages a burst would be the
runner's main cost and would delay cues. The messages here have one fixed shape (a few known
headers, a UTF-8 text part and an optional HTML part), so they are assembled directly: headers
that are not plain ASCII become RFC 2047 encoded words, bodies are quoted-printable, lines end
in CRLF. The parts use the same well-tested encoders the stdlib uses (`binascii.b2a_qp`,
`email.header.Header`). The boundary is derived from the idempotency key, so the same message
is the same bytes apart from its Date.
"""

from __future__ import annotations

import binascii
import functools
import re
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, getaddresses, parseaddr

from facilitator.delivery.channels.base import PermanentSendError, key_digest

CRLF = "\r\n"


_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def address_of(recipient: str) -> str:
    """The bare address to send to; PermanentSendError when it cannot be one."""
    if _BARE_ADDRESS.fullmatch(recipient):  # the usual case, without the full parser's cost
        return recipient
    found = getaddresses([recipient])
    address = found[0][1] if len(found) == 1 else ""
    if "@" not in address or any(c.isspace() or c in "<>," or not c.isprintable() for c in address):
        raise PermanentSendError(f"recipient {recipient!r} is not an email address")
    if not address.isascii():
        raise PermanentSendError(f"recipient {recipient!r} is not an ASCII address (SMTPUTF8 is not used)")
    return address


def header_text(value: str) -> str:
    """A header value on the wire: ASCII as is, anything else as encoded words; never a raw newline."""
    flat = " ".join(value.split())
    if flat.isascii():
        return flat
    return Header(flat, "utf-8", maxlinelen=76).encode(linesep=CRLF)


@functools.lru_cache(maxsize=16)
def sender_header(sender: str) -> str:
    """The From header for SMTP_FROM: parsed once, not for every message (it never changes)."""
    name, address = parseaddr(sender)
    if not name:
        return address
    return formataddr((" ".join(name.split()), address), charset="utf-8")


def _qp(text: str) -> str:
    normalised = CRLF.join(text.splitlines()) + CRLF
    return binascii.b2a_qp(normalised.encode("utf-8"), istext=True).decode("ascii")


def _part(subtype: str, text: str) -> str:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        f"{_qp(text)}"
    )


def build_mime(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str | None,
    date: datetime,
    message_id: str,
    key: str,
    calendar: bytes | None = None,
    extra_headers: tuple[str, ...] = (),
) -> bytes:
    """multipart/alternative (text, then HTML) or text/plain, with the identifying headers;
    with a `calendar`, the invitation layout calendar clients recognise (see `_invitation_body`)."""
    headers = [
        f"From: {sender_header(sender)}",
        f"To: {address_of(recipient)}",
        f"Subject: {header_text(subject)}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
        *extra_headers,
        f"X-Facilitator-Key: {header_text(key)}",
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
    ]
    if calendar is not None:
        return (CRLF.join(headers) + CRLF + _invitation_body(text, html, calendar, key)).encode("ascii")
    if not html:
        return (CRLF.join(headers) + CRLF + _part("plain", text)).encode("ascii")
    boundary = f"=_{key_digest(key, 24)}"  # "=_" never occurs in quoted-printable text
    # The CRLF before each delimiter belongs to the delimiter (RFC 2046), hence the extra one.
    body = (
        f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}'
        f"--{boundary}{CRLF}{_part('plain', text)}{CRLF}"
        f"--{boundary}{CRLF}{_part('html', html)}{CRLF}"
        f"--{boundary}--{CRLF}"
    )
    return (CRLF.join(headers) + CRLF + body).encode("ascii")


_METHOD = re.compile(rb"^METHOD:([A-Z-]+)\r?$", re.MULTILINE)


def _base64_lines(data: bytes) -> str:
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + CRLF


def _invitation_body(text: str, html: str | None, calendar: bytes, key: str) -> str:
    """multipart/mixed: the alternatives (text, HTML, and the calendar itself as
    `text/calendar; method=REQUEST`, which Outlook, Gmail and Apple Mail show as an invitation
    with accept buttons), then the same calendar as an `invite.ics` attachment for the rest."""
    found = _METHOD.search(calendar)
    method = found.group(1).decode("ascii") if found else "PUBLISH"
    outer, inner = f"=_m{key_digest(key, 22)}", f"=_a{key_digest(key, 22)}"
    ics = _base64_lines(calendar)
    alternatives = f"--{inner}{CRLF}{_part('plain', text)}{CRLF}"
    if html:
        alternatives += f"--{inner}{CRLF}{_part('html', html)}{CRLF}"
    alternatives += (
        f'--{inner}{CRLF}Content-Type: text/calendar; charset="utf-8"; method={method}{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{ics}{CRLF}--{inner}--{CRLF}"
    )
    return (
        f'Content-Type: multipart/mixed; boundary="{outer}"{CRLF}{CRLF}'
        f'--{outer}{CRLF}Content-Type: multipart/alternative; boundary="{inner}"{CRLF}{CRLF}'
        f"{alternatives}{CRLF}"
        f'--{outer}{CRLF}Content-Type: application/ics; name="invite.ics"{CRLF}'
        f'Content-Disposition: attachment; filename="invite.ics"{CRLF}'
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{ics}{CRLF}"
        f"--{outer}--{CRLF}"
    )
