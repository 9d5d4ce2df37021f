"""A local SMTP server for `run --simulate`: real SMTP on loopback, mail kept in memory and a Maildir.

It runs on the caller's event loop (aiosmtpd's SMTP protocol served by `loop.create_server`), so the
simulation needs no thread and no external mail server. Each message is written to the Maildir
(when one is given) as it arrives, so a crash loses nothing already accepted.
"""

from __future__ import annotations

import asyncio
import mailbox
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP


@dataclass
class ReceivedMail:
    recipients: tuple[str, ...]
    message: Message

    @property
    def key(self) -> str | None:
        value = self.message.get("X-Facilitator-Key")
        return str(value) if value is not None else None


@dataclass
class MailSink:
    """Collects every message the local SMTP server accepts."""

    maildir: Path | None = None
    received: list[ReceivedMail] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._box = mailbox.Maildir(str(self.maildir), create=True) if self.maildir else None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        if self._box is not None:
            self._box.add(data)
        self.received.append(ReceivedMail(tuple(envelope.rcpt_tos), message_from_bytes(data)))
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """`async with LocalSmtpServer(sink) as server:` then send to 127.0.0.1:`server.port`."""

    def __init__(self, sink: MailSink, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sink = sink
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.sink, hostname="facilitator.local", ident="facilitator local SMTP"),
            host=self.host,
            port=self.port,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> LocalSmtpServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
