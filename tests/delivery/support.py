"""A real SMTP server on loopback (aiosmtpd) that records what arrives, in arrival order."""

from __future__ import annotations

import email
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from facilitator.config import Settings, SmtpSecurity, load_settings
from facilitator.delivery.channels.base import Rendered
from facilitator.store.base import OutboxMessage


@dataclass
class Arrival:
    key: str
    message_id: str
    recipients: list[str]
    message: EmailMessage
    peer: Any
    at: float  # time.monotonic() at arrival


@dataclass
class SmtpSink:
    """aiosmtpd handler: keeps every message; refuses the addresses in `reject` with 550."""

    reject: set[str] = field(default_factory=set)
    arrivals: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        arrival = Arrival(
            key=str(msg["X-Facilitator-Key"]),
            message_id=str(msg["Message-ID"]),
            recipients=list(envelope.rcpt_tos),
            message=msg,
            peer=session.peer,
            at=time.monotonic(),
        )
        with self.lock:
            self.arrivals.append(arrival)
        return "250 Message accepted for delivery"

    def keys(self) -> list[str]:
        with self.lock:
            return [a.key for a in self.arrivals]


class _LoopbackController(Controller):  # type: ignore[misc]
    """Controller that can bind port 0 and learns the port it got."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class LoopbackSmtp:
    """Start, stop and restart (on the same port) an SMTP server on 127.0.0.1."""

    def __init__(self, sink: SmtpSink, **smtp_kwargs: Any) -> None:
        self.sink = sink
        self.port = 0
        self._kwargs = smtp_kwargs
        self._controller: _LoopbackController | None = None

    def start(self) -> None:
        controller = _LoopbackController(
            self.sink, hostname="127.0.0.1", port=self.port, server_hostname="localhost", **self._kwargs
        )
        controller.start()
        self.port = controller.port
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": SmtpSecurity.PLAIN,
            "smtp_from": "Facilitator <facilitator@example.edu>",
            "smtp_timeout_seconds": 5.0,
            "smtp_max_connections": 4,
        }
        values.update(overrides)
        return load_settings(**values)


async def plain_render(msg: OutboxMessage) -> Rendered:
    """A stand-in renderer: template "broken" fails the way a template bug would."""
    if msg.template == "broken":
        raise KeyError("room_name")
    return Rendered(
        subject=f"{msg.kind} for {msg.recipient}", text=f"Hello ({msg.key})", html=f"<p>{msg.key}</p>"
    )
