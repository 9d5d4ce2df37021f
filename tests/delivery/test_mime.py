"""The hand-built email bytes parse back, with the stdlib parser, to exactly what was meant."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default

import pytest

from facilitator.delivery.channels.base import PermanentSendError
from facilitator.delivery.channels.mime import build_mime

KEY = "shared-living-experiences-20270114-1300/post_survey_reminder/zoë.ångström@example.edu/1"


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def _build(**overrides: object) -> bytes:
    values: dict[str, object] = {
        "sender": "Équipe Facilitation <facilitator@example.edu>",
        "recipient": "ada@example.edu",
        "subject": "Grüße — your room: Group 4 ✓",
        "text": "Hello Zoë,\n.a line starting with a dot\ntrailing space \n" + "long " * 40,
        "html": "<p>Hello <b>Zoë</b> — Group&nbsp;4</p>",
        "date": datetime(2027, 1, 14, 18, 0, tzinfo=UTC),
        "message_id": "<abc@facilitator.local>",
        "key": KEY,
    }
    values.update(overrides)
    return build_mime(**values)  # type: ignore[arg-type]


def test_round_trip_of_non_ascii_headers_and_bodies() -> None:
    raw = _build()
    assert raw.isascii() and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    msg = _parse(raw)
    assert msg["Subject"] == "Grüße — your room: Group 4 ✓"
    assert msg["From"].addresses[0].display_name == "Équipe Facilitation"
    assert msg["From"].addresses[0].addr_spec == "facilitator@example.edu"
    assert msg["To"] == "ada@example.edu"
    assert msg["Message-ID"] == "<abc@facilitator.local>"
    assert msg["X-Facilitator-Key"] == KEY
    assert msg["Date"].datetime == datetime(2027, 1, 14, 18, 0, tzinfo=UTC)
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == (
        "Hello Zoë,\n.a line starting with a dot\ntrailing space \n" + "long " * 40 + "\n"
    )
    assert html.get_content().strip() == "<p>Hello <b>Zoë</b> — Group&nbsp;4</p>"


def test_text_only_and_ascii_stay_plain() -> None:
    raw = _build(html=None, subject="Your room", sender="facilitator@example.edu")
    msg = _parse(raw)
    assert msg.get_content_type() == "text/plain"
    assert b"Subject: Your room\r\n" in raw and b"From: facilitator@example.edu\r\n" in raw


def test_no_header_injection_through_the_subject() -> None:
    msg = _parse(_build(subject="Hi\r\nBcc: everyone@example.edu"))
    assert msg["Bcc"] is None and msg["Subject"] == "Hi Bcc: everyone@example.edu"


def test_same_key_same_bytes() -> None:
    assert _build() == _build()


@pytest.mark.parametrize("bad", ["Dr Okafor", "ada@example.edu, ben@example.edu", "zoë@exämple.edu", ""])
def test_bad_recipients_are_permanent(bad: str) -> None:
    with pytest.raises(PermanentSendError):
        _build(recipient=bad)
