"""Email over real SMTP (aiosmtpd on loopback): headers, multipart, error sorting, pooling."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from facilitator.clock import ManualClock
from facilitator.delivery.channels.base import PermanentSendError, Rendered, TransientSendError
from facilitator.delivery.channels.email import EmailChannel, message_id_for
from facilitator.store.base import OutboxMessage
from tests.delivery.support import LoopbackSmtp, SmtpSink
from tests.store.factories import SESSION, T0, bulk, planned, store_with_session

RENDERED = Rendered(
    subject="Your room for today", text="Hello Ada,\nGroup 4.", html="<p>Hello Ada, <b>Group 4</b>.</p>"
)


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtp]:
    server = LoopbackSmtp(SmtpSink(reject={"nobody@example.edu"}))
    server.start()
    yield server
    server.stop()


async def _rows(tmp_path: Path, n: int = 1, **kw: object) -> list[OutboxMessage]:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, bulk(n, **kw))  # type: ignore[arg-type]
    return await store.list_messages(SESSION)


def test_message_id_is_derived_from_the_key() -> None:
    key = f"{SESSION}/invitation/ada@example.edu"
    expected = hashlib.sha256(key.encode()).hexdigest()[:32]
    assert message_id_for(key) == f"<{expected}@facilitator.local>"
    assert message_id_for(key) == message_id_for(key)
    assert message_id_for(key) != message_id_for(key + "x")


async def test_sends_multipart_with_identifying_headers(tmp_path: Path, smtp: LoopbackSmtp) -> None:
    (row,) = await _rows(tmp_path)
    channel = EmailChannel(smtp.settings(), clock=ManualClock(T0))
    provider_id = await channel.send(row, RENDERED)
    await channel.close()
    (arrival,) = smtp.sink.arrivals
    msg = arrival.message
    assert provider_id == message_id_for(row.key, "example.edu") == msg["Message-ID"]  # the sending domain
    assert msg["X-Facilitator-Key"] == row.key
    assert msg["From"] == "Facilitator <facilitator@example.edu>"
    assert msg["Reply-To"] is None and msg["List-Unsubscribe"] is None
    assert msg["To"] == row.recipient and arrival.recipients == [row.recipient]
    assert msg["Subject"] == "Your room for today"
    assert msg["Date"] == "Tue, 04 Mar 2025 15:00:00 +0000"  # from the clock it was given
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and "Group 4." in plain.get_content()
    assert html is not None and "<b>Group 4</b>" in html.get_content()


async def test_course_name_reply_to_and_one_click_unsubscribe(tmp_path: Path, smtp: LoopbackSmtp) -> None:
    (row,) = await _rows(tmp_path)
    channel = EmailChannel(smtp.settings(), clock=ManualClock(T0))
    url = "https://facilitator.example.edu/optout?session=s&code=K7QF-2M9D-X&sig=00ff"
    rendered = Rendered(
        subject="s", text="t", sender_name="Shared Living Experiences (MED 510)",
        reply_to="course.director@example.edu", unsubscribe_url=url,
    )  # fmt: skip
    await channel.send(row, rendered)
    await channel.close()
    msg = smtp.sink.arrivals[0].message
    assert msg["From"] == '"Shared Living Experiences (MED 510)" <facilitator@example.edu>'
    assert msg["Reply-To"] == "course.director@example.edu"
    assert msg["List-Unsubscribe"] == f"<{url}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(msg["Message-ID"]).endswith("@example.edu>")


async def test_text_only_when_there_is_no_html(tmp_path: Path, smtp: LoopbackSmtp) -> None:
    (row,) = await _rows(tmp_path)
    channel = EmailChannel(smtp.settings())
    await channel.send(row, Rendered(subject="s", text="just text"))
    await channel.close()
    assert smtp.sink.arrivals[0].message.get_content_type() == "text/plain"


async def test_rejected_recipient_is_permanent(tmp_path: Path, smtp: LoopbackSmtp) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [planned("k", recipient="nobody@example.edu")])
    (row,) = await store.list_messages(SESSION)
    channel = EmailChannel(smtp.settings())
    with pytest.raises(PermanentSendError, match="550"):
        await channel.send(row, RENDERED)
    await channel.close()


async def test_not_an_address_is_permanent(tmp_path: Path, smtp: LoopbackSmtp) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [planned("k", recipient="Dr Okafor")])
    (row,) = await store.list_messages(SESSION)
    with pytest.raises(PermanentSendError, match="not an email address"):
        await EmailChannel(smtp.settings()).send(row, RENDERED)


async def test_server_down_is_transient_and_recovery_needs_no_restart(
    tmp_path: Path, smtp: LoopbackSmtp
) -> None:
    rows = await _rows(tmp_path, 2)
    channel = EmailChannel(smtp.settings())
    await channel.send(rows[0], RENDERED)  # leaves a pooled connection behind
    smtp.stop()
    with pytest.raises(TransientSendError, match="cannot connect"):
        await channel.send(rows[1], RENDERED)
    smtp.start()  # same port
    await channel.send(rows[1], RENDERED)
    await channel.close()
    assert smtp.sink.keys() == [rows[0].key, rows[1].key]


async def test_connections_are_pooled_and_bounded(tmp_path: Path, smtp: LoopbackSmtp) -> None:
    rows = await _rows(tmp_path, 40)
    channel = EmailChannel(smtp.settings(smtp_max_connections=3))
    await asyncio.gather(*(channel.send(r, RENDERED) for r in rows))
    await channel.close()
    peers = {a.peer for a in smtp.sink.arrivals}
    assert len(smtp.sink.arrivals) == 40
    assert 1 <= len(peers) <= 3  # 40 messages over at most 3 connections


async def test_starttls(tmp_path: Path) -> None:
    ssl_pair = pytest.importorskip("tests.delivery.tls").self_signed(tmp_path)
    server = LoopbackSmtp(SmtpSink(), tls_context=ssl_pair.server, require_starttls=True)
    server.start()
    try:
        (row,) = await _rows(tmp_path)
        settings = server.settings(smtp_security="starttls")
        await EmailChannel(settings, tls_context=ssl_pair.client).send(row, RENDERED)
        plain = EmailChannel(server.settings(smtp_security="plain"))
        with pytest.raises((TransientSendError, PermanentSendError)):
            await plain.send(row, RENDERED)  # the server insists on STARTTLS
    finally:
        server.stop()
    assert server.sink.keys() == [row.key]


class PickySink(SmtpSink):
    """Refuses MAIL FROM and RCPT TO with the replies it is given, and notes MAIL's options."""

    def __init__(self, mail_reply: str | None = None, rcpt_reply: str | None = None) -> None:
        super().__init__()
        self.mail_reply = mail_reply
        self.rcpt_reply = rcpt_reply
        self.mail_options: list[list[str]] = []

    async def handle_MAIL(
        self, server: object, session: object, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mail_options.append(list(options))
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        return await super().handle_RCPT(server, session, envelope, address, options)


@pytest.mark.parametrize(
    ("mail_reply", "rcpt_reply", "error", "channel_down"),
    [
        ("451 4.3.0 Try again later", None, TransientSendError, False),
        ("553 5.7.1 Sender not allowed", None, PermanentSendError, False),
        (None, "450 4.2.1 Mailbox busy", TransientSendError, False),
        (None, "421 4.3.2 Service shutting down", TransientSendError, True),
    ],
)
async def test_refusals_are_sorted_like_sendmail_would_raise_them(
    tmp_path: Path,
    mail_reply: str | None,
    rcpt_reply: str | None,
    error: type[Exception],
    channel_down: bool,
) -> None:
    sink = PickySink(mail_reply, rcpt_reply)
    server = LoopbackSmtp(sink)
    server.start()
    try:
        (row,) = await _rows(tmp_path)
        channel = EmailChannel(server.settings())
        with pytest.raises(error) as raised:
            await channel.send(row, RENDERED)
        reply = (mail_reply or rcpt_reply or "").split(" ", 1)[0]
        assert reply in str(raised.value)
        assert getattr(raised.value, "channel_down", False) is channel_down
        sink.mail_reply = sink.rcpt_reply = None  # the connection was dropped; a new one works
        await channel.send(row, RENDERED)
        await channel.close()
    finally:
        server.stop()
    assert sink.keys() == [row.key]
    size = len(sink.arrivals[0].message.as_bytes())
    declared = int(sink.mail_options[-1][0].partition("=")[2])  # SIZE=<octets>, as sendmail sends
    assert sink.mail_options[-1][0].upper().startswith("SIZE=") and abs(declared - size) < size // 10


async def test_a_sender_that_is_not_an_address_is_reported_on_send(
    tmp_path: Path, smtp: LoopbackSmtp
) -> None:
    (row,) = await _rows(tmp_path)
    channel = EmailChannel(smtp.settings(smtp_from="Facilitator <not an address>"))
    with pytest.raises(TransientSendError, match="SMTP_FROM"):
        await channel.send(row, RENDERED)
    assert smtp.sink.arrivals == []


async def test_a_recipient_with_control_characters_is_refused_before_smtp(
    tmp_path: Path, smtp: LoopbackSmtp
) -> None:
    store = await store_with_session(tmp_path)
    await store.fill_outbox(SESSION, [planned("k", recipient="Ada <ada\x00@example.edu>")])
    (row,) = await store.list_messages(SESSION)
    with pytest.raises(PermanentSendError, match="not an email address"):
        await EmailChannel(smtp.settings()).send(row, RENDERED)
    assert smtp.sink.arrivals == []
