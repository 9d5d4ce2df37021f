"""Email over real SMTP (aiosmtpd on loopback): headers, multipart, error sorting, pooling."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

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
    assert provider_id == message_id_for(row.key) == msg["Message-ID"]
    assert msg["X-Facilitator-Key"] == row.key
    assert msg["From"] == "Facilitator <facilitator@example.edu>"
    assert msg["To"] == row.recipient and arrival.recipients == [row.recipient]
    assert msg["Subject"] == "Your room for today"
    assert msg["Date"] == "Tue, 04 Mar 2025 15:00:00 +0000"  # from the clock it was given
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and "Group 4." in plain.get_content()
    assert html is not None and "<b>Group 4</b>" in html.get_content()


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
